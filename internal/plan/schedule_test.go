package plan

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// everyAnswers decodes every example (examples/*.json) and every answers
// file under testdata, by name.
func everyAnswers(t *testing.T, c *Catalog) map[string]Answers {
	t.Helper()
	paths, _ := filepath.Glob("../../examples/*.json")
	more, _ := filepath.Glob("testdata/*.json")
	out := map[string]Answers{}
	for _, path := range append(paths, more...) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.DecodeAnswers(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[path] = a
	}
	if len(out) < 5 {
		t.Fatalf("found %d answers files", len(out))
	}
	return out
}

func build(t *testing.T, c *Catalog, a Answers) *Plan {
	t.Helper()
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func taskIndex(p *Plan) map[string]int {
	idx := map[string]int{}
	for i, tk := range p.Tasks {
		idx[tk.ID] = i
	}
	return idx
}

// TestEveryWaveDoesItsDeviceWork runs every population of every example
// through the rule of CONTRACT §3 and §8.2: inside each wave (the pilot
// included), no enroll task of a population comes before its leave-MDM and
// factory-reset tasks, in the list or in depends_on; and every wave that
// enrolls devices of a population does the population's device steps, dated
// to the wave and counting the wave's devices.
func TestEveryWaveDoesItsDeviceWork(t *testing.T) {
	c := testCatalog(t)
	for name, a := range everyAnswers(t, c) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			p := build(t, c, a)
			idx := taskIndex(p)
			pops := map[string]PopulationPlan{}
			for _, pop := range p.Populations {
				pops[pop.ID] = pop
			}
			starts := map[string]string{PilotWaveID: p.Rollout.PilotStart}
			counts := map[string]map[string]int{PilotWaveID: p.Rollout.PilotDevices}
			for _, w := range p.Rollout.Waves {
				starts[w.ID], counts[w.ID] = w.Start, w.DevicesByPopulation
			}
			seen := map[string]bool{}
			for _, e := range p.Schedule {
				key := e.WaveID + "/" + e.Population
				if seen[key] {
					t.Errorf("%s appears twice in the schedule", key)
				}
				seen[key] = true
				pop := pops[e.Population]
				if e.Devices <= 0 || e.Devices != counts[e.WaveID][e.Population] || e.Start != starts[e.WaveID] {
					t.Errorf("%s: %d devices from %q; the wave has %d from %q", key, e.Devices, e.Start, counts[e.WaveID][e.Population], starts[e.WaveID])
				}
				var want []string
				for _, s := range pop.Steps {
					if touchesDevice(s.Kind) {
						want = append(want, DeviceTaskID(e.WaveID, pop.ID, s.ID))
					}
				}
				if !slices.Equal(e.Tasks, want) {
					t.Errorf("%s: tasks %v, want the population's device steps %v", key, e.Tasks, want)
				}
				last, firstEnroll := -1, -1
				leaveOrWipe := map[int]bool{}
				for _, id := range e.Tasks {
					i, ok := idx[id]
					if !ok {
						t.Fatalf("%s: task %s is not in the plan", key, id)
					}
					tk := p.Tasks[i]
					if tk.WaveID != e.WaveID || tk.Wave != e.Wave || tk.Start != e.Start || tk.Devices != e.Devices || tk.Population != e.Population {
						t.Errorf("%s: task %s says wave %q/%q from %q, %d devices of %q", key, id, tk.WaveID, tk.Wave, tk.Start, tk.Devices, tk.Population)
					}
					if i < last {
						t.Errorf("%s: task %s comes before the task it follows", key, id)
					}
					last = i
					switch tk.Kind {
					case KindLeaveMDM, KindWipe:
						leaveOrWipe[i] = true
						if firstEnroll >= 0 {
							t.Errorf("%s: %s (%s) comes after the enroll task %s", key, id, tk.Kind, p.Tasks[firstEnroll].ID)
						}
					case KindEnroll:
						if firstEnroll < 0 {
							firstEnroll = i
						}
					}
				}
				if firstEnroll >= 0 {
					// The enroll task waits, through depends_on, for every
					// leave and wipe task of its sequence, and for the wave's
					// assignment of the profiles.
					before := ancestors(p, idx, p.Tasks[firstEnroll].ID)
					for i := range leaveOrWipe {
						if !before[p.Tasks[i].ID] {
							t.Errorf("%s: %s does not wait for %s", key, p.Tasks[firstEnroll].ID, p.Tasks[i].ID)
						}
					}
					gate := "rollout.assign-pilot"
					if e.WaveID != PilotWaveID {
						gate = WaveTaskID(e.WaveID, "rollout.wave")
						if idx[gate] > firstEnroll {
							t.Errorf("%s: the wave assigns its profiles after %s enrolls", key, p.Tasks[firstEnroll].ID)
						}
						if !before["w/pilot/rollout.test"] {
							t.Errorf("%s: %s does not wait for the pilot's test", key, p.Tasks[firstEnroll].ID)
						}
					}
					if !before[gate] {
						t.Errorf("%s: %s does not wait for %s", key, p.Tasks[firstEnroll].ID, gate)
					}
				}
				if pop.ManagedBy == ManagedOtherMDM && pop.Enroll && !slices.ContainsFunc(e.Tasks, func(id string) bool { return p.Tasks[idx[id]].Kind == KindLeaveMDM }) {
					t.Errorf("%s: devices leaving another MDM are not told to leave it in this wave", key)
				}
			}
			// Every wave that enrolls devices of a population has its entry.
			for wave, byPop := range counts {
				for pop, n := range byPop {
					if n > 0 && !seen[wave+"/"+pop] {
						t.Errorf("%s enrolls %d devices of %s, but the schedule has no entry for them", wave, n, pop)
					}
				}
			}
			for _, tk := range p.Tasks {
				if tk.Phase == PhasePrepare && (tk.WaveID != "" || tk.Start != "" || touchesDevice(tk.Kind)) {
					t.Errorf("set-up task %s has wave %q, start %q, kind %s", tk.ID, tk.WaveID, tk.Start, tk.Kind)
				}
				if tk.Phase != PhasePrepare && tk.WaveID != "" && tk.Devices <= 0 && len(tk.Populations) > 0 {
					t.Errorf("task %s of %s counts no devices", tk.ID, tk.WaveID)
				}
			}
		})
	}
}

// ancestors lists every task id that id waits for, through depends_on.
func ancestors(p *Plan, idx map[string]int, id string) map[string]bool {
	out := map[string]bool{}
	var walk func(string)
	walk = func(id string) {
		for _, dep := range p.Tasks[idx[id]].DependsOn {
			if !out[dep] {
				out[dep] = true
				walk(dep)
			}
		}
	}
	walk(id)
	return out
}

// TestTaskGraph: every id in depends_on is a task of the plan, no task waits
// for itself through others, and a task of the pilot or a wave waits only
// for tasks listed before it, so the list reads in an order that can be
// followed.
func TestTaskGraph(t *testing.T) {
	c := testCatalog(t)
	for name, a := range everyAnswers(t, c) {
		p := build(t, c, a)
		idx := taskIndex(p)
		for i, tk := range p.Tasks {
			if tk.DependsOn == nil {
				t.Errorf("%s: task %s: depends_on is null, not a list", name, tk.ID)
			}
			for _, dep := range tk.DependsOn {
				j, ok := idx[dep]
				if !ok {
					t.Errorf("%s: task %s depends on %q, which is not a task", name, tk.ID, dep)
					continue
				}
				if tk.Phase != PhasePrepare && j >= i {
					t.Errorf("%s: task %s depends on %s, listed after it", name, tk.ID, dep)
				}
			}
		}
		// Depth-first search for a cycle: grey = on the current path.
		const white, grey, black = 0, 1, 2
		color := make([]int, len(p.Tasks))
		var visit func(i int, path []string)
		visit = func(i int, path []string) {
			color[i] = grey
			for _, dep := range p.Tasks[i].DependsOn {
				j, ok := idx[dep]
				switch {
				case !ok:
				case color[j] == grey:
					t.Errorf("%s: cycle: %s → %s", name, strings.Join(append(path, p.Tasks[i].ID), " → "), dep)
				case color[j] == white:
					visit(j, append(path, p.Tasks[i].ID))
				}
			}
			color[i] = black
		}
		for i := range p.Tasks {
			if color[i] == white {
				visit(i, nil)
			}
		}
	}
}

// TestTaskGraphFindsACycle makes sure the cycle search above can fail.
func TestTaskGraphFindsACycle(t *testing.T) {
	p := &Plan{Tasks: []Task{{ID: "a", DependsOn: []string{"b"}}, {ID: "b", DependsOn: []string{"a"}}}}
	if anc := ancestors(p, taskIndex(p), "a"); !anc["a"] {
		t.Fatal("a waits for b, which waits for a: the walk must come back to a")
	}
}

var taskIDRe = regexp.MustCompile(`^[a-z0-9./-]{1,120}$`)

func taskIDs(t *testing.T, p *Plan) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, tk := range p.Tasks {
		if !taskIDRe.MatchString(tk.ID) {
			t.Errorf("task id %q is not [a-z0-9./-]{1,120}", tk.ID)
		}
		if ids[tk.ID] {
			t.Errorf("task id %q appears twice", tk.ID)
		}
		ids[tk.ID] = true
	}
	return ids
}

// TestTaskIDsStay: task ids have the contract's shape, are unique, and stay
// the same when an unrelated answer changes, because recorded progress
// hangs on them (CONTRACT §8.2).
func TestTaskIDsStay(t *testing.T) {
	c := testCatalog(t)
	for name, a := range everyAnswers(t, c) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			base := taskIDs(t, build(t, c, a))
			if len(a.Rollout.Waves) > 0 && !slices.ContainsFunc(slices.Collect(maps.Keys(base)), func(id string) bool { return strings.HasPrefix(id, "w/") && strings.Count(id, "/") == 3 }) {
				t.Fatal("no device task in any wave")
			}
			variants := map[string]func(*Answers){
				"the organisation renamed": func(a *Answers) { a.Organization = "Renamed Holdings" },
				"a population added": func(a *Answers) {
					a.Populations = append(slices.Clone(a.Populations), Population{ID: "added-tablets", Name: "Added tablets", Platform: "android", Ownership: OwnCorporate, Devices: 30})
				},
				"a population and its own wave added": func(a *Answers) {
					a.Populations = append(slices.Clone(a.Populations), Population{ID: "added-tablets", Name: "Added tablets", Platform: "android", Ownership: OwnCorporate, Devices: 30})
					a.Rollout.Waves = append(slices.Clone(a.Rollout.Waves), Wave{Name: "Stragglers", Group: "Late", Start: "2028-06-01", Populations: []string{"added-tablets"}})
				},
				"every date moved": func(a *Answers) {
					if a.Rollout.PilotStart != "" {
						a.Rollout.PilotStart = "2028-01-03"
					}
					waves := slices.Clone(a.Rollout.Waves)
					for i := range waves {
						if waves[i].Start != "" {
							waves[i].Start = fmt.Sprintf("2028-02-%02d", 1+i)
						}
					}
					a.Rollout.Waves = waves
				},
				"a pilot size given": func(a *Answers) { one := 1; a.Rollout.PilotDevices = &one },
			}
			for what, change := range variants {
				v := a
				change(&v)
				p, err := c.Build(v)
				if err != nil {
					// A pilot size may be refused where the waves' counts
					// leave no device for the pilot; nothing to compare then.
					if what == "a pilot size given" {
						continue
					}
					t.Fatalf("%s: %v", what, err)
				}
				got := taskIDs(t, p)
				for id := range base {
					if !got[id] {
						t.Errorf("%s: task %s is gone", what, id)
					}
				}
			}
		})
	}
}

// TestTaskIDsFit: the longest ids the answers allow (40-character
// population ids, wave names that collide 24 times, the catalog's longest
// rule id) still fit in 120 characters.
func TestTaskIDsFit(t *testing.T) {
	c := testCatalog(t)
	longest := ""
	for _, m := range c.Methods {
		for _, s := range append(slices.Clone(m.AdminSteps), m.UserSteps...) {
			if len(s.ID) > len(longest) {
				longest = s.ID
			}
		}
	}
	for _, s := range append(slices.Clone(c.Unenroll.Steps), append(c.Rollout.Steps, c.ResetStep, c.Rollout.WaveStep)...) {
		if len(s.ID) > len(longest) {
			longest = s.ID
		}
	}
	name := strings.Repeat("Nursing stations east ", 4) // slug: 40 characters and more
	ws := make([]Wave, MaxWaves)
	for i := range ws {
		ws[i] = Wave{Name: name}
	}
	ids := waveIDs(ws)
	worst := DeviceTaskID(ids[len(ids)-1], strings.Repeat("p", 40), longest)
	if !taskIDRe.MatchString(worst) {
		t.Fatalf("the longest possible task id %q (%d characters) does not fit", worst, len(worst))
	}

	pop := strings.Repeat("a", 38) + "-x"
	a := answersFor(fullTenant(), false, Population{ID: pop, Platform: "ios", Ownership: OwnCorporate, Devices: 30, InUse: yes(), ManagedBy: ManagedOtherMDM})
	a.Rollout = Rollout{Waves: []Wave{{Name: name, Group: "G"}, {Name: name, Group: "H", Populations: []string{pop}}}}
	taskIDs(t, build(t, c, a))
}

// TestSplitGroup: a group split 300/300 over two waves is two sequences of
// 300 devices, each dated to its wave; with every device in a wave, the
// pilot has none of them, and the plan says so.
func TestSplitGroup(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false,
		Population{ID: "nursing-pcs", Name: "Nursing PCs", Platform: "windows", Ownership: OwnCorporate, Usage: UsageShared, Devices: 600, InUse: yes(), ManagedBy: ManagedNone},
		Population{ID: "ward-ipads", Name: "Ward iPads", Platform: "ios", Ownership: OwnCorporate, Devices: 40, InUse: no(), ManagedBy: ManagedNone})
	a.Rollout = Rollout{PilotStart: "2027-03-01", Waves: []Wave{
		{Name: "Wave 2", Group: "Wards A-D", Start: "2027-04-05", Populations: []string{"nursing-pcs", "ward-ipads"}, Devices: map[string]int{"nursing-pcs": 300}},
		{Name: "Wave 3", Group: "Wards E-H", Start: "2027-04-26", Populations: []string{"nursing-pcs"}, Devices: map[string]int{"nursing-pcs": 300}},
	}}
	p := build(t, c, a)
	var got []string
	for _, e := range p.Schedule {
		if e.Population == "nursing-pcs" {
			got = append(got, fmt.Sprintf("%s:%d:%s:%d", e.WaveID, e.Devices, e.Start, len(e.Tasks)))
			for _, id := range e.Tasks {
				if !strings.HasPrefix(id, "w/"+e.WaveID+"/nursing-pcs/") {
					t.Errorf("task %s in %s's sequence", id, e.WaveID)
				}
			}
		}
	}
	n := len(p.Schedule[len(p.Schedule)-1].Tasks)
	if want := []string{fmt.Sprintf("wave-2:300:2027-04-05:%d", n), fmt.Sprintf("wave-3:300:2027-04-26:%d", n)}; !slices.Equal(got, want) || n == 0 {
		t.Fatalf("nursing PCs: %v, want %v", got, want)
	}
	if p.Rollout.PilotDevices["nursing-pcs"] != 0 || p.Rollout.PilotDevices["ward-ipads"] != 2 || !p.Rollout.PilotProposed {
		t.Errorf("pilot %v, proposed %v", p.Rollout.PilotDevices, p.Rollout.PilotProposed)
	}
	if w := p.Rollout.Waves; w[0].Devices != 338 || w[1].Devices != 300 || w[0].DevicesByPopulation["ward-ipads"] != 38 {
		t.Errorf("wave devices: %d %v, %d", w[0].Devices, w[0].DevicesByPopulation, w[1].Devices)
	}
	notes := map[string]string{}
	for _, w := range p.Rollout.Warnings {
		notes[w.ID] = w.Text
	}
	if !strings.Contains(notes[NoteNoPilotDevices], "No device of Nursing PCs is in the pilot") {
		t.Errorf("no warning that the nursing PCs skip the pilot: %v", notes)
	}
	if !strings.Contains(notes[NotePilotProposed], "the plan proposes 2 devices") {
		t.Errorf("the proposed pilot size is not said: %v", notes)
	}
}

// TestOwners: who does a task, in words: the prerequisite's owner, an
// administrator, each device's user, or IT staff for devices without one
// user of their own; the rollout's own steps by its lead.
func TestOwners(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false,
		Population{ID: "laptops", Platform: "windows", Ownership: OwnCorporate, Devices: 20, InUse: no()},
		Population{ID: "kiosks", Platform: "windows", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 4, InUse: no(), Method: "windows-autopilot"})
	a.Tenant.GroupsReady = no()
	p := build(t, c, a)
	groupsOwner := ""
	for _, pr := range p.Prerequisites {
		if pr.ID == PrereqGroups {
			groupsOwner = pr.Owner
		}
	}
	want := map[string]string{
		"prereq.groups":                   groupsOwner,
		"w/pilot/laptops/ap.user-sign-in": OwnerUser,
		"w/pilot/kiosks/ap.self-start":    OwnerAdmin, // IT starts PCs that have no user of their own (issue 17)
		"w/pilot/laptops/ap.monitor":      OwnerAdmin,
		"w/pilot/rollout.test":            c.Rollout.Owner,
		"rollout.pilot-group":             c.Rollout.Owner,
		"ap.profile-user":                 OwnerAdmin,
		"rollout.wave":                    c.Rollout.Owner, // no waves yet: one task after the pilot
	}
	idx := taskIndex(p)
	for id, owner := range want {
		i, ok := idx[id]
		if !ok {
			t.Errorf("no task %s", id)
			continue
		}
		if got := p.Tasks[i].Owner; got != owner || got == "" {
			t.Errorf("%s: owner %q, want %q", id, got, owner)
		}
	}
}
