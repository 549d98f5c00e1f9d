// The plan's reference list.

package plan

import (
	"slices"
)

// references lists every page the plan cites, once, in the order the plan
// first cites it.
func (b *builder) references(p *Plan) []Reference {
	out := []Reference{}
	seen := map[string]bool{}
	add := func(urls []string) {
		for _, u := range urls {
			if !seen[u] {
				seen[u] = true
				out = append(out, b.c.byURL[u])
			}
		}
	}
	for _, pr := range p.Prerequisites {
		add(pr.Sources)
	}
	for _, pop := range p.Populations {
		add(pop.Method.Sources)
		add(pop.FactoryReset.Sources)
		for _, w := range pop.Warnings {
			add(w.Sources)
		}
		for _, s := range pop.Steps {
			add(s.Sources)
		}
		for _, a := range append(slices.Clone(pop.Alternatives), pop.Unsuitable...) {
			add(a.Sources)
		}
	}
	for _, bi := range p.Baseline {
		add(bi.Sources)
	}
	for _, s := range p.Rollout.Steps {
		add(s.Sources)
	}
	for _, r := range p.ResetOverview {
		add(r.Sources)
	}
	return out
}
