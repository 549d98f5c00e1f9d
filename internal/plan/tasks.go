// The project checklist: set-up once, then each population's device work in
// the pilot and in every wave that enrolls some of its devices.

package plan

import (
	"fmt"
	"slices"
)

// Task ids (CONTRACT §8.2) stay the same across revisions for the same work,
// because recorded progress hangs on them. None is a position:
//
//   - set-up (phase prepare): "prereq." and the prerequisite id; the rule id
//     of a population's set-up step, one task for every population that has
//     it; the rollout's own set-up steps (rollout.pilot-group,
//     rollout.assign-pilot);
//   - device work: w/<wave id>/<population id>/<rule id>, e.g.
//     w/wave-2/sales-iphones/unenroll-existing-mdm;
//   - a wave's own steps: w/<wave id>/<rule id>, e.g. w/pilot/rollout.test,
//     w/wave-2/rollout.wave.
//
// Wave ids are "pilot" and a slug of each wave's name (waveIDs), so adding a
// population or a wave, or renaming the organisation, keeps every other id.

// tasks flattens the plan into the project checklist, and fills
// p.Schedule, which lists the device tasks by wave and population.
//
// Preparation holds only what touches no device. Then the pilot and each
// wave, in schedule order: a wave first assigns the enrollment profiles to
// its group, then each population with devices in it does its device steps
// in kind order (leave the old MDM, wipe, enroll, check, hand over), so that
// no device is told to enroll before it has left its MDM and been wiped;
// the pilot ends with its test, which every later wave waits for.
func (b *builder) tasks(p *Plan) []Task {
	sched := slots(p.Rollout)
	n := len(p.Prerequisites) + len(p.Rollout.Steps) + len(sched)
	for _, pop := range p.Populations {
		n += len(pop.Steps) * len(sched)
	}
	tl := taskList{out: make([]Task, 0, n), index: make(map[string]int, n)}
	var all []string
	for _, pop := range p.Populations {
		all = append(all, pop.ID)
	}

	// Set-up, once.
	status := map[string]string{}
	for _, pr := range p.Prerequisites {
		status[pr.ID] = pr.Status
		tl.add(Task{ID: "prereq." + pr.ID, Title: pr.Task, Phase: PhasePrepare, Actor: ActorAdmin, Kind: KindTenant, Populations: slices.Clone(pr.AppliesTo),
			Status: pr.Status, Done: pr.Status == StatusDone, Owner: pr.Owner, Sources: pr.Sources[:1]}, "")
	}
	setup := map[string][]string{} // population id → the set-up tasks its devices wait for
	for _, pop := range p.Populations {
		for _, id := range pop.Prerequisites {
			if status[id] != StatusDone && tl.has("prereq."+id) {
				setup[pop.ID] = append(setup[pop.ID], "prereq."+id)
			}
		}
	}
	for _, kind := range []string{KindTenant, KindDevicePrep} {
		for _, pop := range p.Populations {
			for _, s := range pop.Steps {
				if s.Kind == kind {
					tl.add(Task{ID: s.ID, Title: s.Title, Phase: PhasePrepare, Actor: s.Actor, Kind: s.Kind, Owner: stepOwner(pop, s.Actor), Sources: s.Sources[:1]}, pop.ID)
					setup[pop.ID] = append(setup[pop.ID], s.ID)
				}
			}
		}
	}
	catalogSteps := p.Rollout.Steps[:len(b.c.Rollout.Steps)]
	prev := "" // the rollout's set-up steps run in order, after the groups exist
	if id := "prereq." + PrereqGroups; status[PrereqGroups] != StatusDone && tl.has(id) {
		prev = id
	}
	assignPilot := "" // the pilot's profiles are assigned: pilot devices may enroll
	for _, s := range catalogSteps {
		if touchesDevice(s.Kind) {
			continue
		}
		t := Task{ID: s.ID, Title: s.Title, Phase: PhasePrepare, Actor: s.Actor, Kind: s.Kind, Populations: slices.Clone(all), Owner: b.c.Rollout.Owner, Sources: s.Sources[:1]}
		if prev != "" {
			t.DependsOn = []string{prev}
		}
		tl.add(t, "")
		prev, assignPilot = s.ID, s.ID
	}

	// The pilot and the waves.
	testRule := "" // the pilot's check
	for _, s := range catalogSteps {
		if s.Kind == KindVerify {
			testRule = s.ID
			break
		}
	}
	pilotTest := "" // the pilot's test task, which every later wave waits for
	for _, sl := range sched {
		base := Task{Phase: PhaseRollout, Wave: sl.name, WaveID: sl.id, Start: sl.start}
		if sl.wave < 0 {
			base.Phase = PhasePilot
		}
		var pops []string
		total := 0
		for _, pop := range p.Populations {
			if n := sl.counts[pop.ID]; n > 0 {
				pops = append(pops, pop.ID)
				total += n
			}
		}
		gate := assignPilot // what a wave's enroll tasks wait for
		var after []string  // what the first task of each sequence waits for, besides set-up
		if sl.wave >= 0 {
			// The wave's date and count are columns of their own: the
			// title says what to do, and to which group.
			s := p.Rollout.Steps[len(catalogSteps)+sl.wave]
			t := base
			t.ID, t.Actor, t.Kind, t.Sources = WaveTaskID(sl.id, b.c.Rollout.WaveStep.ID), s.Actor, s.Kind, s.Sources[:1]
			t.Title = fmt.Sprintf("%s %q", b.c.Rollout.WaveStep.Title, p.Rollout.Waves[sl.wave].Group)
			t.Populations, t.Devices, t.Owner = slices.Clone(pops), total, b.c.Rollout.Owner
			if pilotTest != "" {
				t.DependsOn = []string{pilotTest}
				after = []string{pilotTest}
			}
			tl.add(t, "")
			gate = t.ID
		}
		var lasts []string // the last task of each sequence
		for _, pop := range p.Populations {
			count := sl.counts[pop.ID]
			if count <= 0 {
				continue
			}
			e := ScheduleEntry{Wave: sl.name, WaveID: sl.id, Start: sl.start, Population: pop.ID, Devices: count, Tasks: []string{}}
			prev, gated := "", false
			for _, s := range pop.Steps {
				if !touchesDevice(s.Kind) {
					continue
				}
				t := base
				t.ID, t.Title, t.Actor, t.Kind, t.Sources = DeviceTaskID(sl.id, pop.ID, s.ID), s.Title, s.Actor, s.Kind, s.Sources[:1]
				t.Devices, t.Owner = count, stepOwner(pop, s.Actor)
				if prev == "" {
					t.DependsOn = append(slices.Clone(setup[pop.ID]), after...)
				} else {
					t.DependsOn = []string{prev}
				}
				if s.Kind == KindEnroll && !gated && gate != "" {
					t.DependsOn, gated = append(t.DependsOn, gate), true
				}
				if tl.add(t, pop.ID) {
					e.Tasks = append(e.Tasks, t.ID)
					prev = t.ID
				}
			}
			if prev != "" {
				lasts = append(lasts, prev)
			}
			p.Schedule = append(p.Schedule, e)
		}
		if sl.wave >= 0 {
			continue
		}
		// The pilot's own steps, once every pilot device has been through
		// its sequence: test, then grow the pilot group.
		deps := lasts
		for _, s := range catalogSteps {
			if !touchesDevice(s.Kind) {
				continue
			}
			t := base
			t.ID, t.Title, t.Actor, t.Kind, t.Sources = WaveTaskID(sl.id, s.ID), s.Title, s.Actor, s.Kind, s.Sources[:1]
			t.Populations, t.Devices, t.Owner, t.DependsOn = slices.Clone(pops), total, b.c.Rollout.Owner, slices.Clone(deps)
			tl.add(t, "")
			deps = []string{t.ID}
			if s.ID == testRule || pilotTest == "" && testRule == "" {
				pilotTest = t.ID
			}
		}
	}
	if len(p.Rollout.Waves) == 0 && len(p.Rollout.Steps) > len(catalogSteps) {
		// No waves yet: one task to plan and open them once the pilot passes.
		s := p.Rollout.Steps[len(catalogSteps)]
		t := Task{ID: s.ID, Title: s.Title, Phase: PhaseRollout, Actor: s.Actor, Kind: s.Kind, Populations: slices.Clone(all), Owner: b.c.Rollout.Owner, Sources: s.Sources[:1]}
		if pilotTest != "" {
			t.DependsOn = []string{pilotTest}
		}
		tl.add(t, "")
	}

	if p.Schedule == nil {
		p.Schedule = []ScheduleEntry{}
	}
	out := tl.out
	if len(out) == 0 {
		return nil
	}
	for i := range out {
		if out[i].Populations == nil {
			out[i].Populations = []string{}
		}
		if len(out[i].Populations) == 1 {
			out[i].Population = out[i].Populations[0]
		}
		if out[i].DependsOn == nil {
			out[i].DependsOn = []string{}
		}
		if out[i].Status == "" {
			out[i].Status = StatusTodo
		}
	}
	return out
}

// PrereqGroups is the prerequisite that creates the groups, the pilot group
// among them.
const PrereqGroups = "groups"

// taskList keeps tasks in order, each id once: a set-up step that several
// populations share is one task naming them all.
type taskList struct {
	out   []Task
	index map[string]int // id → position in out
}

// add appends t, or adds pop to the task of the same id; it reports whether
// t was new.
func (tl *taskList) add(t Task, pop string) bool {
	if i, ok := tl.index[t.ID]; ok {
		if pop != "" && !slices.Contains(tl.out[i].Populations, pop) {
			tl.out[i].Populations = append(tl.out[i].Populations, pop)
		}
		return false
	}
	if t.Populations == nil && pop != "" {
		t.Populations = []string{pop}
	}
	tl.index[t.ID] = len(tl.out)
	tl.out = append(tl.out, t)
	return true
}

func (tl *taskList) has(id string) bool {
	_, ok := tl.index[id]
	return ok
}
