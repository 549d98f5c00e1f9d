// A population's steps, in the order a device goes through them.

package plan

import (
	"cmp"
	"slices"
)

// steps lists a population's steps, then orders them by kind: set up the
// tenant, prepare device records, leave the old MDM, wipe, enroll, verify,
// hand over.
func (b *builder) steps(ps *popState) {
	b.eachStep(ps, func(actor string, s StepDef) {
		ps.out.Steps = append(ps.out.Steps, Step{ID: s.ID, Actor: actor, Kind: s.Kind, Title: s.Title, Detail: s.Detail, Sources: b.c.SourceURLs(s.Sources)})
	})
	sortSteps(ps.out.Steps)
}

// eachStep calls add with every step that applies to a population, in
// catalog order: the method's admin steps, leaving the old MDM, the factory
// reset of devices in use (after their users' backup), the user steps.
func (b *builder) eachStep(ps *popState, add func(actor string, s StepDef)) {
	c, f, chosen := b.c, ps.f, ps.method
	try := func(actor string, s StepDef) {
		if b.applies(s.Platforms, s.When, f) {
			add(actor, s)
		}
	}
	// Leaving the old MDM comes before the method's own steps of the same
	// kind: app protection, one MDM controlling access and Conditional
	// Access for the gap are settled before Apple Business moves a device.
	if leavesMDM(f, chosen) {
		for _, s := range c.Unenroll.Steps {
			try(ActorAdmin, s)
		}
	}
	for _, s := range chosen.AdminSteps {
		try(ActorAdmin, s)
	}
	if ps.out.FactoryReset.Required && f.inUse {
		// Users save what they keep before IT wipes: same kind, so catalog
		// order puts the backup first.
		for _, s := range c.ResetBackup {
			try(ActorUser, s)
		}
		try(ActorAdmin, c.ResetStep)
	}
	for _, s := range chosen.UserSteps {
		try(ActorUser, s)
	}
}

// leavesMDM reports whether a population must leave the MDM that manages
// it today; app protection can live beside another MDM.
func leavesMDM(f facts, m *MethodDef) bool { return f.managedBy == ManagedOtherMDM && m.Enrolls }

// sortSteps orders steps by kind, keeping catalog order within a kind.
func sortSteps(steps []Step) {
	slices.SortStableFunc(steps, func(x, y Step) int { return cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)) })
}
