// The pilot and the waves in the hand-over document: which groups each
// enrolls, how many of their devices, and the wave's own steps. A group's
// steps are printed once, in its own section; the waves refer to them.

package plan

import (
	"fmt"
	"strings"
)

// DocWave is the pilot or one wave: its date, its groups with their device
// counts, and its own steps.
type DocWave struct {
	ID, Name, When, Group string
	Devices               int
	Before                []DocStep // the wave's own steps before its groups enroll: assign the profiles
	Groups                []DocWaveGroup
	After                 []DocStep // the wave's own steps once its groups are through: test, grow the pilot
	Tasks                 []DocTask // the same for the checklist: before, one line per group, after
}

// DocGroupWaves is one row of the rollout's table: a group and how many of
// its devices the pilot and each wave enroll (Devices[i] for Document.Waves[i]).
type DocGroupWaves struct {
	ID, Name string
	Devices  []int
}

// DocWaveGroup is one group's device work in a wave.
type DocWaveGroup struct {
	ID, Name string
	Devices  int
	Stages   string // its stages in words: "leave the current MDM, factory reset, enroll, check"
	Tasks    int
}

// waveOf says which waves enroll a population, with the count of each when
// there are several: "Wave 2 (8 Feb 2027)", "Wave 2 (5 Apr 2027): 300;
// Wave 3 (26 Apr 2027): 300".
func (d *Document) waveOf(pop PopulationPlan) string {
	type share struct {
		label string
		n     int
	}
	var ws []share
	pilot := 0
	for _, e := range d.Plan.Schedule {
		if e.Population != pop.ID {
			continue
		}
		if e.WaveID == PilotWaveID {
			pilot = e.Devices
			continue
		}
		label := e.Wave
		if e.Start != "" {
			label += " (" + LongDate(e.Start) + ")"
		}
		ws = append(ws, share{label, e.Devices})
	}
	switch {
	case len(ws) == 1:
		return ws[0].label
	case len(ws) > 1:
		parts := make([]string, len(ws))
		for i, w := range ws {
			parts[i] = w.label + ": " + Thousands(w.n)
		}
		return strings.Join(parts, "; ")
	case pop.Devices > 0 && pilot == pop.Devices:
		return "Pilot only"
	case len(d.Plan.Rollout.Waves) == 0:
		return "After the pilot"
	}
	return "No wave yet"
}

// PilotProposedLabel labels the note that the plan proposed the pilot's
// size, which page one's timeline also says.
const PilotProposedLabel = "Pilot size proposed"

// pilotLine names the populations with devices in the pilot and counts
// those devices, for the timeline, saying when the plan proposed the count.
func (d *Document) pilotLine() (string, int) {
	var ids []string
	n := 0
	for _, pop := range d.Plan.Populations {
		if c := d.Plan.Rollout.PilotDevices[pop.ID]; c > 0 {
			ids = append(ids, pop.ID)
			n += c
		}
	}
	names := orWord(d.nameList(ids), "no device yet")
	if d.Plan.Rollout.PilotProposed && n > 0 {
		names += " (a pilot size the plan proposes)"
	}
	return names, n
}

// enrolling names the populations a wave enrolls devices of.
func (d *Document) enrolling(w WavePlan) string {
	var ids []string
	for _, id := range w.Populations {
		if w.DevicesByPopulation[id] > 0 {
			ids = append(ids, id)
		}
	}
	return orWord(d.nameList(ids), "no device yet")
}

// rollout arranges the pilot and the waves: the rollout's set-up steps, then
// for the pilot and each wave in schedule order its own steps and its groups.
func (d *Document) rollout(cite func([]string) []int) {
	p := d.Plan
	step := map[string]Step{} // rollout step id → step, for details and sources
	for _, s := range p.Rollout.Steps {
		step[s.ID] = s
	}
	inSchedule := map[string]bool{}
	for _, e := range p.Schedule {
		for _, id := range e.Tasks {
			inSchedule[id] = true
		}
	}
	byID := make(map[string]*Task, len(p.Tasks)) // pointers: a Task is large, and only read here
	for i := range p.Tasks {
		byID[p.Tasks[i].ID] = &p.Tasks[i]
	}
	var noTask Task
	task := func(id string) *Task { // a zero Task for an id the plan lacks, as a map of values gave
		if t, ok := byID[id]; ok {
			return t
		}
		return &noTask
	}
	described := map[string]bool{} // rule ids whose detail is printed already
	docStep := func(t Task, s Step) DocStep {
		// A step that every wave repeats is described, with its sources,
		// the first time.
		ds := DocStep{Actor: ActorLabel(t.Actor), Title: t.Title}
		rule := t.ID[strings.LastIndexByte(t.ID, '/')+1:]
		if !described[rule] {
			ds.Detail, ds.Refs, described[rule] = s.Detail, cite(s.Sources), true
		}
		return ds
	}
	for _, t := range p.Tasks {
		if t.Phase == PhasePrepare && strings.HasPrefix(t.ID, "rollout.") {
			d.Rollout = append(d.Rollout, docStep(t, step[t.ID]))
		}
	}
	for _, sl := range slots(p.Rollout) {
		w := DocWave{ID: sl.id, Name: sl.name, When: "date not set", Group: p.Rollout.PilotGroup}
		if sl.start != "" {
			w.When = "from " + LongDate(sl.start)
		}
		if sl.wave >= 0 {
			w.Group = p.Rollout.Waves[sl.wave].Group
		}
		var before, after []DocTask
		for _, t := range p.Tasks {
			if t.WaveID != sl.id || inSchedule[t.ID] {
				continue
			}
			if sl.wave >= 0 {
				// A wave's own step comes before its groups enroll.
				w.Before, before = append(w.Before, docStep(t, p.Rollout.WaveStep(sl.wave))), append(before, d.docTask(t))
				continue
			}
			w.After, after = append(w.After, docStep(t, step[strings.TrimPrefix(t.ID, "w/"+sl.id+"/")])), append(after, d.docTask(t))
		}
		w.Tasks = before
		for _, e := range p.Schedule {
			if e.WaveID != sl.id {
				continue
			}
			var stages []string
			actors := map[string]bool{}
			done := 0 // tasks recorded done, when the plan carries progress
			for _, id := range e.Tasks {
				if task(id).Done {
					done++
				}
				h := lowerFirst(StageHeadings[task(id).Kind])
				if len(stages) == 0 || stages[len(stages)-1] != h {
					stages = append(stages, h)
				}
				actors[task(id).Actor] = true
			}
			g := DocWaveGroup{ID: e.Population, Name: d.names[e.Population], Devices: e.Devices, Stages: strings.Join(stages, ", "), Tasks: len(e.Tasks)}
			w.Groups = append(w.Groups, g)
			w.Devices += e.Devices
			who := "IT and users"
			if len(actors) == 1 {
				who = ActorLabel(task(e.Tasks[0]).Actor)
			}
			dt := DocTask{Title: fmt.Sprintf("%s, %s: the steps of its section (%s)", g.Name, Count(g.Devices, "device", "devices"), g.Stages),
				Who: who, For: Count(g.Tasks, "task", "tasks"), Status: StatusLabel(StatusTodo)}
			switch {
			case g.Tasks > 0 && done == g.Tasks:
				dt.Done, dt.Status = true, StatusLabel(StatusDone)
			case done > 0:
				dt.For = fmt.Sprintf("%s of %s done", Thousands(done), Count(g.Tasks, "task", "tasks"))
			}
			w.Tasks = append(w.Tasks, dt)
		}
		w.Tasks = append(w.Tasks, after...)
		d.Waves = append(d.Waves, w)
	}
	for _, pop := range p.Populations {
		row := DocGroupWaves{ID: pop.ID, Name: pop.Name, Devices: make([]int, len(d.Waves))}
		found := false
		for i, w := range d.Waves {
			for _, g := range w.Groups {
				if g.ID == pop.ID {
					row.Devices[i], found = g.Devices, true
				}
			}
		}
		if found {
			d.ByGroup = append(d.ByGroup, row)
		}
	}
	if len(p.Rollout.Waves) == 0 {
		// No waves yet: one step after the pilot, to plan and open them.
		for _, t := range p.Tasks {
			if t.Phase == PhaseRollout && t.WaveID == "" {
				d.Waves = append(d.Waves, DocWave{Name: "After the pilot", When: "once the pilot passes", Group: "each wave's own",
					Before: []DocStep{docStep(t, step[t.ID])}, Tasks: []DocTask{d.docTask(t)}})
			}
		}
	}
	for _, n := range p.Rollout.Warnings {
		if n.Severity != SevInfo {
			continue
		}
		label := SeverityLabel(n.Severity)
		if n.ID == NotePilotProposed {
			label = PilotProposedLabel // page one's timeline says it too
		}
		d.RolloutNote = append(d.RolloutNote, DocNote{Label: label, Text: n.Text, Refs: cite(n.Sources)})
	}
}

// docTask is a task as a checklist line.
func (d *Document) docTask(t Task) DocTask {
	dt := DocTask{Title: t.Title, Who: ActorLabel(t.Actor), For: TaskPopulations(d.Plan, t, d.names), Status: StatusLabel(t.Status), Done: t.Done}
	if t.Due != "" {
		dt.Due = "due " + LongDate(t.Due)
	}
	return dt
}

// perWave says in which waves a population's devices enroll, and how many:
// "10 in the pilot and 240 in Wave 2" (the dates are on page one).
func (d *Document) perWave(pop string) string {
	var parts []string
	for _, e := range d.Plan.Schedule {
		if e.Population != pop {
			continue
		}
		name := e.Wave
		if e.WaveID == PilotWaveID {
			name = "the pilot"
		}
		parts = append(parts, Thousands(e.Devices)+" in "+name)
	}
	if len(parts) == 0 {
		return "in no wave yet"
	}
	return JoinAnd(parts)
}

// PerWaveIntro opens a population's device steps: they are done again in
// each wave that enrolls some of its devices.
const PerWaveIntro = "From here on: once per wave, for its devices."
