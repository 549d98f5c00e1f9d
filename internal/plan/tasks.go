// The project checklist.

package plan

import "slices"

// tasks flattens the plan into the project checklist. The phase of a task
// follows from its kind: preparation holds only what touches no device;
// the pilot and each wave do the device steps in kind order, so that no
// device is told to enroll before it has left its MDM and been wiped. A task
// that several populations share appears once and names them all.
//
// A task's id is, for now, the id of what it comes from: "prereq." and the
// prerequisite, the population step, or the rollout step (wave-step-N by
// position). Progress is keyed on task ids, so CONTRACT §8.2 derives them
// from rule, population and wave instead (w/wave-2/sales-iphones/…): the
// waves carry their stable ids for that (WavePlan.ID, PilotWaveID).
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
