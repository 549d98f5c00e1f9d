package plan

import (
	"fmt"
	"slices"
	"strings"
)

// DiffPlans says in words what changed from one revision of a plan to the
// next: the answers (organisation, tenant, device groups, rollout) and the
// plan built from them (method, factory reset, steps, prerequisites,
// blockers, baseline, wave dates). Each string is one sentence for a
// customer: names, never ids, tags or field paths. oldPlan and newPlan must
// be the plans built from oldAnswers and newAnswers. An empty (non-nil)
// result means nothing a reader would notice changed.
func DiffPlans(oldAnswers, newAnswers Answers, oldPlan, newPlan *Plan) []string {
	if oldPlan == nil {
		oldPlan = &Plan{}
	}
	if newPlan == nil {
		newPlan = &Plan{}
	}
	d := &differ{oa: oldAnswers, na: newAnswers, op: oldPlan, np: newPlan, out: []string{}}
	d.organisation()
	d.tenant()
	d.populations()
	d.prerequisites()
	d.blockers()
	d.baseline()
	d.rollout()
	return d.out
}

type differ struct {
	oa, na Answers
	op, np *Plan
	out    []string
	// prereqSaid holds prerequisites whose sentence already says what they block.
	prereqSaid map[string]bool
	// oldNames names the old plan's groups as the new plan calls them (a
	// renamed group by its new name), so that a rename is said once;
	// newNames names the new plan's groups; gone lists removed groups.
	oldNames, newNames map[string]string
	gone               []string
}

func (d *differ) say(format string, args ...any) {
	d.out = append(d.out, fmt.Sprintf(format, args...))
}

func (d *differ) organisation() {
	if o, n := strings.TrimSpace(d.op.Organization), strings.TrimSpace(d.np.Organization); o != n {
		d.say("Organisation name changed from %s to %s.", inQuotes(o), inQuotes(n))
	}
}

// tenantQuestions are the tenant answers in the wizard's order, in words.
var tenantQuestions = []struct {
	label string
	get   func(Tenant) *bool
}{
	{"Intune licences assigned", func(t Tenant) *bool { return t.LicensesAssigned }},
	{"user and device groups ready", func(t Tenant) *bool { return t.GroupsReady }},
	{"Microsoft Entra ID P1 or P2", func(t Tenant) *bool { return t.EntraPremium }},
	{"Configuration Manager in use", func(t Tenant) *bool { return t.ConfigMgr }},
	{"Apple MDM push certificate uploaded", func(t Tenant) *bool { return t.AppleMDMPushCertificate }},
	{"Apple Business Manager in use", func(t Tenant) *bool { return t.AppleBusinessManager }},
	{"managed Google Play connected", func(t Tenant) *bool { return t.ManagedGooglePlay }},
}

var authorityWords = map[string]string{"intune": "Intune", "configmgr": "Configuration Manager", "office365": "Basic Mobility and Security", "none": "not set", "unknown": "not sure", "": "not answered"}
var roleWords = map[string]string{"global-admin": "Global Administrator", "intune-admin": "Intune Administrator", "other": "another role", "unknown": "not sure", "": "not answered"}

func (d *differ) tenant() {
	ot, nt := d.oa.Tenant, d.na.Tenant
	var parts []string
	if ot.MDMAuthority != nt.MDMAuthority {
		parts = append(parts, fmt.Sprintf("MDM authority %s → %s", diffWord(authorityWords, ot.MDMAuthority), diffWord(authorityWords, nt.MDMAuthority)))
	}
	if ot.AdminRole != nt.AdminRole {
		parts = append(parts, fmt.Sprintf("role of whoever sets up enrollment %s → %s", diffWord(roleWords, ot.AdminRole), diffWord(roleWords, nt.AdminRole)))
	}
	for _, q := range tenantQuestions {
		if o, n := q.get(ot), q.get(nt); diffTri(o) != diffTri(n) {
			parts = append(parts, fmt.Sprintf("%s: %s → %s", q.label, diffTri(o), diffTri(n)))
		}
	}
	if len(parts) > 0 {
		d.say("Tenant: %s.", strings.Join(parts, "; "))
	}
	if ot.EffectiveCloud() != nt.EffectiveCloud() {
		d.say("The plan is now for %s instead of %s.", diffOr(d.np.Knowledge.CloudName, nt.EffectiveCloud()), diffOr(d.op.Knowledge.CloudName, ot.EffectiveCloud()))
	}
	// Who enrolls is said group by group (groupChanges): the older
	// tenant-wide bulk_enrollment_by_staff only changes that.
}

// diffGroup is one device group: its answers and its part of the plan.
type diffGroup struct {
	in  Population
	out PopulationPlan
}

func diffGroups(a Answers, p *Plan) []diffGroup {
	gs := make([]diffGroup, len(p.Populations))
	for i, pp := range p.Populations {
		gs[i].out = pp
		if len(a.Populations) == len(p.Populations) {
			gs[i].in = a.Populations[i]
		}
	}
	return gs
}

// pairGroups matches the new groups to the old: by the id given in the
// answers, then by name, then by the id the plan assigned. match[i] is the
// old index of new group i, or -1 for a new group.
func pairGroups(old, cur []diffGroup) []int {
	match := make([]int, len(cur))
	for i := range match {
		match[i] = -1
	}
	used := make([]bool, len(old))
	pass := func(same func(o, n diffGroup) bool) {
		for i, n := range cur {
			if match[i] >= 0 {
				continue
			}
			for j, o := range old {
				if !used[j] && same(o, n) {
					match[i], used[j] = j, true
					break
				}
			}
		}
	}
	pass(func(o, n diffGroup) bool { return n.in.ID != "" && o.in.ID == n.in.ID })
	pass(func(o, n diffGroup) bool {
		return strings.EqualFold(strings.TrimSpace(o.out.Name), strings.TrimSpace(n.out.Name))
	})
	pass(func(o, n diffGroup) bool { return o.out.ID != "" && o.out.ID == n.out.ID })
	return match
}

func (d *differ) populations() {
	old, cur := diffGroups(d.oa, d.op), diffGroups(d.na, d.np)
	match := pairGroups(old, cur)
	kept := make([]bool, len(old))
	d.oldNames, d.newNames = diffGroupNames(d.op), diffGroupNames(d.np)
	for i, j := range match {
		if j >= 0 {
			kept[j] = true
			d.oldNames[old[j].out.ID] = cur[i].out.Name
		}
	}
	for j, o := range old {
		if !kept[j] {
			d.gone = append(d.gone, o.out.Name)
			d.say("Device group %s removed (%s).", inQuotes(o.out.Name), Count(o.out.Devices, "device", "devices"))
		}
	}
	for i, n := range cur {
		if match[i] < 0 {
			d.say("Device group %s added: %s %s %s, %s; %s.", inQuotes(n.out.Name), Thousands(n.out.Devices), n.out.PlatformName,
				Plural(n.out.Devices, "device", "devices"), diffLowerName(diffOr(n.out.Method.Name, "no method yet")), resetPhrase(n.out, false))
			continue
		}
		if parts := groupChanges(old[match[i]], n, d.oa.BulkEnrollmentByStaff, d.na.BulkEnrollmentByStaff); len(parts) > 0 {
			d.say("%s: %s.", n.out.Name, strings.Join(parts, "; "))
		}
	}
}

var managedWords = map[string]string{ManagedNone: "no MDM", ManagedConfigMgr: "Configuration Manager", ManagedOtherMDM: "another MDM", "": "not known"}

// groupChanges says how a device group changed; oBulk and nBulk are the
// older tenant-wide bulk_enrollment_by_staff of each side, which decides
// who enrolls where a group does not say.
func groupChanges(o, n diffGroup, oBulk, nBulk bool) []string {
	var parts []string
	if o.out.Name != n.out.Name {
		parts = append(parts, "renamed from "+inQuotes(o.out.Name))
	}
	if o.out.PlatformName != n.out.PlatformName {
		parts = append(parts, fmt.Sprintf("platform changed from %s to %s", o.out.PlatformName, n.out.PlatformName))
	}
	if o.out.Ownership != n.out.Ownership {
		if n.out.Ownership == OwnPersonal {
			parts = append(parts, "now personally owned instead of organisation-owned")
		} else {
			parts = append(parts, "now organisation-owned instead of personally owned")
		}
	}
	if ou, nu := o.in.EffectiveUsage(), n.in.EffectiveUsage(); ou != nu {
		parts = append(parts, fmt.Sprintf("now %s instead of %s", UsageLabel(nu), UsageLabel(ou)))
	}
	if o.out.Devices != n.out.Devices {
		parts = append(parts, fmt.Sprintf("devices %s → %s", Thousands(o.out.Devices), Thousands(n.out.Devices)))
	}
	if o.in.Enrolls() != n.in.Enrolls() {
		if n.in.Enrolls() {
			parts = append(parts, "the devices are now enrolled, not only the apps protected")
		} else {
			parts = append(parts, "now app protection only, without enrolling the devices")
		}
	}
	if ov, nv := diffTri(o.in.InUse), diffTri(n.in.InUse); ov != nv {
		parts = append(parts, fmt.Sprintf("already in use: %s → %s", ov, nv))
	}
	if ov, nv := o.in.KnownManagedBy(), n.in.KnownManagedBy(); ov != nv {
		parts = append(parts, fmt.Sprintf("managed today by %s → %s", diffWord(managedWords, ov), diffWord(managedWords, nv)))
	}
	if ov, nv := diffTri(o.in.PersonalUse), diffTri(n.in.PersonalUse); ov != nv {
		parts = append(parts, fmt.Sprintf("private use allowed: %s → %s", ov, nv))
	}
	if o.in.Enrolls() && n.in.Enrolls() {
		if ov, nv := o.in.EffectiveEnrolledBy(oBulk), n.in.EffectiveEnrolledBy(nBulk); ov != nv {
			parts = append(parts, fmt.Sprintf("now %s instead of %s", EnrolledByLabel(nv), strings.TrimPrefix(EnrolledByLabel(ov), "enrolled by ")))
		}
	}
	if om, nm := strings.TrimSpace(o.in.Manufacturer), strings.TrimSpace(n.in.Manufacturer); !strings.EqualFold(om, nm) {
		parts = append(parts, fmt.Sprintf("maker %s → %s", diffMaker(om), diffMaker(nm)))
	}
	if o.out.Method.ID != n.out.Method.ID {
		parts = append(parts, fmt.Sprintf("method changed from %s to %s", o.out.Method.Name, n.out.Method.Name))
	}
	if or, nr := resetNeeded(o.out), resetNeeded(n.out); or != nr {
		parts = append(parts, resetPhrase(n.out, true))
	}
	added, dropped := stepTitlesDiff(o.out.Steps, n.out.Steps)
	if len(added) > 0 {
		parts = append(parts, fmt.Sprintf("%s added: %s", Count(len(added), "step", "steps"), quoteSome(added, "more", "more")))
	}
	if len(dropped) > 0 {
		parts = append(parts, fmt.Sprintf("%s removed: %s", Count(len(dropped), "step", "steps"), quoteSome(dropped, "more", "more")))
	}
	return parts
}

func diffMaker(m string) string {
	if m == "" {
		return "not named"
	}
	return inQuotes(m)
}

// resetNeeded is what the plan's summary table says: devices in use that
// the method must wipe.
func resetNeeded(p PopulationPlan) bool { return p.FactoryReset.Required && p.InUse }

func resetPhrase(p PopulationPlan, change bool) string {
	switch {
	case resetNeeded(p) && change:
		return "a factory reset is now needed"
	case resetNeeded(p):
		return "a factory reset is needed"
	case change:
		return "a factory reset is no longer needed"
	}
	return "no factory reset needed"
}

// stepTitlesDiff lists the titles of steps only one side has, matched by
// the step itself, then by its wording.
func stepTitlesDiff(old, cur []Step) (added, dropped []string) {
	key := func(s Step) string { return s.Actor + "\x00" + s.ID }
	has := func(list []Step, k string) bool {
		return slices.ContainsFunc(list, func(s Step) bool { return key(s) == k })
	}
	for _, s := range cur {
		if !has(old, key(s)) {
			added = append(added, s.Title)
		}
	}
	for _, s := range old {
		if !has(cur, key(s)) {
			dropped = append(dropped, s.Title)
		}
	}
	// A step that is worded the same on both sides reads as unchanged,
	// whatever the catalog calls it.
	for i := 0; i < len(added); i++ {
		if j := slices.Index(dropped, added[i]); j >= 0 {
			added = slices.Delete(added, i, i+1)
			dropped = slices.Delete(dropped, j, j+1)
			i--
		}
	}
	return added, dropped
}

// statusPhrase says how a prerequisite's status changed, or "".
func statusPhrase(o, n string, had bool) string {
	switch {
	case !had:
		return "now applies (" + diffWord(map[string]string{StatusDone: "done", StatusTodo: "to do", StatusUnknown: "to check"}, n) + ")"
	case o == n:
		return ""
	case n == StatusDone:
		return "is now done"
	case n == StatusTodo && o == StatusDone:
		return "is no longer done"
	case n == StatusTodo:
		return "is now known to be not done"
	}
	return "is now not confirmed (to check)"
}

// blockChange says which groups something now blocks or no longer blocks;
// a removed group is left out (its removal was said). verb is "blocks".
func (d *differ) blockChange(oldIDs, newIDs []string, verb string) []string {
	on, nn := diffNames(oldIDs, d.oldNames), diffNames(newIDs, d.newNames)
	gained, lost := diffMinus(nn, on), diffMinus(diffMinus(on, nn), d.gone)
	var out []string
	switch {
	case len(gained) > 0 && len(on) == 0:
		out = append(out, verb+" "+diffJoin(gained))
	case len(gained) > 0:
		out = append(out, "now also "+verb+" "+diffJoin(gained))
	}
	if len(lost) > 0 {
		out = append(out, "no longer "+verb+" "+diffJoin(lost))
	}
	return out
}

func (d *differ) prerequisites() {
	d.prereqSaid = map[string]bool{}
	oldBlocks, newBlocks := blockedBy(d.op), blockedBy(d.np)
	byID := map[string]Prerequisite{}
	for _, pr := range d.op.Prerequisites {
		byID[pr.ID] = pr
	}
	seen := map[string]bool{}
	for _, pr := range d.np.Prerequisites {
		seen[pr.ID] = true
		o, had := byID[pr.ID]
		var parts []string
		if s := statusPhrase(o.Status, pr.Status, had); s != "" {
			parts = append(parts, s)
		}
		for i, s := range d.blockChange(oldBlocks[pr.ID], newBlocks[pr.ID], "blocks") {
			if i == 0 && len(parts) > 0 {
				s = "it " + s
			}
			parts = append(parts, s)
		}
		if len(parts) > 0 {
			d.prereqSaid[pr.ID] = true
			d.say("Prerequisite %s %s.", inQuotes(pr.Title), strings.Join(parts, "; "))
		}
	}
	for _, pr := range d.op.Prerequisites {
		if !seen[pr.ID] {
			d.prereqSaid[pr.ID] = true
			d.say("Prerequisite %s no longer applies.", inQuotes(pr.Title))
		}
	}
}

// blockedBy maps a prerequisite to the groups it blocks.
func blockedBy(p *Plan) map[string][]string {
	out := map[string][]string{}
	for _, b := range p.Summary.Blockers {
		if b.Prerequisite != "" {
			out[b.Prerequisite] = append(out[b.Prerequisite], b.Blocks...)
		}
	}
	return out
}

// blockers covers what stops enrollment other than a prerequisite whose
// sentence already said it (a method that does not fit the devices, say).
func (d *differ) blockers() {
	type blk struct {
		title  string
		blocks []string // group ids
	}
	collect := func(p *Plan) (map[string]*blk, []string) {
		m, order := map[string]*blk{}, []string(nil)
		for _, b := range p.Summary.Blockers {
			if b.Prerequisite != "" && d.prereqSaid[b.Prerequisite] {
				continue
			}
			k := b.Prerequisite + "\x00" + b.ID
			if m[k] == nil {
				m[k] = &blk{title: b.Title}
				order = append(order, k)
			}
			m[k].blocks = append(m[k].blocks, b.Blocks...)
		}
		return m, order
	}
	om, oorder := collect(d.op)
	nm, norder := collect(d.np)
	for _, k := range norder {
		n, o := nm[k], om[k]
		if o == nil {
			d.say("New blocker: %s stops %s.", inQuotes(n.title), diffJoin(diffNames(n.blocks, d.newNames)))
		} else if parts := d.blockChange(o.blocks, n.blocks, "stops"); len(parts) > 0 {
			d.say("Blocker %s %s.", inQuotes(n.title), strings.Join(parts, "; "))
		}
	}
	for _, k := range oorder {
		if nm[k] == nil {
			if names := diffMinus(diffNames(om[k].blocks, d.oldNames), d.gone); len(names) > 0 {
				d.say("No longer blocked: %s stopped %s.", inQuotes(om[k].title), diffJoin(names))
			}
		}
	}
}

func (d *differ) baseline() {
	titles := func(p *Plan) []string {
		var out []string
		for _, b := range p.Baseline {
			out = append(out, b.Title)
		}
		return out
	}
	o, n := titles(d.op), titles(d.np)
	if added := diffMinus(n, o); len(added) > 0 {
		d.say("Baseline %s added: %s.", Plural(len(added), "policy", "policies"), diffJoin(added))
	}
	if removed := diffMinus(o, n); len(removed) > 0 {
		d.say("Baseline %s removed: %s.", Plural(len(removed), "policy", "policies"), diffJoin(removed))
	}
}

func (d *differ) rollout() {
	oa, na := d.oa.Rollout, d.na.Rollout
	op, np := strings.TrimSpace(oa.PilotGroup), strings.TrimSpace(na.PilotGroup)
	switch {
	case op == np:
	case op == "":
		d.say("Pilot group named: %s.", inQuotes(np))
	case np == "":
		d.say("The pilot group is no longer named (it was %s).", inQuotes(op))
	default:
		d.say("Pilot group changed from %s to %s.", inQuotes(op), inQuotes(np))
	}
	if s := dateChange(oa.PilotStart, na.PilotStart); s != "" {
		d.say("Pilot %s.", s)
	}
	d.waves()
	ou, nu := diffNames(d.op.Rollout.Unassigned, d.oldNames), diffNames(d.np.Rollout.Unassigned, d.newNames)
	if left := diffMinus(nu, ou); len(left) > 0 {
		d.say("Now in no wave: %s.", diffJoin(left))
	}
	if back := diffMinus(diffMinus(ou, nu), d.gone); len(back) > 0 {
		d.say("Now in a wave: %s.", diffJoin(back))
	}
}

func (d *differ) waves() {
	old, cur := d.op.Rollout.Waves, d.np.Rollout.Waves
	match := make([]int, len(cur))
	used := make([]bool, len(old))
	for i, n := range cur {
		match[i] = -1
		for j, o := range old {
			if !used[j] && strings.EqualFold(o.Name, n.Name) {
				match[i], used[j] = j, true
				break
			}
		}
	}
	for i := range cur { // same place, new name: a renamed wave
		if match[i] < 0 && i < len(old) && !used[i] {
			match[i], used[i] = i, true
		}
	}
	oldAll, newAll := len(d.op.Populations), len(d.np.Populations)
	for j, o := range old {
		if !used[j] {
			d.say("%s removed.", waveName(o.Name, j))
		}
	}
	var kept []int // old index of each kept wave, in the new order
	for i, n := range cur {
		if match[i] < 0 {
			var what []string
			if n.Group != "" {
				what = append(what, "group "+inQuotes(n.Group))
			}
			if n.Start != "" {
				what = append(what, "from "+LongDate(n.Start))
			}
			what = append(what, "covering "+waveCoverage(n.Populations, d.newNames, newAll))
			d.say("%s added: %s.", waveName(n.Name, i), strings.Join(what, ", "))
			continue
		}
		o := old[match[i]]
		kept = append(kept, match[i])
		var parts []string
		if o.Name != n.Name {
			parts = append(parts, "renamed from "+inQuotes(o.Name))
		}
		if s := dateChange(o.Start, n.Start); s != "" {
			parts = append(parts, s)
		}
		switch {
		case o.Group == n.Group:
		case o.Group == "":
			parts = append(parts, "now uses the group "+inQuotes(n.Group))
		case n.Group == "":
			parts = append(parts, "no longer names a group (it was "+inQuotes(o.Group)+")")
		default:
			parts = append(parts, fmt.Sprintf("now uses the group %s instead of %s", inQuotes(n.Group), inQuotes(o.Group)))
		}
		parts = append(parts, d.coverageChange(o.Populations, n.Populations, oldAll, newAll)...)
		if len(parts) > 0 {
			d.say("%s %s.", waveName(n.Name, i), strings.Join(parts, "; "))
		}
	}
	if !slices.IsSorted(kept) {
		var names []string
		for i := range cur {
			if match[i] >= 0 {
				names = append(names, waveName(cur[i].Name, i))
			}
		}
		d.say("The waves are now in this order: %s.", strings.Join(names, ", "))
	}
}

// waveName is the wave as the plan names it ("Wave 2"), quoted after the
// word wave when its name does not start with it, or its number.
func waveName(name string, i int) string {
	switch {
	case name == "":
		return fmt.Sprintf("Wave %d", i+1)
	case len(name) >= 4 && strings.EqualFold(name[:4], "wave"):
		return name
	}
	return "Wave " + inQuotes(name)
}

// coverage names the groups a wave covers.
func waveCoverage(ids []string, names map[string]string, all int) string {
	if len(ids) == 0 {
		return "no device group"
	}
	if len(ids) > 1 && len(ids) == all {
		return "every device group"
	}
	return diffJoin(diffNames(ids, names))
}

// coverageChange says which device groups a wave gained or lost.
func (d *differ) coverageChange(o, n []string, oldAll, newAll int) []string {
	oc, nc := waveCoverage(o, d.oldNames, oldAll), waveCoverage(n, d.newNames, newAll)
	if oc == nc {
		return nil
	}
	if strings.HasPrefix(oc, "every") || strings.HasPrefix(nc, "every") {
		return []string{fmt.Sprintf("now covers %s instead of %s", nc, oc)}
	}
	return d.blockChange(o, n, "covers")
}

// dateChange says how a date moved: "moved from 8 Feb to 15 Feb 2027",
// "now starts on …", "no longer has a start date", or "" when unchanged.
func dateChange(o, n string) string {
	switch {
	case o == n:
		return ""
	case o == "":
		return "now starts on " + LongDate(n)
	case n == "":
		return "no longer has a start date (it was " + LongDate(o) + ")"
	}
	return "moved from " + LongDateRange(o, n)
}

func diffGroupNames(p *Plan) map[string]string {
	m := map[string]string{}
	for _, pop := range p.Populations {
		m[pop.ID] = pop.Name
	}
	return m
}

func diffIDs(p *Plan) []string {
	var out []string
	for _, pop := range p.Populations {
		out = append(out, pop.ID)
	}
	return out
}

// nameSet turns ids into names, once each, in first-seen order; an id the
// plan does not know is left out rather than shown.
func diffNames(ids []string, names map[string]string) []string {
	var out []string
	for _, id := range ids {
		if n, ok := names[id]; ok && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func diffMinus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func diffIntersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// diffJoin lists names as "a, b and c", or says "nothing".
func diffJoin(words []string) string {
	if len(words) == 0 {
		return "nothing"
	}
	return JoinAnd(words)
}

func diffTri(v *bool) string {
	switch {
	case v == nil:
		return "not sure"
	case *v:
		return "yes"
	}
	return "no"
}

func diffWord(words map[string]string, v string) string {
	if w, ok := words[v]; ok {
		return w
	}
	return v
}

func diffOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

// lowerInitial lowers a method name's first letter unless it is a name
// ("Automated Device Enrollment" stays; "App protection" becomes "app protection").
func diffLowerName(s string) string {
	f := strings.Fields(s)
	if len(f) > 1 && len(f[1]) > 0 && f[1][0] >= 'a' && f[1][0] <= 'z' {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}
