package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Build computes the plan for a set of answers. It is pure and
// deterministic: the same answers and catalog give the same plan. Invalid
// answers return a *ValidationError.
func (c *Catalog) Build(a Answers) (*Plan, error) {
	if err := c.Validate(&a); err != nil {
		return nil, err
	}
	b := builder{c: c, a: &a, cloud: a.Tenant.EffectiveCloud(), blockers: map[string]blockerInfo{}}
	return b.build(), nil
}

type builder struct {
	c        *Catalog
	a        *Answers
	cloud    string
	pops     []*popState
	blockers map[string]blockerInfo // warning id → how the summary names it
}

// blockerInfo is what the summary says about a blocker that is not a
// missing prerequisite.
type blockerInfo struct{ title, task, owner string }

// facts are what the rules see of a population: its answers, with in_use
// and managed_by settled to the planner's answer or the safer reading.
type facts struct {
	Population
	inUse     bool
	managedBy string
}

// popState carries what the builder decided for one population.
type popState struct {
	f      facts
	out    PopulationPlan
	method *MethodDef
	needs  map[string]bool // prerequisite ids
	// probe marks a what-if run for an assumption: only what describeDiff
	// compares (method, factory reset, step ids and titles) is computed,
	// plus the summary's blocker notes every run leaves behind.
	probe bool
}

// Safer readings of unknown answers: devices already in use (nothing is
// planned that relies on a new device's setup screens, and no method is
// picked that would wipe a device in use when one that doesn't exists), and
// no MDM today (the planner is told what changes if another MDM or
// Configuration Manager manages them).
const (
	saferInUse     = true
	saferManagedBy = ManagedNone
)

func (b *builder) facts(in Population) facts {
	f := facts{Population: in, inUse: saferInUse, managedBy: in.KnownManagedBy()}
	if in.InUse != nil {
		f.inUse = *in.InUse
	}
	if f.managedBy == "" && in.Platform == "windows" && in.CurrentlyManagedByOtherMDM != nil && isNo(b.a.Tenant.ConfigMgr) {
		f.managedBy = ManagedNone // not another MDM, and the tenant has no Configuration Manager
	}
	if f.managedBy == "" {
		f.managedBy = saferManagedBy
	}
	return f
}

func isNo(v *bool) bool { return v != nil && !*v }

func (b *builder) build() *Plan {
	p := &Plan{
		Schema:       PlanSchema,
		Ruleset:      b.c.Ruleset,
		Organization: strings.TrimSpace(b.a.Organization),
		Knowledge:    b.c.knowledge,
	}
	p.Knowledge.Cloud = b.cloud
	p.Knowledge.CloudName = b.c.cloudName(b.cloud)
	ids := assignIDs(b.a.Populations)
	var assumptions []Assumption
	for i, in := range b.a.Populations {
		ps := b.newPop(ids[i], in, b.facts(in))
		b.population(ps)
		b.pops = append(b.pops, ps)
		assumptions = append(assumptions, b.assumptions(ps)...)
	}
	p.Prerequisites = b.prerequisites()
	status := map[string]string{}
	for _, pr := range p.Prerequisites {
		status[pr.ID] = pr.Status
	}
	for _, ps := range b.pops {
		b.prereqWarnings(ps, status)
		sortWarnings(ps.out.Warnings)
	}
	p.Baseline = b.baseline()
	for _, ps := range b.pops {
		p.Populations = append(p.Populations, ps.out)
	}
	p.Rollout = b.rollout(p)
	p.TenantCheck = b.tenantReading(p)
	p.Tasks = b.tasks(p)
	for _, r := range b.c.ResetOverview {
		p.ResetOverview = append(p.ResetOverview, ResetRow{Mode: r.Mode, Required: r.Required, Note: r.Note, Sources: b.c.SourceURLs(r.Sources)})
	}
	p.Summary = b.summarize(p)
	p.References = b.references(p)
	p.Summary.Assumptions = assumptions
	if p.Summary.Assumptions == nil {
		p.Summary.Assumptions = []Assumption{}
	}
	return p
}

func (b *builder) newPop(id string, in Population, f facts) *popState {
	ps := &popState{f: f, needs: map[string]bool{}}
	ps.out = PopulationPlan{
		ID:                         id,
		Name:                       strings.TrimSpace(in.Name),
		Platform:                   in.Platform,
		PlatformName:               b.c.platform[in.Platform].Name,
		Ownership:                  in.Ownership,
		Usage:                      in.EffectiveUsage(),
		Devices:                    in.Devices,
		InUse:                      f.inUse,
		ManagedBy:                  f.managedBy,
		CurrentlyManagedByOtherMDM: f.managedBy == ManagedOtherMDM,
	}
	if ps.out.Name == "" {
		ps.out.Name = capitalize(in.Ownership) + " " + ps.out.PlatformName
	}
	return ps
}

// assumptions says, for each unknown answer whose other readings would
// change this population's method, reset or steps, which reading the plan
// used and what the others would change.
func (b *builder) assumptions(ps *popState) []Assumption {
	in := ps.f.Population
	var out []Assumption
	try := func(f facts) *popState {
		alt := b.newPop(ps.out.ID, in, f)
		alt.probe = true
		b.population(alt)
		return alt
	}
	if in.InUse == nil {
		f := ps.f
		f.inUse = !saferInUse
		if d := describeDiff(ps, try(f)); d != "" {
			out = append(out, Assumption{Population: ps.out.ID, Field: "in_use",
				Text: "Assumed these devices are already in use, the safer reading. If they are new and not yet handed out, " + d})
		}
	}
	if in.KnownManagedBy() == "" && ps.f.managedBy == saferManagedBy {
		var ds []string
		for _, alt := range []struct{ value, who string }{{ManagedOtherMDM, "another MDM"}, {ManagedConfigMgr, "Configuration Manager"}} {
			if alt.value == ManagedConfigMgr && in.Platform != "windows" {
				continue
			}
			f := ps.f
			f.managedBy = alt.value
			if d := describeDiff(ps, try(f)); d != "" {
				ds = append(ds, "If "+alt.who+" manages them today, "+d)
			}
		}
		if len(ds) > 0 {
			out = append(out, Assumption{Population: ps.out.ID, Field: "managed_by",
				Text: "Assumed no MDM and no Configuration Manager manages these devices today. " + strings.Join(ds, " ")})
		}
	}
	return out
}

// describeDiff says in words how plan y differs from plan x for the same
// population, or "" when method, reset and steps are the same.
func describeDiff(x, y *popState) string {
	var parts []string
	if x.out.Method.ID != y.out.Method.ID {
		parts = append(parts, fmt.Sprintf("the method would be %s instead of %s", y.out.Method.Name, x.out.Method.Name))
	}
	if xr, yr := x.out.FactoryReset.Required && x.f.inUse, y.out.FactoryReset.Required && y.f.inUse; xr != yr {
		if yr {
			parts = append(parts, "the devices would have to be factory reset")
		} else {
			parts = append(parts, "no factory reset would be needed")
		}
	}
	if x.out.Method.ID == y.out.Method.ID {
		added, dropped := stepDiff(x.out.Steps, y.out.Steps)
		if len(added) > 0 {
			parts = append(parts, "the plan would add: "+quoteTitles(added))
		}
		if len(dropped) > 0 {
			parts = append(parts, "the plan would leave out: "+quoteTitles(dropped))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "."
}

func stepDiff(x, y []Step) (added, dropped []string) {
	has := func(list []Step, id string) bool {
		return slices.ContainsFunc(list, func(s Step) bool { return s.ID == id })
	}
	for _, s := range y {
		if !has(x, s.ID) {
			added = append(added, s.Title)
		}
	}
	for _, s := range x {
		if !has(y, s.ID) {
			dropped = append(dropped, s.Title)
		}
	}
	return added, dropped
}

// quoteTitles lists up to three step titles, then how many more.
func quoteTitles(titles []string) string {
	const show = 3
	q := make([]string, 0, show)
	for i, t := range titles {
		if i == show {
			break
		}
		q = append(q, "\u201c"+t+"\u201d")
	}
	s := strings.Join(q, ", ")
	if n := len(titles) - show; n > 0 {
		s += fmt.Sprintf(" and %s", plural(n, "more step", "more steps"))
	}
	return s
}

// PopulationIDs are the ids the plan gives the populations: each given id,
// and for the others one made from platform and ownership, never colliding
// with an id given elsewhere. Waves name populations by these ids.
func PopulationIDs(pops []Population) []string { return assignIDs(pops) }

func assignIDs(pops []Population) []string {
	taken := map[string]bool{}
	for _, p := range pops {
		if p.ID != "" {
			taken[p.ID] = true
		}
	}
	ids := make([]string, len(pops))
	for i, p := range pops {
		if p.ID != "" {
			ids[i] = p.ID
			continue
		}
		base := p.Platform + "-" + p.Ownership
		id := base
		for n := 2; taken[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		taken[id] = true
		ids[i] = id
	}
	return ids
}

func (b *builder) population(ps *popState) {
	c, f := b.c, ps.f
	rec, skipped := b.recommend(f)
	recMethod := c.methods[rec.Method]
	chosen := recMethod
	switch {
	case !f.Enrolls() || f.Method == MethodMAMWE:
		chosen = c.methods[MethodMAMWE]
	case f.Method != "":
		chosen = c.methods[f.Method]
	}
	ps.method = chosen
	ps.out.Enroll = chosen.Enrolls
	misfit := b.notFor(chosen, f)
	if ps.probe {
		b.probe(ps, recMethod, misfit)
		return
	}
	m := Method{
		ID:           chosen.ID,
		Name:         chosen.Name,
		Summary:      chosen.Summary,
		UserAffinity: chosen.UserAffinity,
		MinOS:        chosen.minOS(f.Platform).Text,
		DEM:          chosen.DEM.Note,
		Sources:      c.SourceURLs(chosen.Sources),
	}
	switch {
	case chosen == recMethod:
		m.Recommended, m.Why, m.Rule = true, rec.Why, rec.ID
		m.Sources = c.SourceURLs(rec.Sources, chosen.Sources)
		for _, av := range skipped {
			m.Why = av.Text + " " + m.Why
			m.Sources = c.SourceURLs(av.Sources, rec.Sources, chosen.Sources)
		}
	case chosen.ID == MethodMAMWE && f.Method == "":
		m.Recommended = misfit == nil
		m.Rule = "asked-app-protection"
		m.Why = "You asked for app protection without enrollment. " + chosen.Summary
		if misfit == nil {
			m.Why += " It fits personal devices with one user."
		}
	default:
		m.Rule = "chosen"
		m.Why = fmt.Sprintf("Chosen in the answers. For these devices the recommendation would be %s: %s", recMethod.Name, rec.Why)
	}
	ps.out.Method = m
	if misfit != nil {
		sev := SevBlocker
		if !chosen.Enrolls {
			sev = SevWarning // app protection still protects data; it is a weak fit, not an impossibility
		}
		id := chosen.ID + ".misfit"
		b.warn(ps, Warning{ID: id, Severity: sev, Text: fmt.Sprintf("%s does not fit these devices: %s", chosen.Name, misfit.Text), Sources: c.SourceURLs(misfit.Sources)})
	}
	for _, av := range c.unavailable(b.cloud, chosen.ID) {
		w := Warning{ID: "cloud." + av.ID, Severity: av.Severity, Text: av.Text, Sources: c.SourceURLs(av.Sources)}
		if av.Severity == SevBlocker && chosen != recMethod {
			w.Text += fmt.Sprintf(" Use %s instead.", recMethod.Name)
		}
		b.warn(ps, w)
	}
	b.noteBlockers(chosen, recMethod, misfit)
	if rec.Warning != nil && chosen == recMethod && b.match(rec.Warning.When, f) {
		b.warn(ps, b.warning(*rec.Warning))
	}

	// Factory reset: the first matching rule of the method.
	ps.out.FactoryReset = b.reset(chosen, f)
	if !ps.out.FactoryReset.Required && chosen.Enrolls {
		ps.out.FactoryReset.Why += " " + c.SettingsStay.Text
		b.warn(ps, Warning{ID: c.SettingsStay.ID, Severity: SevInfo, Text: c.SettingsStay.Text, Sources: c.SourceURLs(c.SettingsStay.Sources)})
	}

	b.alternatives(ps, rec, recMethod)

	// Prerequisites this population needs.
	for _, pr := range c.Prerequisites {
		if pr.Always {
			ps.needs[pr.ID] = true
		}
	}
	for _, id := range chosen.Prerequisites {
		ps.needs[id] = true
	}
	leaving := f.managedBy == ManagedOtherMDM && chosen.Enrolls // app protection can live beside another MDM
	if leaving {
		ps.needs["unenroll-existing-mdm"] = true
	}
	if b.a.BulkEnrollmentByStaff && chosen.DEM.Supported {
		ps.needs["dem-account"] = true
	}
	for _, pr := range c.Prerequisites {
		if ps.needs[pr.ID] {
			ps.out.Prerequisites = append(ps.out.Prerequisites, pr.ID)
		}
	}

	// Steps, then ordered by kind: set up the tenant, prepare device
	// records, leave the old MDM, wipe, enroll, verify, hand over.
	for _, s := range chosen.AdminSteps {
		b.step(ps, ActorAdmin, s)
	}
	if leaving {
		for _, s := range c.Unenroll.Steps {
			b.step(ps, ActorAdmin, s)
		}
		b.warn(ps, Warning{ID: c.Unenroll.Warning.ID, Severity: SevInfo, Text: c.Unenroll.Warning.Text, Sources: c.SourceURLs(c.Unenroll.Warning.Sources)})
	}
	if ps.out.FactoryReset.Required && f.inUse {
		b.step(ps, ActorAdmin, c.ResetStep)
	}
	for _, s := range chosen.UserSteps {
		b.step(ps, ActorUser, s)
	}
	slices.SortStableFunc(ps.out.Steps, func(x, y Step) int { return cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)) })

	for _, w := range chosen.Warnings {
		if b.applies(w.Platforms, w.When, f) {
			b.warn(ps, b.warning(w))
		}
	}
	if b.a.BulkEnrollmentByStaff {
		b.demWarning(ps)
	}
}

// noteBlockers records how the summary names the blockers of a method
// that does not fit, or that the cloud does not offer. Every run records
// them, what-if runs for assumptions included (a later run's words win).
func (b *builder) noteBlockers(chosen, recMethod *MethodDef, misfit *TextDef) {
	if misfit != nil {
		b.blockers[chosen.ID+".misfit"] = blockerInfo{title: chosen.Name + " does not fit these devices", task: "Choose another method: " + recMethod.Name + " is the recommendation", owner: "The plan's author"}
	}
	for _, av := range b.c.unavailable(b.cloud, chosen.ID) {
		if av.Severity == SevBlocker {
			b.blockers["cloud."+av.ID] = blockerInfo{title: fmt.Sprintf("%s is not available in %s", chosen.Name, b.c.cloudName(b.cloud)), task: "Choose a method this cloud offers", owner: "The plan's author"}
		}
	}
}

// probe is population for a what-if run: the method, the factory reset and
// the steps (ids, titles and order, without sources), which is all that
// describeDiff compares.
func (b *builder) probe(ps *popState, recMethod *MethodDef, misfit *TextDef) {
	c, f, chosen := b.c, ps.f, ps.method
	ps.out.Method = Method{ID: chosen.ID, Name: chosen.Name}
	b.noteBlockers(chosen, recMethod, misfit)
	for _, r := range chosen.Reset {
		if b.match(r.When, f) {
			ps.out.FactoryReset.Required = r.Required
			break
		}
	}
	steps := make([]Step, 0, len(chosen.AdminSteps)+len(chosen.UserSteps)+len(c.Unenroll.Steps)+1)
	add := func(actor string, s StepDef) {
		if b.applies(s.Platforms, s.When, f) {
			steps = append(steps, Step{ID: s.ID, Actor: actor, Kind: s.Kind, Title: s.Title})
		}
	}
	for _, s := range chosen.AdminSteps {
		add(ActorAdmin, s)
	}
	if f.managedBy == ManagedOtherMDM && chosen.Enrolls {
		for _, s := range c.Unenroll.Steps {
			add(ActorAdmin, s)
		}
	}
	if ps.out.FactoryReset.Required && f.inUse {
		add(ActorAdmin, c.ResetStep)
	}
	for _, s := range chosen.UserSteps {
		add(ActorUser, s)
	}
	slices.SortStableFunc(steps, func(x, y Step) int { return cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)) })
	ps.out.Steps = steps
}

// reset returns the factory-reset decision of a method for a population:
// the first of its rules that matches.
func (b *builder) reset(m *MethodDef, f facts) FactoryReset {
	for _, r := range m.Reset {
		if b.match(r.When, f) {
			return FactoryReset{Required: r.Required, Why: r.Why, Rule: r.Rule, Sources: b.c.SourceURLs(r.Sources)}
		}
	}
	return FactoryReset{} // unreachable: validated, the last rule has no condition
}

// alternatives lists every other method of the platform with why it is not
// the one used. A method counts as fitting only if these devices can use it
// as they are: one the method's own rules exclude, or one that would wipe
// devices in use that the chosen method enrolls without a reset, goes to
// Unsuitable with the reason.
func (b *builder) alternatives(ps *popState, rec *Recommendation, recMethod *MethodDef) {
	c, f, chosen := b.c, ps.f, ps.method
	ps.out.Alternatives, ps.out.Unsuitable = []Alternative{}, []Alternative{}
	chosenWipes := ps.out.FactoryReset.Required
	for _, alt := range c.MethodsFor(f.Platform) {
		if alt == chosen {
			continue
		}
		a := Alternative{ID: alt.ID, Name: alt.Name, Fits: true}
		avs := c.unavailable(b.cloud, alt.ID)
		switch {
		case len(avs) > 0 && avs[0].Severity == SevBlocker:
			a.Fits, a.WhyNot, a.Sources = false, avs[0].Text, c.SourceURLs(avs[0].Sources)
		case b.notFor(alt, f) != nil:
			nf := b.notFor(alt, f)
			a.Fits, a.WhyNot, a.Sources = false, nf.Text, c.SourceURLs(nf.Sources)
		case f.inUse && chosen.Enrolls && !chosenWipes && b.reset(alt, f).Required:
			r := b.reset(alt, f)
			a.Fits, a.WhyNot, a.Sources = false, fmt.Sprintf("It would need these devices, already in use, to be factory reset, which %s avoids. %s", chosen.Name, r.Why), r.Sources
		case alt == recMethod:
			a.WhyNot, a.Sources = "This is the recommendation for these devices: "+rec.Why, c.SourceURLs(rec.Sources)
		case overReason(rec, alt.ID) != nil:
			o := overReason(rec, alt.ID)
			a.WhyNot, a.Sources = o.Text, c.SourceURLs(o.Sources)
		default:
			a.WhyNot, a.Sources = alt.TradeOff.Text, c.SourceURLs(alt.TradeOff.Sources)
		}
		if a.Fits {
			ps.out.Alternatives = append(ps.out.Alternatives, a)
		} else {
			ps.out.Unsuitable = append(ps.out.Unsuitable, a)
		}
	}
}

// recommend returns the first recommendation of the platform that matches
// and whose method the tenant's cloud offers, with the availability notes of
// the recommendations it passed over for that reason.
func (b *builder) recommend(f facts) (*Recommendation, []*AvailabilityDef) {
	recs := b.c.platform[f.Platform].Recommendations
	var skipped []*AvailabilityDef
	var first *Recommendation
	for i := range recs {
		if !b.match(recs[i].When, f) {
			continue
		}
		if first == nil {
			first = &recs[i]
		}
		if avs := b.c.unavailable(b.cloud, recs[i].Method); len(avs) > 0 && avs[0].Severity == SevBlocker {
			if !slices.Contains(skipped, avs[0]) {
				skipped = append(skipped, avs[0])
			}
			continue
		}
		return &recs[i], skipped
	}
	// Nothing this cloud offers fits: keep the method that fits these
	// devices best, and let its availability blocker say so.
	return first, nil // validated: the last recommendation has no condition, so one matched
}

// notFor returns why a method does not fit a population, or nil.
func (b *builder) notFor(m *MethodDef, f facts) *TextDef {
	for i := range m.NotFor {
		if b.match(m.NotFor[i].When, f) {
			return &m.NotFor[i]
		}
	}
	if !contains(m.Ownership, f.Ownership) || !contains(m.Usage, f.EffectiveUsage()) {
		return &TextDef{Text: fmt.Sprintf("It is for %s devices used by %s.", strings.Join(m.Ownership, " or "), strings.Join(m.Usage, " or ")), Sources: m.Sources}
	}
	return nil
}

func overReason(r *Recommendation, method string) *OverReason {
	for i := range r.Over {
		if r.Over[i].Method == method {
			return &r.Over[i]
		}
	}
	return nil
}

// applies reports whether an item scoped to platforms (none: all of its
// method's) and a condition applies to a population.
func (b *builder) applies(platforms []string, w *Cond, f facts) bool {
	return (len(platforms) == 0 || contains(platforms, f.Platform)) && b.match(w, f)
}

// match reports whether a condition holds for a population.
func (b *builder) match(w *Cond, f facts) bool {
	if w == nil {
		return true
	}
	if len(w.Ownership) > 0 && !contains(w.Ownership, f.Ownership) {
		return false
	}
	if len(w.Usage) > 0 && !contains(w.Usage, f.EffectiveUsage()) {
		return false
	}
	if w.PersonalUse != nil && (f.PersonalUse != nil && *f.PersonalUse) != *w.PersonalUse {
		return false
	}
	if w.InUse != nil && f.inUse != *w.InUse {
		return false
	}
	if len(w.ManagedBy) > 0 && !contains(w.ManagedBy, f.managedBy) {
		return false
	}
	if w.BulkByStaff != nil && b.a.BulkEnrollmentByStaff != *w.BulkByStaff {
		return false
	}
	if w.DevicesOver > 0 && f.Devices <= w.DevicesOver {
		return false
	}
	if len(w.Cloud) > 0 && !contains(w.Cloud, b.cloud) {
		return false
	}
	for field, want := range w.Tenant {
		if !contains(want, yesNo(tenantBool(b.a.Tenant, field))) {
			return false
		}
	}
	return true
}

// tenantBool reads a yes/no tenant answer by its JSON name.
func tenantBool(t Tenant, field string) *bool {
	switch field {
	case "licenses_assigned":
		return t.LicensesAssigned
	case "groups_ready":
		return t.GroupsReady
	case "entra_premium":
		return t.EntraPremium
	case "configmgr":
		return t.ConfigMgr
	case "apple_mdm_push_certificate":
		return t.AppleMDMPushCertificate
	case "apple_business_manager":
		return t.AppleBusinessManager
	case "managed_google_play":
		return t.ManagedGooglePlay
	}
	return nil
}

func yesNo(v *bool) string {
	switch {
	case v == nil:
		return "unknown"
	case *v:
		return "yes"
	}
	return "no"
}

// status derives a prerequisite's status from the tenant answers.
func (b *builder) status(pr *PrereqDef) string {
	sf := pr.StatusFrom
	if sf == nil {
		return StatusTodo
	}
	var v string
	switch sf.Field {
	case "mdm_authority":
		v = b.a.Tenant.MDMAuthority
	case "admin_role":
		v = b.a.Tenant.AdminRole
	default:
		switch yesNo(tenantBool(b.a.Tenant, sf.Field)) {
		case "yes":
			return StatusDone
		case "no":
			return StatusTodo
		}
		return StatusUnknown
	}
	switch {
	case contains(sf.Done, v):
		return StatusDone
	case contains(sf.Todo, v):
		return StatusTodo
	}
	return StatusUnknown
}

func (b *builder) step(ps *popState, actor string, s StepDef) {
	if !b.applies(s.Platforms, s.When, ps.f) {
		return
	}
	ps.out.Steps = append(ps.out.Steps, Step{ID: s.ID, Actor: actor, Kind: s.Kind, Title: s.Title, Detail: s.Detail, Sources: b.c.SourceURLs(s.Sources)})
}

func (b *builder) warning(w WarningDef) Warning {
	return Warning{ID: w.ID, Severity: w.Severity, Text: w.Text, Sources: b.c.SourceURLs(w.Sources)}
}

func (b *builder) warn(ps *popState, w Warning) {
	for _, have := range ps.out.Warnings {
		if have.ID == w.ID {
			return
		}
	}
	ps.out.Warnings = append(ps.out.Warnings, w)
}

// demWarning says how many DEM accounts a population needs, or that DEM
// cannot enroll it.
func (b *builder) demWarning(ps *popState) {
	m, dem := ps.method, b.c.DEM
	if !m.DEM.Supported {
		b.warn(ps, Warning{ID: "dem.not-supported", Severity: SevInfo,
			Text:    fmt.Sprintf("IT staff cannot use a device enrollment manager account for %s. %s", m.Name, m.DEM.Note),
			Sources: b.c.SourceURLs(m.DEM.Sources)})
		return
	}
	per := dem.MaxDevices
	if m.DEM.MaxDevices > 0 && m.DEM.MaxDevices < per {
		per = m.DEM.MaxDevices
	}
	need := max(1, (ps.f.Devices+per-1)/per)
	text := fmt.Sprintf("%s For %s, one DEM account enrolls up to %d devices, so %d devices need %s.", dem.Text, m.Name, per, ps.f.Devices, plural(need, "DEM account", "DEM accounts"))
	sev := SevInfo
	if need > dem.MaxAccounts {
		sev = SevWarning
		text += fmt.Sprintf(" That is more than the %d a tenant can have: let users enroll part of these devices themselves.", dem.MaxAccounts)
	}
	b.warn(ps, Warning{ID: "dem.capacity", Severity: sev, Text: text, Sources: b.c.SourceURLs(dem.Sources, m.DEM.Sources)})
}

// prerequisites aggregates what the populations need, in checklist order.
func (b *builder) prerequisites() []Prerequisite {
	var out []Prerequisite
	for _, def := range b.c.Prerequisites {
		pr := Prerequisite{ID: def.ID, Title: def.Title, Task: def.Task, Detail: def.Detail, Owner: def.Owner, Status: b.status(def), Sources: b.c.SourceURLs(def.Sources)}
		for _, ps := range b.pops {
			if ps.needs[def.ID] {
				pr.AppliesTo = append(pr.AppliesTo, ps.out.ID)
			}
		}
		// CONTRACT §5: with bulk enrollment by staff the DEM account stays in
		// the plan even when no method of the fleet can use one.
		keepDEM := def.ID == "dem-account" && b.a.BulkEnrollmentByStaff
		if len(pr.AppliesTo) == 0 && !keepDEM {
			continue
		}
		if pr.AppliesTo == nil {
			pr.AppliesTo = []string{}
		}
		if def.Blocking && pr.Status != StatusDone {
			pr.Blocks = pr.AppliesTo
		} else {
			pr.Blocks = []string{}
		}
		switch def.ID {
		case "supported-os":
			// By method, not population name: details are catalog prose and
			// must not carry planner-typed text into renderers.
			var lines []string
			for _, ps := range b.pops {
				line := fmt.Sprintf("%s: %s.", ps.method.Name, strings.TrimSuffix(ps.method.minOS(ps.f.Platform).Text, "."))
				if !slices.Contains(lines, line) {
					lines = append(lines, line)
				}
			}
			pr.Minimums = lines
			pr.Detail += minimumsIntro + strings.Join(lines, " ")
			pr.Sources = b.c.SourceURLs(def.Sources, b.minOSSources())
		case "dem-account":
			pr.Detail = b.c.DEM.Text + " " + pr.Detail
			if len(pr.AppliesTo) == 0 {
				pr.Detail += " None of this plan's methods can use one; they enroll in bulk without it: " + b.demlessNotes()
			}
		}
		out = append(out, pr)
	}
	return out
}

const minimumsIntro = " Minimums for this plan: "

// demlessNotes says, method by method, how the fleet's methods enroll in
// bulk without a device enrollment manager.
func (b *builder) demlessNotes() string {
	var notes []string
	for _, ps := range b.pops {
		n := ps.method.Name + ": " + strings.TrimSuffix(ps.method.DEM.Note, ".") + "."
		if !slices.Contains(notes, n) {
			notes = append(notes, n)
		}
	}
	return strings.Join(notes, " ")
}

func (b *builder) minOSSources() []string {
	var ids []string
	for _, ps := range b.pops {
		ids = append(ids, ps.method.minOS(ps.f.Platform).Sources...)
	}
	return ids
}

// prereqWarnings turns unmet blocking prerequisites into warnings: a missing
// one is a blocker, an unconfirmed one a warning.
func (b *builder) prereqWarnings(ps *popState, status map[string]string) {
	for _, id := range ps.out.Prerequisites {
		def := b.c.prereqs[id]
		if !def.Blocking {
			continue
		}
		switch status[id] {
		case StatusTodo:
			b.warn(ps, Warning{ID: "blocked-by-" + id, Severity: SevBlocker,
				Text:    fmt.Sprintf("Not in place: %s. %s cannot enroll these devices until it is. To do: %s.", def.Title, ps.method.Name, def.Task),
				Sources: b.c.SourceURLs(def.Sources)})
		case StatusUnknown:
			b.warn(ps, Warning{ID: "unconfirmed-" + id, Severity: SevWarning,
				Text:    fmt.Sprintf("Not known yet whether this is in place: %s. %s needs it, so check it before the pilot. If it is missing: %s.", def.Title, ps.method.Name, def.Task),
				Sources: b.c.SourceURLs(def.Sources)})
		}
	}
}

var severityRank = map[string]int{SevBlocker: 0, SevWarning: 1, SevInfo: 2}

func sortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(x, y Warning) int { return cmp.Compare(severityRank[x.Severity], severityRank[y.Severity]) })
}

// baseline maps the planner's baseline policies to populations. A free-text
// item that names a known policy (BitLocker, FileVault) goes to that
// policy's platforms only.
func (b *builder) baseline() []BaselineItem {
	var out []BaselineItem
	for _, raw := range b.a.Baseline {
		item := strings.TrimSpace(raw)
		def := b.c.baseline(item)
		bi := BaselineItem{ID: item, AppliesTo: []string{}, NotFor: []string{}}
		if def == nil {
			def = b.c.baselineFor(item)
			bi.ID = "custom"
			bi.Title = item
		} else {
			bi.Title = def.Title
		}
		bi.Detail, bi.Platforms, bi.Sources = def.Detail, def.Platforms, b.c.SourceURLs(def.Sources)
		for _, ps := range b.pops {
			ex := exceptFor(def, ps.method.ID)
			switch {
			case !contains(def.Platforms, ps.f.Platform):
				bi.NotFor = append(bi.NotFor, fmt.Sprintf("%s: %s does not apply to %s.", ps.out.Name, bi.Title, ps.out.PlatformName))
			case ex != nil:
				bi.NotFor = append(bi.NotFor, fmt.Sprintf("%s: %s", ps.out.Name, ex.Text))
			default:
				bi.AppliesTo = append(bi.AppliesTo, ps.out.ID)
				ps.out.Baseline = append(ps.out.Baseline, bi.Title)
			}
		}
		out = append(out, bi)
	}
	return out
}

func exceptFor(def *BaselineDef, method string) *TextDef {
	for i := range def.Except {
		if def.Except[i].ID == method {
			return &def.Except[i]
		}
	}
	return nil
}

func (b *builder) rollout(p *Plan) RolloutPlan {
	r := RolloutPlan{PilotGroup: strings.TrimSpace(b.a.Rollout.PilotGroup), PilotStart: b.a.Rollout.PilotStart, Waves: []WavePlan{}, Unassigned: []string{}, Warnings: []Warning{}}
	named := r.PilotGroup != ""
	if !named {
		r.PilotGroup = b.c.Rollout.DefaultPilotGroup
	}
	r.LastStart = r.PilotStart
	for i, s := range b.c.Rollout.Steps {
		st := Step{ID: s.ID, Actor: ActorAdmin, Kind: s.Kind, Title: s.Title, Detail: s.Detail, Sources: b.c.SourceURLs(s.Sources)}
		if i == 0 {
			st.Title += fmt.Sprintf(" %q", r.PilotGroup)
			if !named {
				st.Detail = fmt.Sprintf("No pilot group was named; %q is a suggestion. ", r.PilotGroup) + st.Detail
			}
			if r.PilotStart != "" {
				st.Title += " before the pilot starts on " + LongDate(r.PilotStart)
			}
		}
		r.Steps = append(r.Steps, st)
	}
	devices := map[string]int{}
	var all []string
	for _, pop := range p.Populations {
		devices[pop.ID] = pop.Devices
		all = append(all, pop.ID)
	}
	covered := map[string]bool{}
	ws := b.c.Rollout.WaveStep
	for i, w := range b.a.Rollout.Waves {
		wp := WavePlan{Name: strings.TrimSpace(w.Name), Group: strings.TrimSpace(w.Group), Start: w.Start, Populations: w.Populations}
		if wp.Populations == nil {
			wp.Populations = all
		}
		for _, id := range wp.Populations {
			wp.Devices += devices[id]
			covered[id] = true
		}
		r.Waves = append(r.Waves, wp)
		if wp.Start > r.LastStart {
			r.LastStart = wp.Start
		}
		when := ""
		if wp.Start != "" {
			when = " from " + LongDate(wp.Start)
		}
		r.Steps = append(r.Steps, Step{
			ID: fmt.Sprintf("%s-%d", ws.ID, i+1), Actor: ActorAdmin, Kind: ws.Kind,
			Title:   fmt.Sprintf("%s%s: %s %q (%s)", wp.Name, when, strings.ToLower(ws.Title[:1])+ws.Title[1:], wp.Group, plural(wp.Devices, "device", "devices")),
			Detail:  ws.Detail,
			Sources: b.c.SourceURLs(ws.Sources),
		})
	}
	if len(b.a.Rollout.Waves) == 0 {
		r.Steps = append(r.Steps, Step{ID: ws.ID, Actor: ActorAdmin, Kind: ws.Kind, Title: ws.Title + " of each wave, once the pilot passes",
			Detail: "No waves were given: plan them by department or site, a few hundred users each. " + ws.Detail, Sources: b.c.SourceURLs(ws.Sources)})
	} else {
		for _, id := range all {
			if !covered[id] {
				r.Unassigned = append(r.Unassigned, id)
			}
		}
	}
	return r
}

// tasks flattens the plan into the project checklist. The phase of a task
// follows from its kind: preparation holds only what touches no device;
// the pilot and each wave do the device steps in kind order, so that no
// device is told to enroll before it has left its MDM and been wiped. A task
// that several populations share appears once and names them all.
func (b *builder) tasks(p *Plan) []Task {
	var all []string
	for _, pop := range p.Populations {
		all = append(all, pop.ID)
	}
	// At most one task per prerequisite, population step and rollout step:
	// sized once, so the list and its index never grow.
	n := len(p.Prerequisites) + len(p.Rollout.Steps)
	for _, pop := range p.Populations {
		n += len(pop.Steps)
	}
	out := make([]Task, 0, n)
	type taskKey struct{ phase, id string }
	index := make(map[taskKey]int, n) // phase + id → position in out
	add := func(t Task, pop string) {
		key := taskKey{t.Phase, t.ID}
		if i, ok := index[key]; ok {
			if pop != "" && !slices.Contains(out[i].Populations, pop) {
				out[i].Populations = append(out[i].Populations, pop)
			}
			return
		}
		if t.Populations == nil && pop != "" {
			t.Populations = []string{pop}
		}
		if t.Status == "" {
			t.Status = StatusTodo
		}
		index[key] = len(out)
		out = append(out, t)
	}
	for _, pr := range p.Prerequisites {
		add(Task{ID: "prereq." + pr.ID, Title: pr.Task, Phase: PhasePrepare, Actor: ActorAdmin, Kind: KindTenant, Populations: pr.AppliesTo,
			Status: pr.Status, Done: pr.Status == StatusDone, Sources: pr.Sources[:1]}, "")
	}
	popSteps := func(phase string, kinds ...string) {
		for _, kind := range kinds {
			for _, pop := range p.Populations {
				for _, s := range pop.Steps {
					if s.Kind == kind {
						add(Task{ID: s.ID, Title: s.Title, Phase: phase, Actor: s.Actor, Kind: s.Kind, Sources: s.Sources[:1]}, pop.ID)
					}
				}
			}
		}
	}
	rolloutSteps := func(phase string, kinds ...string) {
		for _, s := range p.Rollout.Steps[:len(b.c.Rollout.Steps)] {
			if slices.Contains(kinds, s.Kind) {
				add(Task{ID: s.ID, Title: s.Title, Phase: phase, Actor: s.Actor, Kind: s.Kind, Populations: all, Sources: s.Sources[:1]}, "")
			}
		}
	}
	popSteps(PhasePrepare, KindTenant, KindDevicePrep)
	rolloutSteps(PhasePilot, KindTenant, KindDevicePrep)
	for _, kind := range StepKinds[slices.Index(StepKinds, KindLeaveMDM):] {
		popSteps(PhasePilot, kind)
		rolloutSteps(PhasePilot, kind)
	}
	for i := range out {
		if out[i].Phase == PhasePilot {
			out[i].Wave, out[i].Start = "Pilot", p.Rollout.PilotStart
		}
	}
	for i, s := range p.Rollout.Steps[len(b.c.Rollout.Steps):] {
		t := Task{ID: s.ID, Title: s.Title, Phase: PhaseRollout, Actor: s.Actor, Kind: s.Kind, Sources: s.Sources[:1], Populations: all}
		if i < len(p.Rollout.Waves) {
			w := p.Rollout.Waves[i]
			t.Wave, t.Start, t.Populations = w.Name, w.Start, w.Populations
		}
		add(t, "")
	}
	if len(out) == 0 {
		return nil
	}
	for i := range out {
		if len(out[i].Populations) == 1 {
			out[i].Population = out[i].Populations[0]
		}
		if out[i].Populations == nil {
			out[i].Populations = []string{}
		}
	}
	return out
}

// summarize builds the one-page view: distinct blockers once, with whom
// they stop; the first actions in order; the counts.
func (b *builder) summarize(p *Plan) Summary {
	s := Summary{Populations: len(p.Populations), Blockers: []SummaryBlocker{}, FirstActions: []FirstAction{}}
	names := map[string]string{}
	for _, pop := range p.Populations {
		names[pop.ID] = pop.Name
		s.Devices += pop.Devices
		if pop.FactoryReset.Required && pop.InUse {
			s.ResetNeeded++
		}
		for _, w := range pop.Warnings {
			if w.Severity == SevWarning {
				s.Warnings++
			}
		}
	}
	nameList := func(ids []string) string {
		if len(ids) == len(p.Populations) && len(ids) > 1 {
			return "every population"
		}
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = names[id]
		}
		return joinAnd(out)
	}
	for _, pr := range p.Prerequisites {
		if len(pr.Blocks) > 0 && pr.Status == StatusTodo { // unknown ones are to check, below
			s.Blockers = append(s.Blockers, SummaryBlocker{Prerequisite: pr.ID, ID: "blocked-by-" + pr.ID, Title: pr.Title, Owner: pr.Owner, Task: pr.Task, Blocks: pr.Blocks})
		}
	}
	byID := map[string]int{}
	for _, pop := range p.Populations {
		for _, w := range pop.Warnings {
			info, ok := b.blockers[w.ID]
			if w.Severity != SevBlocker || !ok {
				continue
			}
			if i, seen := byID[w.ID]; seen {
				s.Blockers[i].Blocks = append(s.Blockers[i].Blocks, pop.ID)
				continue
			}
			byID[w.ID] = len(s.Blockers)
			s.Blockers = append(s.Blockers, SummaryBlocker{ID: w.ID, Title: info.title, Owner: info.owner, Task: info.task, Blocks: []string{pop.ID}})
		}
	}

	// First actions: clear the blockers, confirm what is not known, start
	// what takes time, then the pilot.
	const maxFirst = 6
	for _, bl := range s.Blockers {
		s.FirstActions = append(s.FirstActions, FirstAction{Title: bl.Task, Actor: ActorAdmin, Owner: bl.Owner,
			Why: fmt.Sprintf("Clears a blocker for %s.", nameList(bl.Blocks))})
	}
	for _, pr := range p.Prerequisites {
		def := b.c.prereqs[pr.ID]
		if pr.Status == StatusUnknown && def.Blocking {
			s.FirstActions = append(s.FirstActions, FirstAction{Title: "Check whether this is in place: " + pr.Title, Actor: ActorAdmin, Owner: pr.Owner,
				Why: fmt.Sprintf("Not known yet. If it is missing, %s cannot enroll; then: %s.", nameList(pr.AppliesTo), lowerFirst(pr.Task))})
		}
	}
	for _, pr := range p.Prerequisites {
		def := b.c.prereqs[pr.ID]
		if pr.Status == StatusTodo && !def.Blocking && len(pr.AppliesTo) > 0 {
			s.FirstActions = append(s.FirstActions, FirstAction{Title: pr.Task, Actor: ActorAdmin, Owner: pr.Owner,
				Why: fmt.Sprintf("Needed before %s can enroll.", nameList(pr.AppliesTo))})
		}
	}
	pilot := FirstAction{Title: p.Rollout.Steps[0].Title, Actor: ActorAdmin, Owner: b.c.Rollout.Owner,
		Why: "The rollout starts with a pilot of a few devices of every population."}
	if len(s.FirstActions) >= maxFirst {
		s.FirstActions = append(s.FirstActions[:maxFirst-1], pilot)
	} else {
		s.FirstActions = append(s.FirstActions, pilot)
	}
	return s
}

// tenantValue reads one tenant answer as the word a status derives from.
func tenantValue(t Tenant, field string) string {
	switch field {
	case "mdm_authority":
		return t.MDMAuthority
	case "admin_role":
		return t.AdminRole
	}
	return yesNo(tenantBool(t, field))
}

// tenantReading carries a tenant check into the plan: its findings, the
// answers that overrule a reading (the plan says so), the prerequisites
// whose status was read, and expiries that fall before the last wave.
func (b *builder) tenantReading(p *Plan) *TenantReading {
	tc := b.a.TenantCheck
	if tc == nil {
		return nil
	}
	r := &TenantReading{ReadAt: tc.ReadAt, Findings: tc.Findings, Overruled: []Overrule{}}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	when := LongDate(strings.SplitN(tc.ReadAt, "T", 2)[0])
	for i := range p.Prerequisites {
		pr := &p.Prerequisites[i]
		sf := b.c.prereqs[pr.ID].StatusFrom
		if sf == nil {
			continue
		}
		read := tenantValue(tc.Tenant, sf.Field)
		if read == "" || read == "unknown" {
			continue
		}
		answered := tenantValue(b.a.Tenant, sf.Field)
		if answered == read {
			pr.ReadAt = tc.ReadAt
			pr.Detail = fmt.Sprintf("Read from the tenant on %s. ", when) + pr.Detail
			continue
		}
		text := fmt.Sprintf("The tenant check on %s read “%s” as %s; the answers say %s, and the plan follows the answers.", when, pr.Title, readWord(read), readWord(answered))
		r.Overruled = append(r.Overruled, Overrule{Field: sf.Field, Read: read, Answered: answered, Text: text})
		pr.Detail = text + " " + pr.Detail
	}
	if rs := tc.Restrictions; rs != nil {
		def := b.c.Restricted
		for i := range p.Populations {
			pop := &p.Populations[i]
			if !pop.Enroll {
				continue // app protection does not enroll the device
			}
			text := ""
			switch {
			case slices.Contains(rs.Blocked, pop.Platform):
				text = fmt.Sprintf(def.Blocked, pop.PlatformName, when)
			case pop.Ownership == OwnPersonal && slices.Contains(rs.PersonalBlocked, pop.Platform):
				text = fmt.Sprintf(def.Personal, pop.PlatformName, when)
			}
			if text != "" {
				pop.Warnings = append(pop.Warnings, Warning{ID: "tenant.restricted", Severity: SevWarning, Text: text, Sources: b.c.SourceURLs(def.Sources)})
				sortWarnings(pop.Warnings)
			}
		}
	}
	last := p.Rollout.LastStart
	for _, e := range tc.Expiries {
		if last == "" || e.Date >= last {
			continue
		}
		prereq, what := "apple-mdm-push-certificate", "The Apple MDM push certificate"
		if e.Kind == ExpiryADEToken {
			prereq, what = "apple-business-manager", "The Automated Device Enrollment token"
			if e.Name != "" {
				what += " " + quote(e.Name)
			}
		}
		def := b.c.prereqs[prereq]
		p.Rollout.Warnings = append(p.Rollout.Warnings, Warning{ID: "expiry." + e.Kind, Severity: SevWarning,
			Text: fmt.Sprintf("%s expires on %s, before the rollout's last start on %s. Renew it before then, with the same Apple account, or the devices that depend on it stop checking in.",
				what, LongDate(e.Date), LongDate(last)),
			Sources: b.c.SourceURLs(def.Sources)})
	}
	return r
}

// readWord says a tenant reading in words.
func readWord(v string) string {
	switch v {
	case "yes":
		return "in place"
	case "no":
		return "not in place"
	case "", "unknown":
		return "not known"
	}
	return v
}

// references lists every page the plan cites, once, in the order the plan
// first cites it.
func (b *builder) references(p *Plan) []Reference {
	out := []Reference{}
	seen := map[string]bool{}
	add := func(urls []string) {
		for _, u := range urls {
			if !seen[u] {
				seen[u] = true
				out = append(out, b.c.byURL[u])
			}
		}
	}
	for _, pr := range p.Prerequisites {
		add(pr.Sources)
	}
	for _, pop := range p.Populations {
		add(pop.Method.Sources)
		add(pop.FactoryReset.Sources)
		for _, w := range pop.Warnings {
			add(w.Sources)
		}
		for _, s := range pop.Steps {
			add(s.Sources)
		}
		for _, a := range append(slices.Clone(pop.Alternatives), pop.Unsuitable...) {
			add(a.Sources)
		}
	}
	for _, bi := range p.Baseline {
		add(bi.Sources)
	}
	for _, s := range p.Rollout.Steps {
		add(s.Sources)
	}
	for _, r := range p.ResetOverview {
		add(r.Sources)
	}
	return out
}

// joinAnd lists words as "a, b and c".
func joinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
