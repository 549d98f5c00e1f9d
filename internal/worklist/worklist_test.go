package worklist

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/plan"
)

// testPlan has three populations: laptops (12 devices: 2 in the pilot, 10
// in wave 1), phones (10: 2, 4, 4) and kiosks (8, all in wave 2), each
// with two device steps per wave.
func testPlan() *plan.Plan {
	p := &plan.Plan{Organization: "Northwind"}
	pop := func(id, name, method string, reset, inUse bool, n int) plan.PopulationPlan {
		return plan.PopulationPlan{ID: id, Name: name, Devices: n, Enroll: true, InUse: inUse,
			Method: plan.Method{ID: method, Name: method}, FactoryReset: plan.FactoryReset{Required: reset}}
	}
	p.Populations = []plan.PopulationPlan{
		pop("laptops", "Staff laptops", "Windows Autopilot", false, true, 12),
		pop("phones", "Sales iPhones", "Automated Device Enrollment", true, true, 10),
		pop("kiosks", "Shop kiosks", "Kiosk enrollment", true, false, 8),
	}
	p.Rollout.PilotStart = "2027-01-11"
	p.Rollout.Waves = []plan.WavePlan{{ID: "wave-1", Name: "Wave 1", Start: "2027-02-01"}, {ID: "wave-2", Name: "Wave 2", Start: "2027-03-01"}}
	entry := func(waveID, wave, start, popID string, n int) {
		e := plan.ScheduleEntry{Wave: wave, WaveID: waveID, Start: start, Population: popID, Devices: n}
		for _, step := range []string{"enroll", "check"} {
			id := plan.DeviceTaskID(waveID, popID, step)
			e.Tasks = append(e.Tasks, id)
			p.Tasks = append(p.Tasks, plan.Task{ID: id, Title: fmt.Sprintf("%s %s in %s", strings.ToUpper(step[:1])+step[1:], popID, wave), WaveID: waveID, Population: popID})
		}
		p.Schedule = append(p.Schedule, e)
	}
	entry(plan.PilotWaveID, "Pilot", "2027-01-11", "laptops", 2)
	entry(plan.PilotWaveID, "Pilot", "2027-01-11", "phones", 2)
	entry("wave-1", "Wave 1", "2027-02-01", "laptops", 10)
	entry("wave-1", "Wave 1", "2027-02-01", "phones", 4)
	entry("wave-2", "Wave 2", "2027-03-01", "phones", 4)
	entry("wave-2", "Wave 2", "2027-03-01", "kiosks", 8)
	return p
}

// testDevices is 30 devices, the populations interleaved by row.
func testDevices() []inventory.Device {
	var out []inventory.Device
	counts := map[string]int{"laptops": 12, "phones": 10, "kiosks": 8}
	row := 0
	for len(out) < 30 {
		for _, pop := range []string{"kiosks", "phones", "laptops"} {
			if counts[pop] == 0 {
				continue
			}
			counts[pop]--
			row++
			out = append(out, inventory.Device{Row: row, Name: fmt.Sprintf("%s-%02d", pop, row), Serial: fmt.Sprintf("SN%04d", row), User: fmt.Sprintf("user%d@northwind.example", row), Population: pop})
		}
	}
	return out
}

// fakeProgress records statuses by task id and counts by wave/population.
type fakeProgress struct {
	status   map[string][2]string
	enrolled map[string]int
}

func (f fakeProgress) TaskStatus(id string) (string, string) {
	if s, ok := f.status[id]; ok {
		return s[0], s[1]
	}
	return StatusTodo, ""
}

func (f fakeProgress) Enrolled(wave, pop string) (int, bool) { return f.enrolled[wave+"/"+pop], true }

func TestBuildPlacesDevicesByPlannedCounts(t *testing.T) {
	p := testPlan()
	devices := testDevices()
	slices.Reverse(devices) // the inventory's row order counts, not the list's
	rows := Build(p, devices, fakeProgress{enrolled: map[string]int{"wave-1/laptops": 4}})
	if len(rows) != 30 {
		t.Fatalf("%d rows, want one per device (30)", len(rows))
	}
	perWave := map[string]map[string]int{}
	lastRow := map[string]int{}
	var waves []string
	for _, r := range rows {
		if perWave[r.Wave] == nil {
			perWave[r.Wave] = map[string]int{}
			waves = append(waves, r.Wave)
		}
		perWave[r.Wave][r.Group]++
		if r.InventoryRow < lastRow[r.Wave] {
			t.Errorf("row %d comes after row %d in %s: inside a wave, the inventory's order", r.InventoryRow, lastRow[r.Wave], r.Wave)
		}
		lastRow[r.Wave] = r.InventoryRow
	}
	if want := []string{"Pilot", "Wave 1", "Wave 2"}; !slices.Equal(waves, want) {
		t.Errorf("waves in order %v, want %v", waves, want)
	}
	want := map[string]map[string]int{
		"Pilot":  {"Staff laptops": 2, "Sales iPhones": 2},
		"Wave 1": {"Staff laptops": 10, "Sales iPhones": 4},
		"Wave 2": {"Sales iPhones": 4, "Shop kiosks": 8},
	}
	if fmt.Sprint(perWave) != fmt.Sprint(want) {
		t.Errorf("devices per wave %v, want the plan's counts %v", perWave, want)
	}
	// The first two laptops by row are the pilot's.
	var laptops []Row
	for _, r := range rows {
		if r.Group == "Staff laptops" {
			laptops = append(laptops, r)
		}
	}
	slices.SortFunc(laptops, func(a, b Row) int { return a.InventoryRow - b.InventoryRow })
	if laptops[0].Wave != "Pilot" || laptops[1].Wave != "Pilot" || laptops[2].Wave != "Wave 1" {
		t.Errorf("laptops by row are in %s, %s, %s; want the first two in the pilot", laptops[0].Wave, laptops[1].Wave, laptops[2].Wave)
	}
	l := laptops[2]
	if l.WaveStart != "2027-02-01" || l.Method != "Windows Autopilot" || l.FactoryReset != "No" {
		t.Errorf("laptop row %+v: want wave start 2027-02-01, Windows Autopilot, factory reset No", l)
	}
	if want := "Enroll laptops in Wave 1 · Check laptops in Wave 1"; l.Steps != want {
		t.Errorf("steps %q, want %q", l.Steps, want)
	}
	if l.Enrolled != "4 of 10" || l.Status != "To do" {
		t.Errorf("enrolled %q, status %q; want 4 of 10, To do", l.Enrolled, l.Status)
	}
	for _, r := range rows {
		if r.Group == "Shop kiosks" && r.FactoryReset != "No (new devices)" {
			t.Errorf("kiosk factory reset %q, want the plan's words for new devices", r.FactoryReset)
		}
		if r.Group == "Sales iPhones" && r.FactoryReset != "Yes" {
			t.Errorf("phone factory reset %q, want Yes", r.FactoryReset)
		}
	}
}

func TestStatusFollowsRecordedProgress(t *testing.T) {
	p := testPlan()
	id := func(wave, pop, step string) string { return plan.DeviceTaskID(wave, pop, step) }
	prog := fakeProgress{status: map[string][2]string{
		id("pilot", "laptops", "enroll"): {StatusDone, ""},
		id("pilot", "laptops", "check"):  {StatusSkipped, ""},
		id("pilot", "phones", "enroll"):  {StatusDone, ""},
		id("pilot", "phones", "check"):   {StatusDoing, ""},
		id("wave-1", "phones", "enroll"): {StatusBlocked, "Waiting for the\nApple token"},
		id("wave-2", "phones", "check"):  {StatusBlocked, ""},
	}}
	got := map[string]string{}
	for _, r := range Build(p, testDevices(), prog) {
		got[r.Wave+"/"+r.Group] = r.Status
	}
	want := map[string]string{
		"Pilot/Staff laptops":  "Done",
		"Pilot/Sales iPhones":  "In progress: 1 of 2 done",
		"Wave 1/Staff laptops": "To do",
		"Wave 1/Sales iPhones": "Blocked: Waiting for the Apple token",
		"Wave 2/Sales iPhones": "Blocked: Check phones in Wave 2",
		"Wave 2/Shop kiosks":   "To do",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses\n got %v\nwant %v", got, want)
	}
}

func TestDevicesOutsideThePlannedWaves(t *testing.T) {
	p := testPlan()
	devices := testDevices()
	devices = append(devices,
		inventory.Device{Row: 31, Name: "extra-kiosk", Population: "kiosks"},
		inventory.Device{Row: 32, Name: "extra-laptop", Population: "laptops"},
		inventory.Device{Row: 33, Name: "old-tablet", Population: "tablets"},
		inventory.Device{Row: 34, Name: "stale-pc", Population: ""},
	)
	p.Populations = append(p.Populations, plan.PopulationPlan{ID: "desks", Name: "Hot desks", Method: plan.Method{Name: "Windows Autopilot"}})
	devices = append(devices, inventory.Device{Row: 35, Name: "desk-1", Population: "desks"})
	rows := Build(p, devices, PlanOnly(p))
	byName := map[string]Row{}
	for _, r := range rows {
		byName[r.Name] = r
	}
	if r := byName["extra-kiosk"]; r.Wave != "Wave 2" || r.Status != "To do" {
		t.Errorf("a kiosk past the planned 8 is in %q (%q); want the kiosks' last wave, Wave 2", r.Wave, r.Status)
	}
	if r := byName["extra-laptop"]; r.Wave != "Wave 1" {
		t.Errorf("a laptop past the planned 12 is in %q; want the laptops' last wave, Wave 1", r.Wave)
	}
	if r := byName["old-tablet"]; r.Group != NotInPlan || r.Wave != "" || r.Method != "" || r.Steps != "" {
		t.Errorf("a device of a population the plan no longer has: %+v; want group %q and the rest blank", r, NotInPlan)
	}
	if r := byName["stale-pc"]; r.Group != Retire || r.Wave != "" {
		t.Errorf("a stale device: %+v; want group %q", r, Retire)
	}
	if r := byName["desk-1"]; r.Group != "Hot desks" || r.Wave != NoWaveYet || r.Method != "Windows Autopilot" {
		t.Errorf("a device of a population in no wave: %+v; want its group, method and %q", r, NoWaveYet)
	}
	if r := byName["extra-kiosk"]; r.Enrolled != "" {
		t.Errorf("a draft's worklist says %q enrolled; nothing is recorded on a draft", r.Enrolled)
	}
	// Devices in no wave come last, in row order.
	var tail []int
	for _, r := range rows[len(rows)-3:] {
		tail = append(tail, r.InventoryRow)
	}
	if !slices.Equal(tail, []int{33, 34, 35}) {
		t.Errorf("the last rows are %v, want the devices in no wave (33, 34, 35)", tail)
	}
}

func TestNoWavesAfterThePilot(t *testing.T) {
	p := testPlan()
	p.Rollout.Waves = nil
	p.Schedule = p.Schedule[:2] // the pilot's entries
	rows := Build(p, testDevices(), PlanOnly(p))
	n := 0
	for _, r := range rows {
		if r.Wave == AfterPilot {
			n++
		}
	}
	if n != 26 {
		t.Errorf("%d devices are %q, want the 26 the pilot does not take", n, AfterPilot)
	}
}

func TestPlanOnlyReadsThePlansDoneTasks(t *testing.T) {
	p := testPlan()
	for i := range p.Tasks {
		if p.Tasks[i].WaveID == "wave-2" && p.Tasks[i].Population == "kiosks" {
			p.Tasks[i].Done = true
		}
	}
	for _, r := range Build(p, testDevices(), PlanOnly(p)) {
		if want := map[bool]string{true: "Done", false: "To do"}[r.Group == "Shop kiosks"]; r.Status != want {
			t.Fatalf("%s in %s: status %q, want %q", r.Group, r.Wave, r.Status, want)
		}
	}
}

func TestHeaderMatchesCells(t *testing.T) {
	if got := len(Row{}.Cells()); got != len(Header) {
		t.Fatalf("a row has %d cells, the header %d", got, len(Header))
	}
	if Header[waveStartColumn] != "Wave start" {
		t.Errorf("waveStartColumn points at %q", Header[waveStartColumn])
	}
}
