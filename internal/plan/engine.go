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
	b := builder{c: c, a: &a}
	return b.build(), nil
}

type builder struct {
	c    *Catalog
	a    *Answers
	pops []*popState
}

// popState carries what the builder decided for one population.
type popState struct {
	in     Population
	out    PopulationPlan
	method *MethodDef
	needs  map[string]bool // prerequisite ids
}

func (b *builder) build() *Plan {
	p := &Plan{
		Schema:       PlanSchema,
		Ruleset:      b.c.Ruleset,
		Organization: strings.TrimSpace(b.a.Organization),
	}
	ids := assignIDs(b.a.Populations)
	for i, in := range b.a.Populations {
		ps := &popState{in: in, needs: map[string]bool{}}
		ps.out = PopulationPlan{
			ID:                         ids[i],
			Name:                       strings.TrimSpace(in.Name),
			Platform:                   in.Platform,
			PlatformName:               b.c.platform[in.Platform].Name,
			Ownership:                  in.Ownership,
			Usage:                      in.EffectiveUsage(),
			Devices:                    in.Devices,
			CurrentlyManagedByOtherMDM: in.CurrentlyManagedByOtherMDM,
		}
		if ps.out.Name == "" {
			ps.out.Name = capitalize(in.Ownership) + " " + ps.out.PlatformName
		}
		b.pops = append(b.pops, ps)
	}
	for _, ps := range b.pops {
		b.population(ps)
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
	p.Rollout = b.rollout()
	p.Tasks = b.tasks(p)
	for _, r := range b.c.ResetOverview {
		p.ResetOverview = append(p.ResetOverview, ResetRow{Mode: r.Mode, Required: r.Required, Note: r.Note, Sources: b.c.SourceURLs(r.Sources)})
	}
	p.Summary = summarize(p)
	return p
}

// assignIDs keeps given ids and makes the missing ones from platform and
// ownership, never colliding with an id given elsewhere.
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
	c, in := b.c, ps.in
	rec := b.recommend(in)
	recMethod := c.methods[rec.Method]
	chosen := recMethod
	switch {
	case !in.Enrolls() || in.Method == MethodMAMWE:
		chosen = c.methods[MethodMAMWE]
	case in.Method != "":
		chosen = c.methods[in.Method]
	}
	ps.method = chosen
	ps.out.Enroll = chosen.Enrolls
	m := Method{
		ID:           chosen.ID,
		Name:         chosen.Name,
		Summary:      chosen.Summary,
		UserAffinity: chosen.UserAffinity,
		MinOS:        chosen.MinOS.Text,
		DEM:          chosen.DEM.Note,
		Sources:      c.SourceURLs(chosen.Sources),
	}
	misfit := b.notFor(chosen, in)
	switch {
	case chosen == recMethod:
		m.Recommended, m.Why, m.Rule = true, rec.Why, rec.ID
		m.Sources = c.SourceURLs(rec.Sources, chosen.Sources)
	case chosen.ID == MethodMAMWE && in.Method == "":
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
		b.warn(ps, Warning{ID: chosen.ID + ".misfit", Severity: sev, Text: fmt.Sprintf("%s does not fit these devices: %s", chosen.Name, misfit.Text), Sources: c.SourceURLs(misfit.Sources)})
	}
	if rec.Warning != nil && b.match(rec.Warning.When, in) {
		b.warn(ps, b.warning(*rec.Warning))
	}

	// Alternatives: every other method of the platform, fitting ones first.
	for _, alt := range c.MethodsFor(in.Platform) {
		if alt == chosen {
			continue
		}
		a := Alternative{ID: alt.ID, Name: alt.Name, Fits: true}
		if nf := b.notFor(alt, in); nf != nil {
			a.Fits, a.WhyNot, a.Sources = false, nf.Text, c.SourceURLs(nf.Sources)
		} else if alt == recMethod {
			a.WhyNot, a.Sources = "This is the recommendation for these devices: "+rec.Why, c.SourceURLs(rec.Sources)
		} else if o := overReason(rec, alt.ID); o != nil {
			a.WhyNot, a.Sources = o.Text, c.SourceURLs(o.Sources)
		} else {
			a.WhyNot, a.Sources = alt.TradeOff.Text, c.SourceURLs(alt.TradeOff.Sources)
		}
		ps.out.Alternatives = append(ps.out.Alternatives, a)
	}
	slices.SortStableFunc(ps.out.Alternatives, func(x, y Alternative) int {
		if x.Fits == y.Fits {
			return 0
		}
		if x.Fits {
			return -1
		}
		return 1
	})

	// Factory reset: the first matching rule of the method.
	for _, r := range chosen.Reset {
		if b.match(r.When, in) {
			ps.out.FactoryReset = FactoryReset{Required: r.Required, Why: r.Why, Rule: r.Rule, Sources: c.SourceURLs(r.Sources)}
			break
		}
	}
	if !ps.out.FactoryReset.Required && chosen.Enrolls {
		ps.out.FactoryReset.Why += " " + c.SettingsStay.Text
		b.warn(ps, Warning{ID: c.SettingsStay.ID, Severity: SevInfo, Text: c.SettingsStay.Text, Sources: c.SourceURLs(c.SettingsStay.Sources)})
	}

	// Prerequisites this population needs.
	for _, pr := range c.Prerequisites {
		if pr.Always {
			ps.needs[pr.ID] = true
		}
	}
	for _, id := range chosen.Prerequisites {
		ps.needs[id] = true
	}
	otherMDM := in.CurrentlyManagedByOtherMDM && chosen.Enrolls // app protection can live beside another MDM
	if otherMDM {
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

	// Steps: configure Intune, release the devices, reset, then users enroll.
	for _, s := range chosen.AdminSteps {
		b.step(ps, ActorAdmin, s)
	}
	if otherMDM {
		for _, s := range c.Unenroll.Steps {
			b.step(ps, ActorAdmin, s)
		}
		b.warn(ps, Warning{ID: c.Unenroll.Warning.ID, Severity: SevInfo, Text: c.Unenroll.Warning.Text, Sources: c.SourceURLs(c.Unenroll.Warning.Sources)})
	}
	if ps.out.FactoryReset.Required {
		b.step(ps, ActorAdmin, c.ResetStep)
	}
	for _, s := range chosen.UserSteps {
		b.step(ps, ActorUser, s)
	}

	for _, w := range chosen.Warnings {
		if b.match(w.When, in) {
			b.warn(ps, b.warning(w))
		}
	}
	if b.a.BulkEnrollmentByStaff {
		b.demWarning(ps)
	}
}

// recommend returns the first recommendation of the platform that matches.
func (b *builder) recommend(in Population) *Recommendation {
	recs := b.c.platform[in.Platform].Recommendations
	for i := range recs {
		if b.match(recs[i].When, in) {
			return &recs[i]
		}
	}
	return &recs[len(recs)-1] // validated: the last has no condition
}

// notFor returns why a method does not fit a population, or nil.
func (b *builder) notFor(m *MethodDef, in Population) *TextDef {
	for i := range m.NotFor {
		if b.match(m.NotFor[i].When, in) {
			return &m.NotFor[i]
		}
	}
	if !contains(m.Ownership, in.Ownership) || !contains(m.Usage, in.EffectiveUsage()) {
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

// match reports whether a condition holds for a population.
func (b *builder) match(w *Cond, in Population) bool {
	if w == nil {
		return true
	}
	if len(w.Ownership) > 0 && !contains(w.Ownership, in.Ownership) {
		return false
	}
	if len(w.Usage) > 0 && !contains(w.Usage, in.EffectiveUsage()) {
		return false
	}
	if w.PersonalUse != nil && (in.PersonalUse != nil && *in.PersonalUse) != *w.PersonalUse {
		return false
	}
	if w.OtherMDM != nil && in.CurrentlyManagedByOtherMDM != *w.OtherMDM {
		return false
	}
	if w.BulkByStaff != nil && b.a.BulkEnrollmentByStaff != *w.BulkByStaff {
		return false
	}
	if w.DevicesOver > 0 && in.Devices <= w.DevicesOver {
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
	if !b.match(s.When, ps.in) {
		return
	}
	ps.out.Steps = append(ps.out.Steps, Step{ID: s.ID, Actor: actor, Title: s.Title, Detail: s.Detail, Sources: b.c.SourceURLs(s.Sources)})
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
	need := max(1, (ps.in.Devices+per-1)/per)
	text := fmt.Sprintf("%s For %s, one DEM account enrolls up to %d devices, so %d devices need %s.", dem.Text, m.Name, per, ps.in.Devices, plural(need, "DEM account", "DEM accounts"))
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
		pr := Prerequisite{ID: def.ID, Title: def.Title, Task: def.Task, Detail: def.Detail, Status: b.status(def), Sources: b.c.SourceURLs(def.Sources)}
		for _, ps := range b.pops {
			if ps.needs[def.ID] {
				pr.AppliesTo = append(pr.AppliesTo, ps.out.ID)
			}
		}
		if len(pr.AppliesTo) == 0 {
			continue
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
				line := fmt.Sprintf("%s: %s.", ps.method.Name, strings.TrimSuffix(ps.method.MinOS.Text, "."))
				if !slices.Contains(lines, line) {
					lines = append(lines, line)
				}
			}
			pr.Detail += " Minimums for this plan: " + strings.Join(lines, " ")
			pr.Sources = b.c.SourceURLs(def.Sources, b.minOSSources())
		case "dem-account":
			pr.Detail = b.c.DEM.Text + " " + pr.Detail
		}
		out = append(out, pr)
	}
	return out
}

func (b *builder) minOSSources() []string {
	var ids []string
	for _, ps := range b.pops {
		ids = append(ids, ps.method.MinOS.Sources...)
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
				Text:    fmt.Sprintf("Not confirmed: %s. %s needs it; check it before the pilot. %s.", def.Title, ps.method.Name, def.Task),
				Sources: b.c.SourceURLs(def.Sources)})
		}
	}
}

var severityRank = map[string]int{SevBlocker: 0, SevWarning: 1, SevInfo: 2}

func sortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(x, y Warning) int { return cmp.Compare(severityRank[x.Severity], severityRank[y.Severity]) })
}

// baseline maps the planner's baseline policies to populations.
func (b *builder) baseline() []BaselineItem {
	var out []BaselineItem
	for _, raw := range b.a.Baseline {
		item := strings.TrimSpace(raw)
		def := b.c.baseline(item)
		bi := BaselineItem{ID: item, AppliesTo: []string{}, NotFor: []string{}}
		if def == nil {
			def = b.c.baseline("custom")
			bi.ID = "custom"
			bi.Title = item
		} else {
			bi.Title = def.Title
		}
		bi.Detail, bi.Platforms, bi.Sources = def.Detail, def.Platforms, b.c.SourceURLs(def.Sources)
		for _, ps := range b.pops {
			ex := exceptFor(def, ps.method.ID)
			switch {
			case !contains(def.Platforms, ps.in.Platform):
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

func (b *builder) rollout() RolloutPlan {
	r := RolloutPlan{PilotGroup: strings.TrimSpace(b.a.Rollout.PilotGroup), Waves: []WavePlan{}}
	named := r.PilotGroup != ""
	if !named {
		r.PilotGroup = b.c.Rollout.DefaultPilotGroup
	}
	for i, s := range b.c.Rollout.Steps {
		st := Step{ID: s.ID, Actor: ActorAdmin, Title: s.Title, Detail: s.Detail, Sources: b.c.SourceURLs(s.Sources)}
		if i == 0 {
			st.Title += fmt.Sprintf(" %q", r.PilotGroup)
			if !named {
				st.Detail = fmt.Sprintf("No pilot group was named; %q is a suggestion. ", r.PilotGroup) + st.Detail
			}
		}
		r.Steps = append(r.Steps, st)
	}
	ws := b.c.Rollout.WaveStep
	for i, w := range b.a.Rollout.Waves {
		wp := WavePlan{Name: strings.TrimSpace(w.Name), Group: strings.TrimSpace(w.Group), Start: w.Start}
		r.Waves = append(r.Waves, wp)
		when := ""
		if wp.Start != "" {
			when = " from " + wp.Start
		}
		r.Steps = append(r.Steps, Step{
			ID: fmt.Sprintf("%s-%d", ws.ID, i+1), Actor: ActorAdmin,
			Title:   fmt.Sprintf("%s%s: %s %q", wp.Name, when, strings.ToLower(ws.Title[:1])+ws.Title[1:], wp.Group),
			Detail:  ws.Detail,
			Sources: b.c.SourceURLs(ws.Sources),
		})
	}
	if len(b.a.Rollout.Waves) == 0 {
		r.Steps = append(r.Steps, Step{ID: ws.ID, Actor: ActorAdmin, Title: ws.Title + " of each wave, once the pilot passes",
			Detail: "No waves were given: plan them by department or site, a few hundred users each. " + ws.Detail, Sources: b.c.SourceURLs(ws.Sources)})
	}
	return r
}

// tasks flattens the plan into the project checklist.
func (b *builder) tasks(p *Plan) []Task {
	var out []Task
	for _, pr := range p.Prerequisites {
		out = append(out, Task{ID: "prereq." + pr.ID, Title: pr.Task, Phase: PhasePrepare, Actor: ActorAdmin, Done: pr.Status == StatusDone, Sources: pr.Sources[:1]})
	}
	for _, pop := range p.Populations {
		for _, s := range pop.Steps {
			if s.Actor == ActorAdmin && !isReleaseStep(s.ID) {
				out = append(out, popTask(pop, s, PhasePrepare))
			}
		}
	}
	rs := p.Rollout.Steps
	pilotSteps := len(b.c.Rollout.Steps)
	for _, s := range rs[:pilotSteps] {
		out = append(out, Task{ID: s.ID, Title: s.Title, Phase: PhasePilot, Actor: s.Actor, Sources: s.Sources[:1]})
	}
	for _, pop := range p.Populations {
		for _, s := range pop.Steps {
			if s.Actor == ActorUser || isReleaseStep(s.ID) {
				out = append(out, popTask(pop, s, PhasePilot))
			}
		}
	}
	for _, s := range rs[pilotSteps:] {
		out = append(out, Task{ID: s.ID, Title: s.Title, Phase: PhaseRollout, Actor: s.Actor, Sources: s.Sources[:1]})
	}
	return out
}

// isReleaseStep marks the steps done per device (unenroll, reset): they
// start with the pilot devices rather than in preparation.
func isReleaseStep(id string) bool {
	return strings.HasPrefix(id, "unenroll.") || id == "factory-reset"
}

func popTask(pop PopulationPlan, s Step, phase string) Task {
	return Task{ID: pop.ID + "." + s.ID, Title: s.Title, Phase: phase, Population: pop.ID, Actor: s.Actor, Sources: s.Sources[:1]}
}

func summarize(p *Plan) Summary {
	s := Summary{Populations: len(p.Populations)}
	for _, pop := range p.Populations {
		s.Devices += pop.Devices
		if pop.FactoryReset.Required {
			s.ResetNeeded++
		}
		for _, w := range pop.Warnings {
			switch w.Severity {
			case SevBlocker:
				s.Blockers++
			case SevWarning:
				s.Warnings++
			}
		}
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
