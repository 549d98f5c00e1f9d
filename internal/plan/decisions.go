// The decisions for one population: its method, whether it is wiped, the
// methods it could use instead.

package plan

import (
	"fmt"
	"slices"
	"strings"
)

// population decides everything about one population, in this order: the
// method (and the warnings about its fit), the factory reset, the other
// methods, the prerequisites, the steps, then the remaining warnings. A
// what-if run (ps.probe) stops after the method and does only what
// describeDiff compares.
func (b *builder) population(ps *popState) {
	rec, skipped := b.recommend(ps.f)
	recMethod := b.c.methods[rec.Method]
	ps.method = b.choose(ps.f, recMethod)
	ps.out.Enroll = ps.method.Enrolls
	misfit := b.notFor(ps.method, ps.f)
	b.noteBlockers(ps.method, recMethod, misfit)
	if ps.probe {
		b.probe(ps)
		return
	}
	b.method(ps, rec, skipped, recMethod, misfit)
	b.fitWarnings(ps, rec, recMethod, misfit)
	b.factoryReset(ps)
	b.alternatives(ps, rec, recMethod)
	b.needs(ps)
	b.steps(ps)
	b.popWarnings(ps)
	b.migrationDeadlines(ps)
}

// choose returns the method a population uses: app protection when it does
// not enroll, else the method the answers name, else the recommendation.
func (b *builder) choose(f facts, recMethod *MethodDef) *MethodDef {
	switch {
	case !f.Enrolls() || f.Method == MethodMAMWE:
		return b.c.methods[MethodMAMWE]
	case f.Method != "":
		return b.c.methods[f.Method]
	}
	return recMethod
}

// method describes the chosen method and why: the recommendation's reasons
// (after those of the recommendations this cloud does not offer), the
// planner's request for app protection, or the recommendation the answers
// overrode.
func (b *builder) method(ps *popState, rec *Recommendation, skipped []*AvailabilityDef, recMethod *MethodDef, misfit *TextDef) {
	c, f, chosen := b.c, ps.f, ps.method
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
}

// fitWarnings warns when the chosen method does not fit the devices, when
// the tenant's cloud lacks it or offers it differently, and what the
// recommendation itself warns of.
func (b *builder) fitWarnings(ps *popState, rec *Recommendation, recMethod *MethodDef, misfit *TextDef) {
	c, chosen := b.c, ps.method
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
	if rec.Warning != nil && chosen == recMethod && b.match(rec.Warning.When, ps.f) {
		b.warn(ps, b.warning(*rec.Warning))
	}
}

// factoryReset decides the factory reset by the first matching rule of the
// method; an enrollment without one says that settings stay.
func (b *builder) factoryReset(ps *popState) {
	c := b.c
	ps.out.FactoryReset = b.reset(ps.method, ps.f)
	if !ps.out.FactoryReset.Required && ps.method.Enrolls {
		ps.out.FactoryReset.Why += " " + c.SettingsStay.Text
		b.warn(ps, Warning{ID: c.SettingsStay.ID, Severity: SevInfo, Text: c.SettingsStay.Text, Sources: c.SourceURLs(c.SettingsStay.Sources)})
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
func (b *builder) probe(ps *popState) {
	chosen := ps.method
	ps.out.Method = Method{ID: chosen.ID, Name: chosen.Name}
	if r := b.resetRule(chosen, ps.f); r != nil {
		ps.out.FactoryReset.Required = r.Required
	}
	c := b.c
	steps := make([]Step, 0, len(chosen.AdminSteps)+len(chosen.UserSteps)+len(c.Unenroll.Steps)+1)
	b.eachStep(ps, func(actor string, s StepDef) {
		steps = append(steps, Step{ID: s.ID, Actor: actor, Kind: s.Kind, Title: s.Title})
	})
	sortSteps(steps)
	ps.out.Steps = steps
}

// reset returns the factory-reset decision of a method for a population.
func (b *builder) reset(m *MethodDef, f facts) FactoryReset {
	if r := b.resetRule(m, f); r != nil {
		return FactoryReset{Required: r.Required, Why: r.Why, Rule: r.Rule, Sources: b.c.SourceURLs(r.Sources)}
	}
	return FactoryReset{} // unreachable: validated, the last rule has no condition
}

// resetRule is the first of a method's reset rules that matches.
func (b *builder) resetRule(m *MethodDef, f facts) *ResetRule {
	for i := range m.Reset {
		if b.match(m.Reset[i].When, f) {
			return &m.Reset[i]
		}
	}
	return nil
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
