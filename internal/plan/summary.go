// The one-page summary.

package plan

import (
	"fmt"
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

	// First actions: clear the blockers, confirm what is not known, start
	// what takes time, then the pilot.
	const maxFirst = 6
	for _, bl := range s.Blockers {
		s.FirstActions = append(s.FirstActions, FirstAction{Title: bl.Task, Actor: ActorAdmin, Owner: bl.Owner,
			Why: fmt.Sprintf("Clears a blocker for %s.", nameList(bl.Blocks))})
	}
	for _, pr := range p.Prerequisites {
		def := b.c.prereqs[pr.ID]
		if pr.Status == StatusUnknown && def.Blocking {
			s.FirstActions = append(s.FirstActions, FirstAction{Title: "Check whether this is in place: " + pr.Title, Actor: ActorAdmin, Owner: pr.Owner,
				Why: fmt.Sprintf("Not known yet. If it is missing, %s cannot enroll; then: %s.", nameList(pr.AppliesTo), lowerFirst(pr.Task))})
		}
	}
	for _, pr := range p.Prerequisites {
		def := b.c.prereqs[pr.ID]
		if pr.Status == StatusTodo && !def.Blocking && len(pr.AppliesTo) > 0 {
			s.FirstActions = append(s.FirstActions, FirstAction{Title: pr.Task, Actor: ActorAdmin, Owner: pr.Owner,
				Why: fmt.Sprintf("Needed before %s can enroll.", nameList(pr.AppliesTo))})
		}
	}
	pilot := FirstAction{Title: p.Rollout.Steps[0].Title, Actor: ActorAdmin, Owner: b.c.Rollout.Owner,
		Why: "The rollout starts with a pilot of a few devices of every population."}
	if len(s.FirstActions) >= maxFirst {
		s.FirstActions = append(s.FirstActions[:maxFirst-1], pilot)
	} else {
		s.FirstActions = append(s.FirstActions, pilot)
	}
	return s
}
