// The one-page summary.

package plan

import (
	"fmt"
	"slices"
)

// summarize builds the one-page view: distinct blockers once, with whom
// they stop; the first actions in order; the counts.
func (b *builder) summarize(p *Plan) Summary {
	s := Summary{Populations: len(p.Populations), Blockers: []SummaryBlocker{}, FirstActions: []FirstAction{}}
	names := map[string]string{}
	for _, pop := range p.Populations {
		names[pop.ID] = pop.Name
		s.Devices += pop.Devices
		if pop.FactoryReset.Required && pop.InUse {
			s.ResetNeeded++
		}
		for _, w := range pop.Warnings {
			if w.Severity == SevWarning {
				s.Warnings++
			}
		}
	}
	nameList := func(ids []string) string {
		if len(ids) == len(p.Populations) && len(ids) > 1 {
			return "every population"
		}
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = names[id]
		}
		return JoinAnd(out)
	}
	for _, pr := range p.Prerequisites {
		if len(pr.Blocks) > 0 && pr.Status == StatusTodo { // unknown ones are to check, below
			s.Blockers = append(s.Blockers, SummaryBlocker{Prerequisite: pr.ID, ID: "blocked-by-" + pr.ID, Title: pr.Title, Owner: pr.Owner, Task: pr.Task, Blocks: pr.Blocks})
		}
	}
	byID := map[string]int{}
	for _, pop := range p.Populations {
		for _, w := range pop.Warnings {
			info, ok := b.blockers[w.ID]
			if w.Severity != SevBlocker || !ok {
				continue
			}
			if i, seen := byID[w.ID]; seen {
				s.Blockers[i].Blocks = append(s.Blockers[i].Blocks, pop.ID)
				continue
			}
			byID[w.ID] = len(s.Blockers)
			s.Blockers = append(s.Blockers, SummaryBlocker{ID: w.ID, Title: info.title, Owner: info.owner, Task: info.task, Blocks: []string{pop.ID}})
		}
	}

	cp := b.criticalPath(p)
	s.AsOf = b.today
	s.Late = b.late(p, cp)
	s.FirstActions = b.firstActions(p, s.Blockers, cp, nameList)
	return s
}

// maxFirst caps the first actions, the pilot included; an action a kept one
// needs first is never cut.
const maxFirst = 6

// Priorities of a first action when the list is cut to maxFirst: blockers,
// then what expires or takes the old MDM away, then the rest by due date.
const (
	rankBlocker = iota
	rankMust
	rankOther
)

// candidate is a first action before the list is cut and ordered.
type candidate struct {
	FirstAction
	prereq string // the prerequisite it clears, or ""
	rank   int
	pos    int // in today's order: blockers, checks, set-up, renewals
}

// firstActions lists what to do first: clear the blockers, confirm what is
// not known, start what takes time, renew what expires during the rollout,
// then the pilot. Cut to a few, they come in dependency order (an action
// never before one it needs), ties by due date, then in that order.
func (b *builder) firstActions(p *Plan, blockers []SummaryBlocker, cp *critical, nameList func([]string) string) []FirstAction {
	status := map[string]*Prerequisite{}
	for i := range p.Prerequisites {
		status[p.Prerequisites[i].ID] = &p.Prerequisites[i]
	}
	evs := populationEvents(p)
	var cands []candidate
	add := func(prereq string, rank int, f FirstAction) {
		if prereq != "" {
			f.ID, f.Due, f.Unblocks = "prereq."+prereq, cp.due[prereq], cp.unblocks[prereq]
			if prereq == "unenroll-existing-mdm" {
				rank = min(rank, rankMust)
			}
		}
		if f.Unblocks == nil {
			f.Unblocks = []string{}
		}
		cands = append(cands, candidate{FirstAction: f, prereq: prereq, rank: rank, pos: len(cands)})
	}
	for _, bl := range blockers {
		f := FirstAction{Title: bl.Task, Actor: ActorAdmin, Owner: bl.Owner, Why: fmt.Sprintf("Clears a blocker for %s.", nameList(bl.Blocks))}
		if bl.Prerequisite == "" {
			// A method that cannot work here: the plan's author chooses
			// another before the first of these devices enroll.
			f.ID, f.Unblocks = "blocker."+bl.ID, bl.Blocks
			for _, pop := range bl.Blocks {
				if ev, ok := evs[pop]; ok && (f.Due == "" || ev.date < f.Due) {
					f.Due = ev.date
				}
			}
		}
		add(bl.Prerequisite, rankBlocker, f)
	}
	for _, pr := range p.Prerequisites {
		if b.c.prereqs[pr.ID].Blocking && pr.Status == StatusUnknown {
			add(pr.ID, rankOther, FirstAction{Title: "Check whether this is in place: " + pr.Title, Actor: ActorAdmin, Owner: pr.Owner,
				Why: fmt.Sprintf("Not known yet. If it is missing, %s cannot enroll; then: %s.", nameList(pr.AppliesTo), lowerFirst(pr.Task))})
		}
	}
	for _, pr := range p.Prerequisites {
		if !b.c.prereqs[pr.ID].Blocking && pr.Status == StatusTodo && len(pr.AppliesTo) > 0 {
			add(pr.ID, rankOther, FirstAction{Title: pr.Task, Actor: ActorAdmin, Owner: pr.Owner,
				Why: fmt.Sprintf("Needed before %s can enroll.", nameList(pr.AppliesTo))})
		}
	}
	for _, f := range b.renewActions(p, nameList) {
		add("", rankMust, f)
	}

	// Keep the most pressing, then every action they need first.
	byRank := slices.Clone(cands)
	slices.SortStableFunc(byRank, func(x, y candidate) int {
		if x.rank != y.rank {
			return x.rank - y.rank
		}
		if x.rank == rankOther {
			return compareDue(x.Due, y.Due)
		}
		return 0
	})
	keep := map[int]bool{}
	for _, c := range byRank[:min(len(byRank), maxFirst-1)] {
		keep[c.pos] = true
	}
	byPrereq := map[string]int{}
	for _, c := range cands {
		if c.prereq != "" {
			byPrereq[c.prereq] = c.pos
		}
	}
	var pull func(id string)
	pull = func(id string) {
		for _, n := range cp.needs[id] {
			pr := status[n]
			if pr.Status == StatusDone {
				continue
			}
			pos, ok := byPrereq[n]
			if !ok {
				// Not on the list by itself (a check that blocks nothing
				// alone): it is, now that a kept action needs it.
				f := FirstAction{Title: pr.Task, Actor: ActorAdmin, Owner: pr.Owner, Why: fmt.Sprintf("Needed before %s.", lowerFirst(status[id].Task))}
				if pr.Status == StatusUnknown {
					f.Title = "Check whether this is in place: " + pr.Title
					f.Why = fmt.Sprintf("Not known yet, and it comes before %s. If it is missing: %s.", inQuotes(status[id].Title), lowerFirst(pr.Task))
				}
				add(n, rankOther, f)
				pos = len(cands) - 1
				byPrereq[n] = pos
			}
			keep[pos] = true
			pull(n)
		}
	}
	for pos := range slices.Clone(cands) {
		if keep[pos] && cands[pos].prereq != "" {
			pull(cands[pos].prereq)
		}
	}

	// Dependency order: of the actions whose needs are all placed, the one
	// due first, then the earliest in today's order.
	var left []candidate
	for _, c := range cands {
		if keep[c.pos] {
			left = append(left, c)
		}
	}
	placed := map[string]bool{}
	ready := func(c candidate) bool {
		for _, n := range cp.needs[c.prereq] {
			if _, listed := byPrereq[n]; listed && keep[byPrereq[n]] && !placed[n] {
				return false
			}
		}
		return true
	}
	out := make([]FirstAction, 0, len(left)+1)
	for len(left) > 0 {
		best := -1
		for i, c := range left {
			if !ready(c) {
				continue
			}
			if best < 0 || compareDue(c.Due, left[best].Due) < 0 || compareDue(c.Due, left[best].Due) == 0 && c.pos < left[best].pos {
				best = i
			}
		}
		if best < 0 {
			best = 0 // cannot happen: the catalog's needs are acyclic
		}
		c := left[best]
		placed[c.prereq] = true
		out = append(out, c.FirstAction)
		left = slices.Delete(left, best, best+1)
	}
	all := make([]string, len(p.Populations))
	for i, pop := range p.Populations {
		all[i] = pop.ID
	}
	return append(out, FirstAction{ID: p.Rollout.Steps[0].ID, Title: p.Rollout.Steps[0].Title, Actor: ActorAdmin, Owner: b.c.Rollout.Owner,
		Why: "The rollout starts with a pilot of a few devices of every population.", Due: p.Rollout.PilotStart, Unblocks: all})
}

// compareDue orders due dates, the undated last.
func compareDue(x, y string) int {
	switch {
	case x == y:
		return 0
	case x == "":
		return 1
	case y == "":
		return -1
	case x < y:
		return -1
	}
	return 1
}
