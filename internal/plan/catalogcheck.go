// Validation of the catalog at load: references, sources, conditions and the
// contract's ids, one section at a time.

package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// check indexes the catalog, then validates it section by section. Every
// problem is reported, so a broken docs update shows all it broke at once.
// With complete false, the checks that need every platform file are skipped.
func (c *Catalog) check(complete bool) error {
	c.index()
	v := &checker{c: c, complete: complete}
	v.header()
	v.prerequisites()
	v.methods()
	v.platforms()
	v.baseline()
	v.resetOverview()
	v.unenroll()
	v.dem()
	v.rollout()
	v.resetStep()
	v.texts()
	v.clouds()
	v.availability()
	v.baselineTerms()
	v.leadTimes()
	v.expiries()
	return errors.Join(v.errs...)
}

// index builds the lookups by id that the engine reads. A duplicate id
// keeps the last definition; the validators report it.
func (c *Catalog) index() {
	c.prereqs = make(map[string]*PrereqDef, len(c.Prerequisites))
	for _, p := range c.Prerequisites {
		c.prereqs[p.ID] = p
	}
	c.methods = make(map[string]*MethodDef, len(c.Methods))
	for _, m := range c.Methods {
		c.methods[m.ID] = m
	}
	c.platform = make(map[string]*PlatformDef, len(c.Platforms))
	for _, p := range c.Platforms {
		c.platform[p.ID] = p
	}
}

// checker collects the problems of one catalog.
type checker struct {
	c        *Catalog
	complete bool
	errs     []error
}

func (v *checker) bad(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("catalog: "+format, args...))
}

// srcs checks that an item cites at least one source, and only known ones.
func (v *checker) srcs(where string, ids []string) {
	if len(ids) == 0 {
		v.bad("%s: no source", where)
	}
	for _, id := range ids {
		if _, ok := v.c.Sources[id]; !ok {
			v.bad("%s: unknown source %q", where, id)
		}
	}
}

// cond checks that a condition names only values the answers can take.
func (v *checker) cond(where string, w *Cond) {
	if w == nil {
		return
	}
	v.known(where, "ownership", w.Ownership, Ownerships)
	v.known(where, "usage", w.Usage, Usages)
	v.known(where, "managed_by", w.ManagedBy, ManagedByValues)
	v.known(where, "cloud", w.Cloud, Clouds)
	v.known(where, "enrolled_by", w.EnrolledBy, EnrolledByValues)
	v.makers(where, w.Manufacturer)
	for f, vals := range w.Tenant {
		if !isTenantField(f) {
			v.bad("%s: unknown tenant field %q", where, f)
		}
		for _, val := range vals {
			if !contains([]string{"yes", "no", "unknown"}, val) {
				v.bad("%s: tenant %s: value %q is not yes, no or unknown", where, f, val)
			}
		}
	}
}

// makers checks a condition's manufacturer values: each in lower-case words
// as a planner could type it (at most MaxManufacturer characters), or ""
// for "no maker named", each once.
func (v *checker) makers(where string, values []string) {
	seen := map[string]bool{}
	for _, m := range values {
		norm := strings.Join(makerWords(m), " ")
		switch {
		case m != norm:
			v.bad("%s: manufacturer %q: write it in lower-case words of letters and digits, as %q", where, m, norm)
		case utf8.RuneCountInString(m) > MaxManufacturer:
			v.bad("%s: manufacturer %q is longer than the %d characters a planner can type", where, m, MaxManufacturer)
		case seen[m]:
			v.bad("%s: manufacturer %q listed twice", where, m)
		}
		seen[m] = true
	}
}

// known checks that every value of a condition's field is one of allowed.
func (v *checker) known(where, field string, values, allowed []string) {
	for _, x := range values {
		if !contains(allowed, x) {
			v.bad("%s: unknown %s %q", where, field, x)
		}
	}
}

// scope checks that an item of a list serving several platforms says which
// of them it is for, so that nothing written for one platform reaches
// another.
func (v *checker) scope(where string, declared, within []string) {
	if len(within) > 1 && len(declared) == 0 {
		v.bad("%s: serves %s; declare the platforms it applies to", where, strings.Join(within, ", "))
	}
	for _, p := range declared {
		if !contains(within, p) {
			v.bad("%s: platform %q is not one of %s", where, p, strings.Join(within, ", "))
		}
	}
}

// steps checks a list of steps; seen carries the ids already used where
// they must be unique.
func (v *checker) steps(where string, list []StepDef, seen map[string]bool, within []string) {
	for _, s := range list {
		w := where + " step " + s.ID
		if s.ID == "" || s.Title == "" {
			v.bad("%s: step needs id and title", w)
		}
		if !contains(StepKinds, s.Kind) {
			v.bad("%s: kind %q is not one of %s", w, s.Kind, strings.Join(StepKinds, ", "))
		}
		if seen[s.ID] {
			v.bad("%s: step id used twice", w)
		}
		seen[s.ID] = true
		v.srcs(w, s.Sources)
		v.cond(w, s.When)
		v.scope(w, s.Platforms, within)
	}
}

// severity checks a warning's severity.
func (v *checker) severity(where, sev string) {
	if !contains([]string{SevInfo, SevWarning, SevBlocker}, sev) {
		v.bad("%s: severity %q", where, sev)
	}
}

// header checks the ruleset version and the sources themselves.
func (v *checker) header() {
	if v.c.Ruleset == "" {
		v.bad("no ruleset version")
	}
	for id, s := range v.c.Sources {
		if !strings.HasPrefix(s.URL, "https://") {
			v.bad("source %s: url %q is not https", id, s.URL)
		}
		if s.Title == "" {
			v.bad("source %s: no title", id)
		}
	}
}

// prerequisites checks each prerequisite, and that the catalog defines
// exactly the contract's.
func (v *checker) prerequisites() {
	seen := map[string]bool{}
	for _, p := range v.c.Prerequisites {
		if seen[p.ID] {
			v.bad("prerequisite %s defined twice", p.ID)
		}
		seen[p.ID] = true
		if p.Title == "" || p.Task == "" || p.Detail == "" {
			v.bad("prerequisite %s: needs title, task and detail", p.ID)
		}
		if p.Owner == "" {
			v.bad("prerequisite %s: no owner (who clears it)", p.ID)
		}
		v.srcs("prerequisite "+p.ID, p.Sources)
		if p.StatusFrom != nil && !isTenantField(p.StatusFrom.Field) {
			v.bad("prerequisite %s: status_from field %q is not a tenant answer", p.ID, p.StatusFrom.Field)
		}
	}
	for _, id := range ContractPrerequisites {
		if v.complete && v.c.prereqs[id] == nil {
			v.bad("prerequisite %s (CONTRACT §4) is missing", id)
		}
	}
	for id := range v.c.prereqs {
		if !contains(ContractPrerequisites, id) {
			v.bad("prerequisite %s is not a contract id", id)
		}
	}
}

// methods checks each method, and that the catalog defines exactly the
// contract's.
func (v *checker) methods() {
	seen := map[string]bool{}
	for _, m := range v.c.Methods {
		if seen[m.ID] {
			v.bad("method %s defined twice", m.ID)
		}
		seen[m.ID] = true
		v.method(m)
	}
	for _, id := range ContractMethods {
		if v.complete && v.c.methods[id] == nil {
			v.bad("method %s (CONTRACT §4) is missing", id)
		}
	}
	for id := range v.c.methods {
		if !contains(ContractMethods, id) {
			v.bad("method %s is not a contract id", id)
		}
	}
}

// method checks one method: what it fits, what it needs, its minimum OS,
// reset rules, misfits, steps and warnings.
func (v *checker) method(m *MethodDef) {
	where := "method " + m.ID
	if m.Name == "" || m.Summary == "" || m.UserAffinity == "" {
		v.bad("%s: needs name, summary and user_affinity", where)
	}
	if len(m.Platforms) == 0 {
		v.bad("%s: no platform", where)
	}
	for _, p := range m.Platforms {
		if !contains(Platforms, p) {
			v.bad("%s: unknown platform %q", where, p)
		}
	}
	v.cond(where+" fit", &Cond{Ownership: m.Ownership, Usage: m.Usage})
	if len(m.Ownership) == 0 || len(m.Usage) == 0 {
		v.bad("%s: needs ownership and usage it fits", where)
	}
	for _, p := range m.Prerequisites {
		if v.c.prereqs[p] == nil {
			v.bad("%s: unknown prerequisite %q", where, p)
		}
	}
	v.srcs(where, m.Sources)
	v.srcs(where+" dem", m.DEM.Sources)
	v.minOS(where, m)
	v.resetRules(where, m.Reset)
	for _, n := range m.NotFor {
		if n.When == nil || n.Text == "" {
			v.bad("%s: not_for needs when and text", where)
		}
		v.srcs(where+" not_for", n.Sources)
		v.cond(where+" not_for", n.When)
	}
	if m.TradeOff.Text == "" {
		v.bad("%s: no trade_off", where)
	}
	v.srcs(where+" trade_off", m.TradeOff.Sources)
	seen := map[string]bool{}
	if len(m.AdminSteps) == 0 {
		v.bad("%s: no admin steps", where)
	}
	v.steps(where, m.AdminSteps, seen, m.Platforms)
	v.steps(where, m.UserSteps, seen, m.Platforms)
	for _, w := range m.Warnings {
		v.scope(where+" warning "+w.ID, w.Platforms, m.Platforms)
		v.severity(where+" warning "+w.ID, w.Severity)
		if w.ID == "" || w.Text == "" || seen[w.ID] {
			v.bad("%s warning %q: needs a unique id and text", where, w.ID)
		}
		seen[w.ID] = true
		v.srcs(where+" warning "+w.ID, w.Sources)
		v.cond(where+" warning "+w.ID, w.When)
	}
}

// minOS checks a method's minimum OS: one for each platform when it serves
// several.
func (v *checker) minOS(where string, m *MethodDef) {
	if m.MinOS.Text == "" {
		v.bad("%s: no min_os", where)
	}
	if len(m.Platforms) > 1 {
		for _, p := range m.Platforms {
			if mo, ok := m.MinOSByPlatform[p]; !ok || mo.Text == "" {
				v.bad("%s: serves several platforms; min_os_by_platform needs %s", where, p)
			} else {
				v.srcs(where+" min_os_by_platform "+p, mo.Sources)
			}
		}
	}
	v.srcs(where+" min_os", m.MinOS.Sources)
}

// resetRules checks a method's factory-reset rules: the last one must
// always match, so that every population gets a decision.
func (v *checker) resetRules(where string, rules []ResetRule) {
	if len(rules) == 0 || rules[len(rules)-1].When != nil {
		v.bad("%s: reset rules must end with one that has no condition", where)
	}
	for _, r := range rules {
		if r.Rule == "" || r.Why == "" {
			v.bad("%s: reset rule needs rule and why", where)
		}
		v.srcs(where+" reset "+r.Rule, r.Sources)
		v.cond(where+" reset "+r.Rule, r.When)
	}
}

// platforms checks each platform's recommendations: the last must always
// match, and each names a method of that platform.
func (v *checker) platforms() {
	for _, p := range v.c.Platforms {
		where := "platform " + p.ID
		if !contains(Platforms, p.ID) {
			v.bad("%s: not a contract platform", where)
		}
		n := len(p.Recommendations)
		if n == 0 || p.Recommendations[n-1].When != nil {
			v.bad("%s: recommendations must end with one that has no condition", where)
		}
		for _, r := range p.Recommendations {
			v.recommendation(where+" recommendation "+r.ID, p.ID, r)
		}
	}
	for _, p := range Platforms {
		if v.complete && v.c.platform[p] == nil {
			v.bad("platform %s has no recommendations", p)
		}
	}
}

func (v *checker) recommendation(where, platform string, r Recommendation) {
	m := v.c.methods[r.Method]
	if m == nil {
		v.bad("%s: unknown method %q", where, r.Method)
	} else if !contains(m.Platforms, platform) {
		v.bad("%s: method %s is not for %s", where, r.Method, platform)
	}
	if r.Why == "" {
		v.bad("%s: no why", where)
	}
	v.srcs(where, r.Sources)
	v.cond(where, r.When)
	if r.Warning != nil {
		v.srcs(where+" warning", r.Warning.Sources)
	}
	for _, o := range r.Over {
		if v.c.methods[o.Method] == nil {
			v.bad("%s: over: unknown method %q", where, o.Method)
		}
		v.srcs(where+" over "+o.Method, o.Sources)
	}
}

// baseline checks the baseline policies, and that the contract's and the
// catch-all for free-text items exist.
func (v *checker) baseline() {
	for _, b := range v.c.Baseline {
		v.srcs("baseline "+b.ID, b.Sources)
		if len(b.Platforms) == 0 {
			v.bad("baseline %s: declare the platforms it applies to", b.ID)
		}
		v.scope("baseline "+b.ID, b.Platforms, Platforms)
		for _, e := range b.Except {
			if v.complete && v.c.methods[e.ID] == nil {
				v.bad("baseline %s: except: unknown method %q", b.ID, e.ID)
			}
			v.srcs("baseline "+b.ID+" except "+e.ID, e.Sources)
			v.cond("baseline "+b.ID+" except "+e.ID, e.When)
		}
	}
	for _, id := range BaselineIDs {
		if v.c.baseline(id) == nil {
			v.bad("baseline %s is missing", id)
		}
	}
	if v.c.baseline("custom") == nil {
		v.bad("baseline custom (for free-text items) is missing")
	}
}

func (v *checker) resetOverview() {
	for _, r := range v.c.ResetOverview {
		v.srcs("reset_overview "+r.Mode, r.Sources)
	}
	if len(v.c.ResetOverview) == 0 {
		v.bad("reset_overview is empty")
	}
}

// unenroll checks the steps of leaving another MDM, which must all be of
// that kind so that they sort before any wipe or enrollment.
func (v *checker) unenroll() {
	u := v.c.Unenroll
	v.steps("unenroll", u.Steps, map[string]bool{}, Platforms)
	for _, s := range u.Steps {
		if s.Kind != KindLeaveMDM {
			v.bad("unenroll step %s: kind must be %s", s.ID, KindLeaveMDM)
		}
	}
	v.srcs("unenroll warning", u.Warning.Sources)
	for _, w := range u.Warnings {
		where := "unenroll warning " + w.ID
		if w.ID == "" || w.Text == "" || w.ID == u.Warning.ID {
			v.bad("%s: needs a unique id and text", where)
		}
		v.scope(where, w.Platforms, Platforms)
		v.severity(where, w.Severity)
		v.srcs(where, w.Sources)
		v.cond(where, w.When)
	}
}

func (v *checker) dem() {
	v.srcs("dem", v.c.DEM.Sources)
	if v.c.DEM.MaxDevices <= 0 {
		v.bad("dem: max_devices not set")
	}
	if v.c.DEM.MaxAccounts <= 0 {
		v.bad("dem: max_accounts not set")
	}
	if strings.TrimSpace(v.c.DEM.EntraLimit.Text) == "" {
		v.bad("dem: entra_limit has no text")
	}
	v.srcs("dem entra_limit", v.c.DEM.EntraLimit.Sources)
	for _, m := range v.c.Methods {
		if m.DEM.MaxDevices > v.c.DEM.MaxDevices {
			v.bad("method %s: dem max_devices %d is more than the %d of any DEM account", m.ID, m.DEM.MaxDevices, v.c.DEM.MaxDevices)
		}
	}
}

func (v *checker) rollout() {
	v.steps("rollout", v.c.Rollout.Steps, map[string]bool{}, nil)
	v.steps("rollout wave", []StepDef{v.c.Rollout.WaveStep}, map[string]bool{}, nil)
}

func (v *checker) resetStep() {
	v.steps("reset_step", []StepDef{v.c.ResetStep}, map[string]bool{}, Platforms)
	if v.c.ResetStep.Kind != KindWipe {
		v.bad("reset_step: kind must be %s", KindWipe)
	}
	// The backup must sort with the wipe, before it, never after.
	v.steps("reset_backup", v.c.ResetBackup, map[string]bool{v.c.ResetStep.ID: true}, Platforms)
	for _, s := range v.c.ResetBackup {
		if s.Kind != KindWipe {
			v.bad("reset_backup step %s: kind must be %s", s.ID, KindWipe)
		}
	}
}

// texts checks the single sentences: settings that stay, and what a tenant
// check's enrollment restrictions say (with their two placeholders).
func (v *checker) texts() {
	v.srcs("settings_stay", v.c.SettingsStay.Sources)
	for _, t := range []string{v.c.Restricted.Blocked, v.c.Restricted.Personal} {
		if !strings.Contains(t, "%[1]s") || !strings.Contains(t, "%[2]s") {
			v.bad("restricted: blocked and personal each need %%[1]s for the platform and %%[2]s for the date of the check")
		}
	}
	v.srcs("restricted", v.c.Restricted.Sources)
}

// clouds checks that every contract cloud has a name, and only those.
func (v *checker) clouds() {
	for _, cl := range v.c.Clouds {
		if !contains(Clouds, cl.ID) {
			v.bad("cloud %s: not a contract cloud", cl.ID)
		}
		v.srcs("cloud "+cl.ID, cl.Sources)
	}
	if !v.complete {
		return
	}
	for _, id := range Clouds {
		if !slices.ContainsFunc(v.c.Clouds, func(d CloudDef) bool { return d.ID == id }) {
			v.bad("cloud %s has no name", id)
		}
	}
}

// availability checks what the catalog says of methods in some clouds.
func (v *checker) availability() {
	for _, av := range v.c.Availability {
		where := "availability " + av.ID
		if av.ID == "" || av.Text == "" || len(av.Clouds) == 0 || len(av.Methods) == 0 {
			v.bad("%s: needs id, text, clouds and methods", where)
		}
		v.severity(where, av.Severity)
		for _, cl := range av.Clouds {
			if !contains(Clouds, cl) {
				v.bad("%s: unknown cloud %q", where, cl)
			}
		}
		for _, m := range av.Methods {
			if v.complete && v.c.methods[m] == nil {
				v.bad("%s: unknown method %q", where, m)
			}
		}
		v.srcs(where, av.Sources)
	}
}

// baselineTerms checks the words that map free-text baseline items to a
// known policy's platforms.
func (v *checker) baselineTerms() {
	for _, bt := range v.c.BaselineTerms {
		where := "baseline_terms " + strings.Join(bt.Words, "/")
		if len(bt.Words) == 0 || len(bt.Platforms) == 0 || bt.Detail == "" {
			v.bad("%s: needs words, platforms and detail", where)
		}
		for _, w := range bt.Words {
			if w != strings.ToLower(w) {
				v.bad("%s: word %q must be lower case", where, w)
			}
		}
		v.scope(where, bt.Platforms, Platforms)
		v.srcs(where, bt.Sources)
	}
}

// leadTimes checks the critical path's data: each prerequisite's needs name
// other known prerequisites and never form a cycle, and each has a lead
// time, cited from one of its own sources (so the plan lists the page) or
// explained as an estimate.
func (v *checker) leadTimes() {
	for _, p := range v.c.Prerequisites {
		where := "prerequisite " + p.ID
		seen := map[string]bool{}
		for _, n := range p.Needs {
			switch {
			case n == p.ID:
				v.bad("%s: needs itself", where)
			case seen[n]:
				v.bad("%s: needs %s twice", where, n)
			case v.complete && v.c.prereqs[n] == nil, !contains(ContractPrerequisites, n):
				v.bad("%s: needs unknown prerequisite %q", where, n)
			}
			seen[n] = true
		}
		switch {
		case p.LeadDays == nil:
			v.bad("%s: no lead_days", where)
		case *p.LeadDays < 0 || *p.LeadDays > MaxLeadDays:
			v.bad("%s: lead_days %d is not between 0 and %d", where, *p.LeadDays, MaxLeadDays)
		}
		switch {
		case p.LeadSource != "" && p.LeadQuote == "":
			v.bad("%s: lead_source %s without the lead_quote it states", where, p.LeadSource)
		case p.LeadSource == "" && p.LeadQuote != "":
			v.bad("%s: lead_quote without a lead_source", where)
		case p.LeadSource != "" && !contains(p.Sources, p.LeadSource):
			v.bad("%s: lead_source %s is not one of its sources", where, p.LeadSource)
		case p.LeadSource == "" && p.LeadBasis == "":
			v.bad("%s: an estimated lead time needs a lead_basis saying why", where)
		}
	}
	if cycle := v.c.needsCycle(); cycle != nil {
		v.bad("prerequisites: needs form a cycle: %s", strings.Join(cycle, " → "))
	}
}

// needsCycle returns one cycle of the prerequisites' needs (its first id
// repeated at the end), or nil when there is none.
func (c *Catalog) needsCycle() []string {
	const (
		unseen = iota
		open
		closed
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		switch state[id] {
		case open:
			i := slices.Index(stack, id)
			return append(slices.Clone(stack[i:]), id)
		case closed:
			return nil
		}
		state[id] = open
		stack = append(stack, id)
		if p := c.prereqs[id]; p != nil {
			for _, n := range p.Needs {
				if cyc := visit(n); cyc != nil {
					return cyc
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = closed
		return nil
	}
	for _, p := range c.Prerequisites {
		if cyc := visit(p.ID); cyc != nil {
			return cyc
		}
	}
	return nil
}

// expiries checks what the catalog says about each kind of expiry, and
// that every kind the answers may name has it.
func (v *checker) expiries() {
	seen := map[string]bool{}
	for _, e := range v.c.Expiries {
		where := "expiry " + e.What
		if !contains(ExpiryWhats, e.What) {
			v.bad("%s: not one of %s", where, oneOf(ExpiryWhats))
		}
		if seen[e.What] {
			v.bad("%s: defined twice", where)
		}
		seen[e.What] = true
		if e.Title == "" || e.Renew == "" || e.Text == "" || e.Owner == "" {
			v.bad("%s: needs title, renew, text and owner", where)
		}
		if len(e.Platforms)+len(e.Methods) == 0 {
			v.bad("%s: names no platform or method that depends on it", where)
		}
		v.known(where, "platform", e.Platforms, Platforms)
		for _, m := range e.Methods {
			if v.complete && v.c.methods[m] == nil {
				v.bad("%s: unknown method %q", where, m)
			}
		}
		v.srcs(where, e.Sources)
	}
	for _, w := range ExpiryWhats {
		if v.complete && !seen[w] {
			v.bad("expiry %s (CONTRACT §8.1) is missing", w)
		}
	}
}
