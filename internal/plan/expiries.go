// Certificates and tokens of the tenant that expire during the rollout.

package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// renewAhead is how many days before an expiry its renewal is due.
const renewAhead = 7

// dueExpiry is one expiry that falls on or before the rollout's last start
// and concerns some population of the plan.
type dueExpiry struct {
	TenantExpiry
	def  *ExpiryDef
	id   string   // the what, plus "." and a slug of the name when several of a kind are due
	pops []string // the populations that depend on it, in plan order
}

// tenantExpiries is every expiry the plan knows of: the answers' (typed or
// filled from a check) and a tenant check's own readings, each once, by
// date. A check's kinds are named as the answers name them.
func (b *builder) tenantExpiries() []TenantExpiry {
	var all []TenantExpiry
	all = append(all, b.a.Tenant.Expiries...)
	if tc := b.a.TenantCheck; tc != nil {
		all = append(all, tc.Tenant.Expiries...)
		for _, e := range tc.Expiries {
			what := ""
			switch e.Kind {
			case ExpiryApplePush:
				what = WhatApplePush
			case ExpiryADEToken:
				what = WhatADEToken
			}
			if what != "" {
				all = append(all, TenantExpiry{What: what, Name: e.Name, Expires: e.Date})
			}
		}
	}
	for i := range all {
		all[i].Name = strings.TrimSpace(all[i].Name)
	}
	slices.SortStableFunc(all, func(x, y TenantExpiry) int {
		return cmp.Or(cmp.Compare(x.Expires, y.Expires), cmp.Compare(x.What, y.What), cmp.Compare(x.Name, y.Name))
	})
	// The same certificate read by a check and copied into the answers
	// comes twice, sometimes once without its name: keep one, named.
	out := all[:0:0]
	for _, e := range all {
		dup := slices.ContainsFunc(out, func(o TenantExpiry) bool {
			return o.What == e.What && o.Expires == e.Expires && (o.Name == e.Name || e.Name == "")
		})
		if dup {
			continue
		}
		if i := slices.IndexFunc(out, func(o TenantExpiry) bool { return o.What == e.What && o.Expires == e.Expires && o.Name == "" }); i >= 0 {
			out[i] = e
			continue
		}
		out = append(out, e)
	}
	return out
}

// dueExpiries are the expiries on or before the rollout's last start that
// some population depends on: the push certificate every enrolling iPhone,
// iPad and Mac; an ADE token the ADE populations; the VPP token the Apple
// populations; the bulk token the Windows bulk populations.
func (b *builder) dueExpiries(p *Plan) []dueExpiry {
	last := p.Rollout.LastStart
	if last == "" {
		return nil
	}
	var out []dueExpiry
	for _, e := range b.tenantExpiries() {
		def := b.c.Expiry(e.What)
		if def == nil || e.Expires > last {
			continue
		}
		de := dueExpiry{TenantExpiry: e, def: def, id: e.What}
		for _, pop := range p.Populations {
			if pop.Enroll && (slices.Contains(def.Platforms, pop.Platform) || slices.Contains(def.Methods, pop.Method.ID)) {
				de.pops = append(de.pops, pop.ID)
			}
		}
		if len(de.pops) > 0 {
			out = append(out, de)
		}
	}
	// Two tokens of one kind are told apart by their names.
	for i := range out {
		several := slices.ContainsFunc(out, func(o dueExpiry) bool { return o.What == out[i].What && o.Name != out[i].Name })
		if slug := Slug(out[i].Name); several && slug != "" {
			out[i].id += "." + slug
		}
	}
	taken := map[string]int{}
	for i := range out {
		if n := taken[out[i].id]; n > 0 {
			out[i].id += fmt.Sprintf("-%d", n+1)
		}
		taken[out[i].id]++
	}
	return out
}

// label names an expiry: its kind and, when it has one, its name.
func (e dueExpiry) label() string {
	if e.Name == "" {
		return e.def.Title
	}
	return e.def.Title + " " + inQuotes(e.Name)
}

// sentence says when it expires against the rollout and what to do. It is
// catalog prose and dates only: a warning never carries a name from the
// tenant or the planner into the renderers, which print warnings as they are.
func (e dueExpiry) sentence(last string) string {
	rel := "before"
	if e.Expires == last {
		rel = "on the day of"
	}
	return fmt.Sprintf("%s expires on %s, %s the rollout's last start on %s. %s Renew it by %s.",
		e.def.Title, LongDate(e.Expires), rel, LongDate(last), e.def.Text, LongDate(e.renewBy()))
}

func (e dueExpiry) renewBy() string { return addDays(e.Expires, -renewAhead) }

// markExpiries puts each expiry that falls during the rollout on the
// timeline, in the rollout's warnings and on every population that depends
// on it.
func (b *builder) markExpiries(p *Plan) {
	last := p.Rollout.LastStart
	for _, e := range b.dueExpiries(p) {
		srcs := b.c.SourceURLs(e.def.Sources)
		p.Rollout.Marks = append(p.Rollout.Marks, Mark{ID: "expiry." + e.id, Date: e.Expires, Title: e.label() + " expires"})
		p.Rollout.Warnings = append(p.Rollout.Warnings, Warning{ID: "expiry." + e.id, Severity: SevWarning, Text: e.sentence(last), Sources: srcs})
		for i := range p.Populations {
			pop := &p.Populations[i]
			if slices.Contains(e.pops, pop.ID) {
				pop.Warnings = append(pop.Warnings, Warning{ID: "expiry." + e.id, Severity: SevWarning, Text: e.sentence(last), Sources: srcs})
				sortWarnings(pop.Warnings)
			}
		}
	}
}

// renewTasks adds a set-up task for each renewal the first actions name, so
// that a first action's id is always a task the team can tick. A title
// carries no name from the tenant: the renderers print task titles as
// written, and the due date tells two renewals of one kind apart.
func (b *builder) renewTasks(p *Plan) {
	var add []Task
	for _, e := range b.dueExpiries(p) {
		add = append(add, Task{ID: "renew." + e.id, Title: e.def.Renew, Phase: PhasePrepare, Actor: ActorAdmin, Kind: KindTenant,
			Populations: slices.Clone(e.pops), Status: StatusTodo, Due: e.renewBy(), DependsOn: []string{}, Owner: e.def.Owner,
			Sources: b.c.SourceURLs(e.def.Sources)[:1]})
		if len(e.pops) == 1 {
			add[len(add)-1].Population = e.pops[0]
		}
	}
	if len(add) == 0 {
		return
	}
	at := 0 // after the last set-up task
	for i, t := range p.Tasks {
		if t.Phase == PhasePrepare {
			at = i + 1
		}
	}
	p.Tasks = slices.Insert(p.Tasks, at, add...)
}

// renewActions are the first actions that renew what expires during the
// rollout, each due a week before it expires.
func (b *builder) renewActions(p *Plan, names func([]string) string) []FirstAction {
	var out []FirstAction
	for _, e := range b.dueExpiries(p) {
		title := e.def.Renew
		if e.Name != "" {
			title += " (" + inQuotes(e.Name) + ")"
		}
		out = append(out, FirstAction{ID: "renew." + e.id, Title: title, Actor: ActorAdmin, Owner: e.def.Owner, Due: e.renewBy(), Unblocks: e.pops,
			Why: fmt.Sprintf("It expires on %s, during the rollout of %s.", LongDate(e.Expires), names(e.pops))})
	}
	return out
}
