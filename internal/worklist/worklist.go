// Package worklist turns a plan and the device list its planner kept into
// one row per device: its group, wave, method, factory reset, the steps
// for it and the status the team recorded (CONTRACT §8.5, issue 18). It
// reads internal/plan and internal/inventory only; the recorded progress
// comes through Progress, so that the package knows nothing of storage.
package worklist

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/plan"
)

// Header is the worklist's heading row, in column order.
var Header = []string{
	"Device name", "Serial number", "User", "Group", "Wave", "Wave start", "Method",
	"Factory reset", "Steps for this device", "Status", "Enrolled in wave", "Row in inventory",
}

// Row is one device of the worklist. Every field is text as a person
// reads it, except InventoryRow, the device's row in the uploaded file.
type Row struct {
	Name, Serial, User string
	Group              string // the population's name, or why the device is in none
	Wave               string // "Pilot", a wave's name, or why the device is in none
	WaveStart          string // YYYY-MM-DD, "" when the wave has no date
	Method             string
	FactoryReset       string // as the plan's summary says it: Yes, No, No (new devices)
	Steps              string // the titles of the device's tasks in its wave, joined by StepSeparator
	Status             string // Done, To do, In progress: 2 of 5 done, Blocked: …
	Enrolled           string // "40 of 120": devices recorded enrolled of those planned for the wave
	InventoryRow       int
}

// Cells is the row as Header orders it.
func (r Row) Cells() []string {
	row := ""
	if r.InventoryRow > 0 {
		row = strconv.Itoa(r.InventoryRow) // a number a spreadsheet can sort, so no separator
	}
	return []string{r.Name, r.Serial, r.User, r.Group, r.Wave, r.WaveStart, r.Method,
		r.FactoryReset, r.Steps, r.Status, r.Enrolled, row}
}

// StepSeparator joins the titles of a device's steps.
const StepSeparator = " · "

// Words for devices the plan does not place in a wave.
const (
	// NotInPlan is the group of a device whose population the planner
	// has since removed from the plan.
	NotInPlan = "(not in the plan)"
	// Retire is the group of a device the inventory found stale: the
	// planner chose to retire it rather than enroll it.
	Retire = "Retire (no recent check-in)"
	// NoWaveYet is the wave of a device no wave of the plan takes yet.
	NoWaveYet = "No wave yet"
	// AfterPilot is its wave when the plan has no waves after the pilot.
	AfterPilot = "After the pilot"
)

// Task statuses as the team records them (CONTRACT §8.3).
const (
	StatusTodo    = "todo"
	StatusDoing   = "doing"
	StatusDone    = "done"
	StatusBlocked = "blocked"
	StatusSkipped = "skipped"
)

// Progress is what the team recorded on the plan.
type Progress interface {
	// TaskStatus is a task's status (one of the Status constants) and its
	// note.
	TaskStatus(taskID string) (status, note string)
	// Enrolled is the count recorded for a population in a wave; known is
	// false where nothing can be recorded yet (a draft).
	Enrolled(waveID, populationID string) (n int, known bool)
}

// PlanOnly is the progress of a plan nobody has recorded anything on (a
// wizard draft): a task is done when the plan says so, else to do, and no
// count is known.
func PlanOnly(p *plan.Plan) Progress {
	done := planOnly{}
	for _, t := range p.Tasks {
		if t.Done {
			done[t.ID] = true
		}
	}
	return done
}

type planOnly map[string]bool // the tasks the plan says are done

func (po planOnly) TaskStatus(id string) (string, string) {
	if po[id] {
		return StatusDone, ""
	}
	return StatusTodo, ""
}

func (planOnly) Enrolled(string, string) (int, bool) { return 0, false }

// slot is one schedule entry and the devices it takes.
type slot struct {
	entry plan.ScheduleEntry
	order int // the wave's place in the schedule
	taken int
	// The columns every device of the entry shares, made for its first.
	done                    bool
	steps, status, enrolled string
}

// Build makes one row per device: the devices in the schedule's order of
// waves (the pilot first), inside a wave in the inventory's row order;
// devices in no wave last, in row order.
//
// Which wave a device is in: the schedule says how many devices of a
// population each wave enrolls, and the population's devices fill those
// counts in row order. Devices past the planned counts go to the
// population's last wave after the pilot (the pilot is a chosen few); a
// population the schedule has no such wave for leaves them in none.
func Build(p *plan.Plan, devices []inventory.Device, prog Progress) []Row {
	doc := plan.NewDocument(p) // the summary's words for method and factory reset
	groups := map[string]plan.GroupLine{}
	for _, g := range doc.Groups {
		groups[g.ID] = g
	}
	titles := map[string]string{}
	for _, t := range p.Tasks {
		if _, dup := titles[t.ID]; !dup {
			titles[t.ID] = t.Title
		}
	}
	waveOrder := map[string]int{}
	slots := map[string][]*slot{} // population id → its entries, in schedule order
	for _, e := range p.Schedule {
		if _, ok := waveOrder[e.WaveID]; !ok {
			waveOrder[e.WaveID] = len(waveOrder)
		}
		slots[e.Population] = append(slots[e.Population], &slot{entry: e, order: waveOrder[e.WaveID]})
	}
	noWave := NoWaveYet
	if len(p.Rollout.Waves) == 0 {
		noWave = AfterPilot
	}

	sorted := slices.Clone(devices)
	slices.SortStableFunc(sorted, func(a, b inventory.Device) int { return cmp.Compare(a.Row, b.Row) })
	type placed struct {
		row   Row
		order int // the wave's place; len(waveOrder) for none
	}
	out := make([]placed, 0, len(sorted))
	for _, d := range sorted {
		r := Row{Name: d.Name, Serial: d.Serial, User: d.User, InventoryRow: d.Row}
		g, known := groups[d.Population]
		switch {
		case d.Population == "":
			r.Group = Retire
		case !known:
			r.Group = NotInPlan
		default:
			r.Group, r.Method, r.FactoryReset = g.Name, g.Method, g.Reset
		}
		if !known {
			out = append(out, placed{r, len(waveOrder)})
			continue
		}
		s := take(slots[d.Population])
		if s == nil {
			r.Wave = noWave
			out = append(out, placed{r, len(waveOrder)})
			continue
		}
		s.fill(titles, prog)
		r.Wave, r.WaveStart = s.entry.Wave, s.entry.Start
		r.Steps, r.Status, r.Enrolled = s.steps, s.status, s.enrolled
		out = append(out, placed{r, s.order})
	}
	slices.SortStableFunc(out, func(a, b placed) int { return cmp.Compare(a.order, b.order) })
	rows := make([]Row, len(out))
	for i, p := range out {
		rows[i] = p.row
	}
	return rows
}

// fill makes the columns the entry's devices share, once.
func (s *slot) fill(titles map[string]string, prog Progress) {
	if s.done {
		return
	}
	e := s.entry
	steps := make([]string, 0, len(e.Tasks))
	for _, id := range e.Tasks {
		steps = append(steps, titles[id])
	}
	s.steps = strings.Join(steps, StepSeparator)
	s.status = status(e.Tasks, titles, prog)
	if n, ok := prog.Enrolled(e.WaveID, e.Population); ok {
		s.enrolled = plan.Thousands(n) + " of " + plan.Thousands(e.Devices)
	}
	s.done = true
}

// take gives the next device of a population its entry: the first whose
// planned count is not yet reached, else the last after the pilot; nil
// when there is none.
func take(entries []*slot) *slot {
	for _, s := range entries {
		if s.taken < s.entry.Devices {
			s.taken++
			return s
		}
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].entry.WaveID != plan.PilotWaveID {
			entries[i].taken++
			return entries[i]
		}
	}
	return nil
}

// status sums up, in words, what the team recorded on a device's tasks:
// blocked first (what blocks it matters most), then done, to do, or how
// far along.
func status(tasks []string, titles map[string]string, prog Progress) string {
	if len(tasks) == 0 {
		return ""
	}
	closed, started := 0, false
	for _, id := range tasks {
		st, note := prog.TaskStatus(id)
		switch st {
		case StatusBlocked:
			if note = strings.Join(strings.Fields(note), " "); note != "" {
				return "Blocked: " + note
			}
			return "Blocked: " + titles[id]
		case StatusDone, StatusSkipped:
			closed++
		case StatusDoing:
			started = true
		}
	}
	switch {
	case closed == len(tasks):
		return "Done"
	case closed == 0 && !started:
		return "To do"
	}
	return "In progress: " + plan.Thousands(closed) + " of " + plan.Thousands(len(tasks)) + " done"
}
