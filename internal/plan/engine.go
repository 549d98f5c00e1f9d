// Package plan is the core: answers (decode and validate), the knowledge
// catalog, Build (answers → plan) and the renderers. It is pure: no network,
// no database, no clock.
//
// Build runs in phases, one file each: facts.go (what the rules read of a
// population), decisions.go (method, factory reset, alternatives), steps.go,
// warnings.go, prereqs.go, assumptions.go (what-if runs for unknown answers),
// baseline.go, rollout.go, tenantreading.go, tasks.go, summary.go and
// references.go; words.go holds the words every renderer shares.
package plan

import (
	"fmt"
	"strings"
	"time"
)

// Build computes the plan for a set of answers. It is pure and
// deterministic: the same answers and catalog give the same plan. Invalid
// answers return a *ValidationError. It is BuildWith with no options.
func (c *Catalog) Build(a Answers) (*Plan, error) { return c.BuildWith(a, BuildOptions{}) }

// BuildOptions carry what the answers do not say and the engine may not
// find out for itself.
type BuildOptions struct {
	// Today is the date the plan is built on, YYYY-MM-DD; "" when unknown.
	// The engine never reads a clock: callers pass it in.
	Today string
}

// BuildWith is Build with options. A malformed Today is an error.
func (c *Catalog) BuildWith(a Answers, o BuildOptions) (*Plan, error) {
	if o.Today != "" {
		if _, err := time.Parse(time.DateOnly, o.Today); err != nil {
			return nil, fmt.Errorf("plan: build: today %q is not a date (YYYY-MM-DD)", o.Today)
		}
	}
	if err := c.Validate(&a); err != nil {
		return nil, err
	}
	return newBuilder(c, &a, o).build(), nil
}

func newBuilder(c *Catalog, a *Answers, o BuildOptions) *builder {
	return &builder{c: c, a: a, today: o.Today, cloud: a.Tenant.EffectiveCloud(), blockers: map[string]blockerInfo{}}
}

type builder struct {
	c        *Catalog
	a        *Answers
	today    string // YYYY-MM-DD, or "" when unknown
	cloud    string
	pops     []*popState
	blockers map[string]blockerInfo // warning id → how the summary names it
}

// blockerInfo is what the summary says about a blocker that is not a
// missing prerequisite.
type blockerInfo struct{ title, task, owner string }

// popState carries what the builder decided for one population.
type popState struct {
	f      facts
	out    PopulationPlan
	method *MethodDef
	needs  map[string]bool // prerequisite ids
	// probe marks a what-if run for an assumption: only what describeDiff
	// compares (method, factory reset, step ids and titles) is computed,
	// plus the summary's blocker notes every run leaves behind.
	probe bool
}

func (b *builder) build() *Plan {
	p := &Plan{
		Schema:       PlanSchema,
		Ruleset:      b.c.Ruleset,
		Organization: strings.TrimSpace(b.a.Organization),
		Knowledge:    b.c.knowledge,
	}
	p.Knowledge.Cloud = b.cloud
	p.Knowledge.CloudName = b.c.cloudName(b.cloud)
	ids := assignIDs(b.a.Populations)
	var assumptions []Assumption
	for i, in := range b.a.Populations {
		ps := b.newPop(ids[i], in, b.facts(in))
		b.population(ps)
		b.pops = append(b.pops, ps)
		assumptions = append(assumptions, b.assumptions(ps)...)
	}
	p.Prerequisites = b.prerequisites()
	status := map[string]string{}
	for _, pr := range p.Prerequisites {
		status[pr.ID] = pr.Status
	}
	b.demTotalWarnings(b.demTotals())
	for _, ps := range b.pops {
		b.prereqWarnings(ps, status)
		sortWarnings(ps.out.Warnings)
	}
	p.Baseline = b.baseline()
	for _, ps := range b.pops {
		p.Populations = append(p.Populations, ps.out)
	}
	p.Rollout = b.rollout(p)
	p.TenantCheck = b.tenantReading(p)
	p.Tasks = b.tasks(p)
	b.datePlan(p) // the critical path dates prerequisites and set-up tasks; expiries reach the timeline
	for _, r := range b.c.ResetOverview {
		p.ResetOverview = append(p.ResetOverview, ResetRow{Mode: r.Mode, Required: r.Required, Note: r.Note, Sources: b.c.SourceURLs(r.Sources)})
	}
	p.Summary = b.summarize(p)
	p.References = b.references(p)
	p.Summary.Assumptions = assumptions
	if p.Summary.Assumptions == nil {
		p.Summary.Assumptions = []Assumption{}
	}
	return p
}

func (b *builder) newPop(id string, in Population, f facts) *popState {
	ps := &popState{f: f, needs: map[string]bool{}}
	ps.out = PopulationPlan{
		ID:                         id,
		Name:                       strings.TrimSpace(in.Name),
		Platform:                   in.Platform,
		PlatformName:               b.c.platform[in.Platform].Name,
		Ownership:                  in.Ownership,
		Usage:                      in.EffectiveUsage(),
		Devices:                    in.Devices,
		InUse:                      f.inUse,
		ManagedBy:                  f.managedBy,
		CurrentlyManagedByOtherMDM: f.managedBy == ManagedOtherMDM,
		EnrolledBy:                 f.enrolledBy,
		Manufacturer:               strings.TrimSpace(in.Manufacturer),
	}
	if ps.out.Name == "" {
		ps.out.Name = capitalize(in.Ownership) + " " + ps.out.PlatformName
	}
	return ps
}

// PopulationIDs are the ids the plan gives the populations: each given id,
// and for the others one made from platform and ownership, never colliding
// with an id given elsewhere. Waves name populations by these ids.
func PopulationIDs(pops []Population) []string { return assignIDs(pops) }

func assignIDs(pops []Population) []string {
	taken := map[string]bool{}
	for _, p := range pops {
		if p.ID != "" {
			taken[p.ID] = true
		}
	}
	ids := make([]string, len(pops))
	for i, p := range pops {
		if p.ID != "" {
			ids[i] = p.ID
			continue
		}
		base := p.Platform + "-" + p.Ownership
		id := base
		for n := 2; taken[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		taken[id] = true
		ids[i] = id
	}
	return ids
}
