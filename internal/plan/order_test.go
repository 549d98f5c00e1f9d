package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// situations are the four starting points CONTRACT §3 orders steps for:
// new devices, devices in use with no MDM, devices leaving another MDM, and
// PCs Configuration Manager manages today.
var situations = []struct {
	name      string
	inUse     *bool
	managedBy string
}{
	{"new", no(), ManagedNone},
	{"in use", yes(), ManagedNone},
	{"other MDM", yes(), ManagedOtherMDM},
	{"Configuration Manager", yes(), ManagedConfigMgr},
}

// populationsFor lists a population for every ownership and usage the
// method fits, on each of its platforms, in every situation that can occur.
func populationsFor(m *MethodDef) []Population {
	var out []Population
	for _, platform := range m.Platforms {
		for _, own := range m.Ownership {
			for _, use := range m.Usage {
				if own == OwnPersonal && use != UsageUser {
					continue
				}
				for _, sit := range situations {
					if sit.managedBy == ManagedConfigMgr && platform != "windows" {
						continue // validation refuses it: co-management is Windows only
					}
					p := Population{Platform: platform, Ownership: own, Usage: use, Devices: 40, InUse: sit.inUse, ManagedBy: sit.managedBy, Method: m.ID}
					if m.ID == MethodMAMWE {
						p.Enroll = no()
					}
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// TestStepOrderEveryMethod runs every method × {new, in use, other MDM,
// Configuration Manager} and fails on any step or task out of order: within a
// population, kinds never go backwards; a device never enrolls before it has
// left its MDM and, where the method needs it, been wiped; nothing that
// touches a device is in preparation (CONTRACT §3).
func TestStepOrderEveryMethod(t *testing.T) {
	c := testCatalog(t)
	for _, m := range c.Methods {
		for _, pop := range populationsFor(m) {
			name := fmt.Sprintf("%s/%s/%s/%s/in_use=%v/%s", m.ID, pop.Platform, pop.Ownership, pop.Usage, *pop.InUse, pop.ManagedBy)
			t.Run(name, func(t *testing.T) {
				pl, p := buildOne(t, fullTenant(), false, pop)
				checkStepOrder(t, pl, p)
			})
		}
	}
}

func checkStepOrder(t *testing.T, pl *Plan, p PopulationPlan) {
	t.Helper()
	last := -1
	for _, s := range p.Steps {
		r := kindRank(s.Kind)
		if r < 0 {
			t.Fatalf("step %s has kind %q", s.ID, s.Kind)
		}
		if r < last {
			t.Errorf("step %s (%s) comes after a %s step:\n%s", s.ID, s.Kind, StepKinds[last], stepList(p.Steps))
		}
		last = max(last, r)
	}
	firstOf := func(kind string) int {
		return slices.IndexFunc(p.Steps, func(s Step) bool { return s.Kind == kind })
	}
	enroll := firstOf(KindEnroll)
	if p.ManagedBy == ManagedOtherMDM && p.Enroll {
		leave := firstOf(KindLeaveMDM)
		if leave < 0 {
			t.Errorf("devices leaving another MDM have no step that leaves it:\n%s", stepList(p.Steps))
		}
		if enroll >= 0 && leave > enroll {
			t.Errorf("enrolls before leaving the other MDM:\n%s", stepList(p.Steps))
		}
	}
	if p.FactoryReset.Required && p.InUse {
		wipe := firstOf(KindWipe)
		if wipe < 0 {
			t.Errorf("reset required for devices in use, but no wipe step:\n%s", stepList(p.Steps))
		}
		if enroll >= 0 && wipe > enroll {
			t.Errorf("enrolls before the wipe:\n%s", stepList(p.Steps))
		}
	}
	if !p.InUse && slices.ContainsFunc(p.Steps, func(s Step) bool { return s.ID == "factory-reset" }) {
		t.Errorf("new devices are told to factory reset:\n%s", stepList(p.Steps))
	}
	checkCoManagementOrder(t, pl, p)

	for _, tk := range pl.Tasks {
		if touchesDevice(tk.Kind) && tk.Phase == PhasePrepare {
			t.Errorf("task %s (%s) touches devices but is in preparation", tk.ID, tk.Kind)
		}
	}
	// Inside each wave, the population's tasks keep the kind order.
	kinds := map[string]string{}
	for _, tk := range pl.Tasks {
		kinds[tk.ID] = tk.Kind
	}
	for _, e := range pl.Schedule {
		if e.Population != p.ID {
			continue
		}
		last := -1
		for _, id := range e.Tasks {
			if r := kindRank(kinds[id]); r < last {
				t.Errorf("%s task %s (%s) comes after a %s task", e.Wave, id, kinds[id], StepKinds[last])
			} else {
				last = r
			}
		}
	}
}

// Co-management's steps: the Cloud Attach wizard enables co-management
// (and with it the PCs' enrollment) without moving any workload; workloads
// move afterwards from the co-management properties (how-to-enable
// 2025-08-29, how-to-switch-workloads 2021-10-05).
func isCoMgmtEnable(id string) bool {
	return id == "comgmt.enable" || strings.HasPrefix(id, "comgmt.enable-")
}
func isCoMgmtWorkloads(id string) bool { return id == "comgmt.workloads" }

// checkCoManagementOrder fails when a population's plan moves co-management
// workloads before co-management is enabled: in its steps, in preparation
// (which runs before any wave), or in a wave whose workload task doesn't
// wait for that wave's enable task.
func checkCoManagementOrder(t *testing.T, pl *Plan, p PopulationPlan) {
	t.Helper()
	enable := slices.IndexFunc(p.Steps, func(s Step) bool { return isCoMgmtEnable(s.ID) })
	move := slices.IndexFunc(p.Steps, func(s Step) bool { return isCoMgmtWorkloads(s.ID) })
	if p.Method.ID == "windows-co-management" && (enable < 0 || move < 0) {
		t.Errorf("co-management without a step that enables it or one that moves workloads:\n%s", stepList(p.Steps))
	}
	if move >= 0 && (enable < 0 || move < enable) {
		t.Errorf("workloads move before co-management is enabled:\n%s", stepList(p.Steps))
	}
	byID := map[string]Task{}
	for _, tk := range pl.Tasks {
		byID[tk.ID] = tk
		if isCoMgmtWorkloads(tk.ID) || (tk.Phase == PhasePrepare && strings.HasSuffix(tk.ID, "/comgmt.workloads")) {
			t.Errorf("task %s moves workloads in preparation, before any PC is co-managed", tk.ID)
		}
	}
	var waitsFor func(id, target string, seen map[string]bool) bool
	waitsFor = func(id, target string, seen map[string]bool) bool {
		if seen[id] {
			return false
		}
		seen[id] = true
		for _, d := range byID[id].DependsOn {
			if d == target || waitsFor(d, target, seen) {
				return true
			}
		}
		return false
	}
	for _, e := range pl.Schedule {
		if e.Population != p.ID {
			continue
		}
		en := slices.IndexFunc(e.Tasks, func(id string) bool { return isCoMgmtEnable(id[strings.LastIndex(id, "/")+1:]) })
		for i, id := range e.Tasks {
			if !isCoMgmtWorkloads(id[strings.LastIndex(id, "/")+1:]) {
				continue
			}
			if en < 0 || i < en || !waitsFor(id, e.Tasks[en], map[string]bool{}) {
				t.Errorf("%s: task %s doesn't wait for co-management to be enabled in that wave: %v", e.Wave, id, e.Tasks)
			}
		}
	}
}

// TestCoManagementEnabledBeforeWorkloads: in every cloud that offers
// co-management, for every kind of group Configuration Manager manages, with
// a pilot and two waves, workloads move only after co-management is enabled,
// in the same wave.
func TestCoManagementEnabledBeforeWorkloads(t *testing.T) {
	c := testCatalog(t)
	for _, cloud := range []string{"global", "gcc", "gcc-high", "dod", "china"} {
		for _, usage := range Usages {
			t.Run(cloud+"/"+usage, func(t *testing.T) {
				tn := fullTenant()
				tn.Cloud, tn.ConfigMgr = cloud, yes()
				a := answersFor(tn, false, Population{ID: "pcs", Name: "PCs", Platform: "windows", Ownership: OwnCorporate, Usage: usage, Devices: 400, InUse: yes(), ManagedBy: ManagedConfigMgr})
				a.Rollout = Rollout{PilotStart: "2027-02-01", Waves: []Wave{{Name: "Wave 1", Group: "w1", Start: "2027-03-01"}, {Name: "Wave 2", Group: "w2", Start: "2027-04-01"}}}
				pl, err := c.Build(a)
				if err != nil {
					t.Fatal(err)
				}
				p := pl.Populations[0]
				if p.Method.ID != "windows-co-management" {
					t.Fatalf("Configuration Manager PCs → %s, want co-management", p.Method.ID)
				}
				checkStepOrder(t, pl, p)
				n := 0
				for _, e := range pl.Schedule {
					if slices.ContainsFunc(e.Tasks, func(id string) bool { return strings.HasSuffix(id, "/comgmt.workloads") }) {
						n++
					}
				}
				if n != 3 {
					t.Errorf("workloads move in %d of the pilot and two waves, want all three", n)
				}
			})
		}
	}
}

func stepList(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "  %-10s %-6s %s\n", s.Kind, s.Actor, s.ID)
	}
	return b.String()
}

// TestScoping: a population's steps and warnings come from its own method,
// scoped to its platform, or from the tenant-wide lists scoped to it; a
// checklist task appears once and names exactly the populations it serves.
func TestScoping(t *testing.T) {
	c := testCatalog(t)
	for _, name := range exampleNames(t) {
		a, err := c.DecodeAnswers(readExample(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pl, err := c.Build(a)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pl.Populations {
			m := c.Method(p.Method.ID)
			own := map[string][]string{}
			for _, s := range append(append(slices.Clone(m.AdminSteps), m.UserSteps...), append(append(c.Unenroll.Steps, c.ResetStep), c.ResetBackup...)...) {
				own[s.ID] = s.Platforms
			}
			for _, s := range p.Steps {
				plats, ok := own[s.ID]
				if !ok {
					t.Errorf("%s: %s has step %s, which is neither its method's nor a tenant-wide one", name, p.ID, s.ID)
				} else if len(plats) > 0 && !slices.Contains(plats, p.Platform) {
					t.Errorf("%s: %s (%s) has step %s, scoped to %v", name, p.ID, p.Platform, s.ID, plats)
				}
			}
			for _, w := range m.Warnings {
				if len(w.Platforms) > 0 && !slices.Contains(w.Platforms, p.Platform) &&
					slices.ContainsFunc(p.Warnings, func(x Warning) bool { return x.ID == w.ID }) {
					t.Errorf("%s: %s (%s) has warning %s, scoped to %v", name, p.ID, p.Platform, w.ID, w.Platforms)
				}
			}
		}
		seen := map[string]bool{}
		for _, tk := range pl.Tasks {
			key := tk.Phase + " " + tk.ID
			if seen[key] {
				t.Errorf("%s: task %s appears twice in %s", name, tk.ID, tk.Phase)
			}
			seen[key] = true
			if strings.HasPrefix(tk.ID, "prereq.") || strings.HasPrefix(tk.ID, "rollout.") {
				continue
			}
			rule := tk.ID
			if parts := strings.Split(tk.ID, "/"); parts[0] == "w" {
				if len(parts) != 4 {
					continue // a wave's own step
				}
				rule = parts[3] // w/<wave>/<population>/<rule>: the population's step
				if tk.Population != parts[2] {
					t.Errorf("%s: task %s is for %q", name, tk.ID, tk.Population)
				}
			}
			for _, p := range pl.Populations {
				has := slices.ContainsFunc(p.Steps, func(s Step) bool { return s.ID == rule })
				if tk.WaveID != "" {
					has = has && p.ID == tk.Population
				}
				if named := slices.Contains(tk.Populations, p.ID); has != named {
					t.Errorf("%s: task %s names %s = %v, but its plan has the step = %v", name, tk.ID, p.ID, named, has)
				}
			}
			if (len(tk.Populations) == 1) != (tk.Population != "") {
				t.Errorf("%s: task %s: population %q with populations %v", name, tk.ID, tk.Population, tk.Populations)
			}
		}
	}
}

// TestScopedBaselineTerms: free-text baseline items that name a known
// policy go to its platforms only (BitLocker to Windows, FileVault to macOS);
// other free text goes to every population.
func TestScopedBaselineTerms(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false,
		Population{Platform: "windows", Ownership: OwnCorporate, Devices: 3, InUse: no()},
		Population{Platform: "macos", Ownership: OwnCorporate, Devices: 3},
		Population{Platform: "ios", Ownership: OwnPersonal, Devices: 3})
	a.Baseline = []string{"BitLocker encryption", "FileVault", "Defender onboarding", "Printer mapping"}
	pl, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"BitLocker encryption": {"pa"}, "FileVault": {"pb"}, "Printer mapping": {"pa", "pb", "pc"}}
	for _, bi := range pl.Baseline {
		if w, ok := want[bi.Title]; ok && !slices.Equal(bi.AppliesTo, w) {
			t.Errorf("%s applies to %v, want %v", bi.Title, bi.AppliesTo, w)
		}
	}
}
