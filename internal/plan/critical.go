// The critical path: prerequisites as a dependency graph, each with a lead
// time, worked back from the first date that needs it.

package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// lead is a prerequisite's lead time as this plan uses it.
type lead struct {
	days  int
	cited bool   // a page states it
	note  string // in words: the quote, or why the estimate is what it is
}

// leadOf is the catalog's lead time for a prerequisite, or the planner's
// (rollout.lead_times) when the answers give one.
func (b *builder) leadOf(def *PrereqDef) lead {
	l := lead{cited: def.LeadSource != ""}
	if def.LeadDays != nil {
		l.days = *def.LeadDays
	}
	catalog := leadWords(l.days, l.cited)
	if l.cited {
		l.note = fmt.Sprintf("Takes %s, from %s: %s %s", Count(l.days, "day", "days"), b.c.Sources[def.LeadSource].Title, inQuotes(def.LeadQuote), def.LeadBasis)
	} else {
		l.note = fmt.Sprintf("Takes %s, a planning estimate: %s", Count(l.days, "day", "days"), def.LeadBasis)
	}
	if n, ok := b.a.Rollout.LeadTimes[def.ID]; ok {
		l = lead{days: n, note: fmt.Sprintf("Takes %s, as set for this plan; the catalog says %s.", Count(n, "day", "days"), catalog)}
	}
	return l
}

// leadWords says a lead time and where it comes from: "1 day, from the
// docs" or "5 days, a planning estimate".
func leadWords(days int, cited bool) string {
	if cited {
		return Count(days, "day", "days") + ", from the docs"
	}
	return Count(days, "day", "days") + ", a planning estimate"
}

// event is the date a population first needs its prerequisites: the pilot
// or the first dated wave that enrolls it.
type event struct {
	date  string // YYYY-MM-DD
	label string // "the pilot", or the wave's name
}

// needAt is the date a prerequisite must be done by for one population,
// and why: the population's event, directly or through a prerequisite that
// needs this one first (via).
type needAt struct {
	date string
	ev   event
	via  string // prerequisite id, "" when the population needs it itself
}

// earlier reports whether n is a tighter reason than m: the earlier date,
// then a direct need over one through another prerequisite.
func (n needAt) earlier(m needAt) bool {
	if n.date != m.date {
		return n.date < m.date
	}
	return n.via == "" && m.via != ""
}

// critical is the worked-back schedule of the plan's prerequisites.
type critical struct {
	lead     map[string]lead
	needs    map[string][]string          // prerequisite → the plan's prerequisites it needs
	per      map[string]map[string]needAt // prerequisite → population → its need
	unblocks map[string][]string          // prerequisite → populations waiting on it, in plan order
	need     map[string]needAt            // prerequisite → its earliest need
	due      map[string]string            // prerequisite → due date, not done ones with a need
}

// populationEvents is each population's first date: the pilot's start (the
// pilot has a few devices of every population), else the earliest dated
// wave that covers it. Populations without one are absent.
func populationEvents(p *Plan) map[string]event {
	evs := map[string]event{}
	for _, pop := range p.Populations {
		if p.Rollout.PilotStart != "" {
			evs[pop.ID] = event{date: p.Rollout.PilotStart, label: "the pilot"}
			continue
		}
		for _, w := range p.Rollout.Waves {
			if w.Start == "" || !slices.Contains(w.Populations, pop.ID) {
				continue
			}
			if ev, ok := evs[pop.ID]; !ok || w.Start < ev.date {
				evs[pop.ID] = event{date: w.Start, label: orWord(w.Name, "a wave")}
			}
		}
	}
	return evs
}

// datePlan is the pass after the tasks are made: it dates the
// prerequisites and their set-up tasks along the critical path, and puts
// the expiries that fall during the rollout on the timeline and on the
// populations that depend on them.
func (b *builder) datePlan(p *Plan) {
	cp := b.criticalPath(p)
	for i := range p.Prerequisites {
		pr := &p.Prerequisites[i]
		l := cp.lead[pr.ID]
		pr.Needs, pr.LeadDays, pr.LeadCited, pr.LeadNote, pr.Due = cp.needs[pr.ID], l.days, l.cited, l.note, cp.due[pr.ID]
	}
	have := make(map[string]bool, len(p.Tasks))
	for _, t := range p.Tasks {
		have[t.ID] = true
	}
	for i := range p.Tasks {
		t := &p.Tasks[i]
		id, ok := strings.CutPrefix(t.ID, "prereq.")
		if !ok {
			continue
		}
		t.Due = cp.due[id]
		for _, n := range cp.needs[id] { // the graph of prerequisites, as tasks
			if have["prereq."+n] && !slices.Contains(t.DependsOn, "prereq."+n) {
				t.DependsOn = append(t.DependsOn, "prereq."+n)
			}
		}
	}
	setupDue(p.Tasks, p.Rollout.PilotStart)
	p.Rollout.Marks = []Mark{}
	b.markExpiries(p)
	b.renewTasks(p)
}

// setupDue dates the set-up tasks that are not prerequisites (a
// population's own set-up steps, filling the pilot group): each is due by
// the earliest start of the tasks that wait for it; one that nothing waits
// for (filling the pilot group) by the pilot's start.
func setupDue(tasks []Task, pilotStart string) {
	need := map[string]string{}
	for _, t := range tasks {
		if t.Start == "" {
			continue
		}
		for _, d := range t.DependsOn {
			if need[d] == "" || t.Start < need[d] {
				need[d] = t.Start
			}
		}
	}
	for i := range tasks {
		t := &tasks[i]
		if t.Phase == PhasePrepare && t.Due == "" && t.Status != StatusDone {
			t.Due = cmp.Or(need[t.ID], pilotStart)
		}
	}
}

// criticalPath works the dates back: a prerequisite is needed by the first
// date of every population it applies to, and before each prerequisite
// that needs it may start; it is due its lead time before the earliest of
// those. A prerequisite already done has no due date and holds nothing up.
// It reads the plan and changes nothing.
func (b *builder) criticalPath(p *Plan) *critical {
	cp := &critical{lead: map[string]lead{}, needs: map[string][]string{}, per: map[string]map[string]needAt{},
		unblocks: map[string][]string{}, need: map[string]needAt{}, due: map[string]string{}}
	in := map[string]*Prerequisite{}
	for i := range p.Prerequisites {
		in[p.Prerequisites[i].ID] = &p.Prerequisites[i]
	}
	dependents := map[string][]string{}
	for _, pr := range p.Prerequisites {
		def := b.c.prereqs[pr.ID]
		cp.lead[pr.ID] = b.leadOf(def)
		cp.needs[pr.ID] = []string{}
		for _, n := range def.Needs {
			if in[n] != nil {
				cp.needs[pr.ID] = append(cp.needs[pr.ID], n)
				dependents[n] = append(dependents[n], pr.ID)
			}
		}
	}
	order := map[string]int{}
	for i, pop := range p.Populations {
		order[pop.ID] = i
	}
	evs := populationEvents(p)
	// The catalog's needs are acyclic (checked at load), so the recursion
	// ends; each prerequisite is worked out once.
	var visit func(id string)
	visit = func(id string) {
		if _, ok := cp.per[id]; ok {
			return
		}
		per := map[string]needAt{}
		reach := map[string]bool{}
		take := func(pop string, n needAt) {
			if n.date == "" {
				return
			}
			if have, ok := per[pop]; !ok || n.earlier(have) {
				per[pop] = n
			}
		}
		for _, pop := range in[id].AppliesTo {
			reach[pop] = true
			if ev, ok := evs[pop]; ok {
				take(pop, needAt{date: ev.date, ev: ev})
			}
		}
		for _, q := range dependents[id] {
			if in[q].Status == StatusDone {
				continue // done already: it waits for nothing
			}
			visit(q)
			for _, pop := range cp.unblocks[q] {
				reach[pop] = true
			}
			for pop, n := range cp.per[q] {
				take(pop, needAt{date: addDays(n.date, -cp.lead[q].days), ev: n.ev, via: q})
			}
		}
		cp.per[id] = per
		pops := make([]string, 0, len(reach))
		for pop := range reach {
			pops = append(pops, pop)
		}
		slices.SortFunc(pops, func(x, y string) int { return order[x] - order[y] })
		cp.unblocks[id] = pops
		for _, pop := range pops {
			if n, ok := per[pop]; ok {
				if have, seen := cp.need[id]; !seen || n.earlier(have) {
					cp.need[id] = n
				}
			}
		}
	}
	for _, pr := range p.Prerequisites {
		visit(pr.ID)
	}
	for _, pr := range p.Prerequisites {
		if n, ok := cp.need[pr.ID]; ok && pr.Status != StatusDone {
			cp.due[pr.ID] = addDays(n.date, -cp.lead[pr.ID].days)
		}
	}
	return cp
}

// late lists the prerequisites whose lead time no longer fits before the
// date that needs them, as of today (CONTRACT §8.2 summary.late).
func (b *builder) late(p *Plan, cp *critical) []Late {
	out := []Late{}
	if b.today == "" {
		return out
	}
	titles := map[string]string{}
	for _, pr := range p.Prerequisites {
		titles[pr.ID] = pr.Title
	}
	for _, pr := range p.Prerequisites {
		due := cp.due[pr.ID]
		if due == "" || due >= b.today {
			continue
		}
		l, n := cp.lead[pr.ID], cp.need[pr.ID]
		lt := Late{Prerequisite: pr.ID, Title: pr.Title, NeededDays: l.days, AvailableDays: daysBetween(b.today, n.date), Blocks: []string{}, NeededBy: n.date}
		for _, pop := range cp.unblocks[pr.ID] {
			if at, ok := cp.per[pr.ID][pop]; ok && addDays(at.date, -l.days) < b.today {
				lt.Blocks = append(lt.Blocks, pop)
			}
		}
		what := fmt.Sprintf("%s needs %s", pr.Title, Count(l.days, "day", "days"))
		if n.via != "" {
			what += " and must come before " + inQuotes(titles[n.via])
		}
		var left string
		switch a := lt.AvailableDays; {
		case a < 0:
			left = "the date it was needed by, " + LongDate(n.date) + ", has passed"
		case a == 0:
			left = "none are left"
		default:
			left = Thousands(a) + " " + Plural(a, "is", "are") + " left"
		}
		lt.Text = fmt.Sprintf("Too late for %s on %s: %s; %s.", n.ev.label, LongDate(n.ev.date), what, left)
		out = append(out, lt)
	}
	return out
}

// addDays moves a YYYY-MM-DD date by n days; other text comes back as is.
func addDays(date string, n int) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// daysBetween is the number of days from one YYYY-MM-DD date to another
// (negative when to is earlier); 0 when either is not a date.
func daysBetween(from, to string) int {
	f, e1 := time.Parse(time.DateOnly, from)
	t, e2 := time.Parse(time.DateOnly, to)
	if e1 != nil || e2 != nil {
		return 0
	}
	return int(t.Sub(f).Hours() / 24)
}
