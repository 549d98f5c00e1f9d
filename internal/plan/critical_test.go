package plan

import (
	"bytes"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLeadTimes: one row per lead time in the catalog. A cited one names
// the page that states it and the words it quotes (the figure, rounded up
// to whole days); the plan shows the quote. Every other one is a planning
// estimate, and the plan says so.
func TestLeadTimes(t *testing.T) {
	c := testCatalog(t)
	cases := []struct {
		id    string
		days  int
		url   string // the page that states it; "" for a planning estimate
		quote string // words the page says
	}{
		{"mdm-authority", 1, "https://learn.microsoft.com/intune/fundamentals/setup-mdm-authority", "transition time (up to eight hours)"},
		{"groups", 1, "https://learn.microsoft.com/intune/device-enrollment/restrictions", "typically happens within 15 minutes. It's not instant."},
		{"autopilot-registration", 2, "https://learn.microsoft.com/autopilot/profiles", "Allow 48 hours for the registration to be processed."},
		{"licenses", 1, "", ""},
		{"admin-role", 1, "", ""},
		{"supported-os", 0, "", ""},
		{"apple-id", 1, "", ""},
		{"apple-mdm-push-certificate", 1, "", ""},
		{"apple-business-manager", 11, "", ""},
		{"managed-google-play", 1, "", ""},
		{"entra-premium", 1, "", ""},
		{"configmgr", 3, "", ""},
		{"dem-account", 1, "", ""},
		{"unenroll-existing-mdm", 5, "", ""},
	}
	if len(cases) != len(ContractPrerequisites) {
		t.Fatalf("%d rows for %d prerequisites: give every lead time a row", len(cases), len(ContractPrerequisites))
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			def := c.Prerequisite(tc.id)
			if def.LeadDays == nil || *def.LeadDays != tc.days {
				t.Fatalf("lead_days = %v, want %d", def.LeadDays, tc.days)
			}
			b := newBuilder(c, &Answers{}, BuildOptions{})
			l := b.leadOf(def)
			if tc.url == "" {
				if def.LeadSource != "" || l.cited || !strings.Contains(l.note, "a planning estimate") {
					t.Fatalf("an estimate must say so and cite nothing: source %q, note %q", def.LeadSource, l.note)
				}
				return
			}
			if got := c.Sources[def.LeadSource].URL; got != tc.url {
				t.Errorf("lead_source %s is %s, want %s", def.LeadSource, got, tc.url)
			}
			if !strings.Contains(def.LeadQuote, tc.quote) || !l.cited || !strings.Contains(l.note, def.LeadQuote) {
				t.Errorf("quote %q, note %q: want the page's words %q in both", def.LeadQuote, l.note, tc.quote)
			}
		})
	}
}

// TestNeedsGraph: the catalog's hard dependencies are there, and loading
// refuses a need on an unknown prerequisite, a cycle and a lead time
// without its basis.
func TestNeedsGraph(t *testing.T) {
	c := testCatalog(t)
	for _, edge := range [][2]string{
		{"apple-mdm-push-certificate", "apple-id"}, {"apple-mdm-push-certificate", "mdm-authority"},
		{"apple-business-manager", "apple-mdm-push-certificate"}, {"unenroll-existing-mdm", "mdm-authority"},
		{"autopilot-registration", "entra-premium"}, {"configmgr", "mdm-authority"}, {"dem-account", "licenses"},
	} {
		if !slices.Contains(c.Prerequisite(edge[0]).Needs, edge[1]) {
			t.Errorf("%s must need %s", edge[0], edge[1])
		}
	}
	orig := map[string][]byte{}
	names, _ := fs.Glob(catalogFS, "catalog/*.json")
	for _, n := range names {
		data, _ := fs.ReadFile(catalogFS, n)
		orig[strings.TrimPrefix(n, "catalog/")] = data
	}
	cases := []struct{ name, file, old, new, want string }{
		{"unknown prerequisite", "apple.json", `"needs": ["apple-id", "mdm-authority"]`, `"needs": ["apple-idd", "mdm-authority"]`, `needs unknown prerequisite "apple-idd"`},
		{"cycle", "apple.json", `"needs": []`, `"needs": ["apple-business-manager"]`, "needs form a cycle: apple-"},
		{"estimate without basis", "tenant.json", `"lead_basis": "No page states how long assigning licences takes; a day allows for fixing accounts without a usage location. Buying the licences first takes longer."`, `"lead_source": ""`, "needs a lead_basis"},
		{"quote without source", "tenant.json", `"lead_source": "E-RES",`, ``, "lead_quote without a lead_source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := fstest.MapFS{}
			for n, d := range orig {
				m[n] = &fstest.MapFile{Data: d}
			}
			src := string(orig[tc.file])
			if !strings.Contains(src, tc.old) {
				t.Fatalf("fixture text %q not found in %s; update the test", tc.old, tc.file)
			}
			m[tc.file] = &fstest.MapFile{Data: []byte(strings.Replace(src, tc.old, tc.new, 1))}
			_, err := LoadFS(m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error naming %q, got %v", tc.want, err)
			}
		})
	}
}

// workedBack checks the rule on a built plan: a prerequisite not done is
// due its lead time before the earliest of its populations' first dates
// (the pilot, which has a few devices of every population, else their
// first dated wave) and the due dates of the prerequisites not done that
// need it; a done one has no due date.
func workedBack(t *testing.T, p *Plan) {
	t.Helper()
	first := func(pop string) string {
		if p.Rollout.PilotStart != "" {
			return p.Rollout.PilotStart
		}
		d := ""
		for _, w := range p.Rollout.Waves {
			if w.Start != "" && slices.Contains(w.Populations, pop) && (d == "" || w.Start < d) {
				d = w.Start
			}
		}
		return d
	}
	for _, pr := range p.Prerequisites {
		if pr.Status == StatusDone {
			if pr.Due != "" {
				t.Errorf("%s is done but due %s", pr.ID, pr.Due)
			}
			continue
		}
		need := ""
		for _, pop := range pr.AppliesTo {
			if d := first(pop); d != "" && (need == "" || d < need) {
				need = d
			}
		}
		for _, q := range p.Prerequisites {
			if q.Status != StatusDone && slices.Contains(q.Needs, pr.ID) && q.Due != "" && (need == "" || q.Due < need) {
				need = q.Due
			}
		}
		want := ""
		if need != "" {
			want = addDays(need, -pr.LeadDays)
		}
		if pr.Due != want {
			t.Errorf("%s due %s, want %s (needed by %s, lead %d days)", pr.ID, pr.Due, want, need, pr.LeadDays)
		}
	}
}

// firstIDs lists the first actions' ids.
func firstIDs(p *Plan) []string {
	var ids []string
	for _, f := range p.Summary.FirstActions {
		ids = append(ids, f.ID)
	}
	return ids
}

// TestNorthwindFirstActions: the example's first actions come in
// dependency order with due dates worked back from the pilot on 11 January
// 2027: the groups before the move from the old MDM that needs them, the
// company Apple ID before the push certificate it creates; the pilot last.
func TestNorthwindFirstActions(t *testing.T) {
	c := testCatalog(t)
	p, err := c.BuildWith(northwind(t, c), BuildOptions{Today: "2026-12-07"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, due string }{
		{"prereq.groups", "2027-01-05"},                     // needed by the move from the old MDM (6 Jan), 1 day
		{"prereq.unenroll-existing-mdm", "2027-01-06"},      // pilot 11 Jan, 5 days (estimate)
		{"prereq.apple-id", "2027-01-09"},                   // needed by the push certificate (10 Jan), 1 day
		{"prereq.apple-mdm-push-certificate", "2027-01-10"}, // pilot 11 Jan, 1 day
		{"prereq.managed-google-play", "2027-01-10"},        // pilot 11 Jan, 1 day
		{"rollout.pilot-group", "2027-01-11"},
	}
	fa := p.Summary.FirstActions
	if len(fa) != len(want) {
		t.Fatalf("first actions %v, want %d", firstIDs(p), len(want))
	}
	for i, w := range want {
		if fa[i].ID != w.id || fa[i].Due != w.due {
			t.Errorf("first action %d: %s due %s, want %s due %s", i+1, fa[i].ID, fa[i].Due, w.id, w.due)
		}
	}
	if i, j := slices.Index(firstIDs(p), "prereq.apple-id"), slices.Index(firstIDs(p), "prereq.apple-mdm-push-certificate"); i < 0 || i > j {
		t.Errorf("the company Apple ID comes before the push certificate it creates: %v", firstIDs(p))
	}
	if got := fa[2].Unblocks; !slices.Equal(got, []string{"sales-iphones", "design-macs"}) {
		t.Errorf("the Apple ID unblocks the iPhones and, through the push certificate, the Macs: %v", got)
	}
	workedBack(t, p)
	for _, tk := range p.Tasks {
		if id, ok := strings.CutPrefix(tk.ID, "prereq."); ok {
			for _, pr := range p.Prerequisites {
				if pr.ID == id && tk.Due != pr.Due {
					t.Errorf("task %s due %q, its prerequisite %q", tk.ID, tk.Due, pr.Due)
				}
			}
		}
	}
	if p.Summary.AsOf != "2026-12-07" || len(p.Summary.Late) != 0 {
		t.Errorf("as of 7 Dec 2026 nothing is late: as_of %q, late %+v", p.Summary.AsOf, p.Summary.Late)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Due 9 Jan 2027 (takes 1 day, a planning estimate); unblocks Sales iPhones and Design Macs.",
		"Due 5 Jan 2027 (takes 1 day, from the docs); unblocks every population."} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("page one does not say %q", s)
		}
	}
}

// TestFirstActionsInDependencyOrder: in every example, dated as given and
// with no dates at all (then nothing is due and only the graph orders
// them), no first action comes before one it needs, and every
// prerequisite's due date follows the rule.
func TestFirstActionsInDependencyOrder(t *testing.T) {
	c := testCatalog(t)
	for _, name := range exampleNames(t) {
		for _, dated := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/dated=%v", name, dated), func(t *testing.T) {
				a, err := c.DecodeAnswers(readExample(t, name))
				if err != nil {
					t.Fatal(err)
				}
				if !dated {
					a.Rollout.PilotStart = ""
					for i := range a.Rollout.Waves {
						a.Rollout.Waves[i].Start = ""
					}
				}
				dependencyOrder(t, c, a)
			})
		}
	}
}

// dependencyOrder checks one plan's first actions: after the actions they
// need, the pilot last, leaving the old MDM among them when it applies.
func dependencyOrder(t *testing.T, c *Catalog, a Answers) {
	t.Helper()
	p, err := c.BuildWith(a, BuildOptions{Today: "2026-12-07"})
	if err != nil {
		t.Fatal(err)
	}
	workedBack(t, p)
	pos := map[string]int{}
	for i, f := range p.Summary.FirstActions {
		pos[f.ID] = i
	}
	status := map[string]string{}
	for _, pr := range p.Prerequisites {
		status[pr.ID] = pr.Status
	}
	for _, pr := range p.Prerequisites {
		i, listed := pos["prereq."+pr.ID]
		if !listed {
			continue
		}
		for _, n := range pr.Needs {
			j, there := pos["prereq."+n]
			if there && j > i {
				t.Errorf("%s comes before %s, which it needs: %v", pr.ID, n, firstIDs(p))
			}
			if !there && status[n] != StatusDone {
				t.Errorf("%s is a first action but %s, which it needs and is not done, is not", pr.ID, n)
			}
		}
	}
	if last := p.Summary.FirstActions[len(p.Summary.FirstActions)-1]; last.ID != "rollout.pilot-group" {
		t.Errorf("the pilot comes last, not %s", last.ID)
	}
	for _, pr := range p.Prerequisites {
		if pr.ID == "unenroll-existing-mdm" && pr.Status != StatusDone && len(pr.AppliesTo) > 0 {
			if _, ok := pos["prereq.unenroll-existing-mdm"]; !ok {
				t.Errorf("leaving the old MDM is missing from the first actions: %v", firstIDs(p))
			}
		}
	}
}

// TestLateForThePilot: three days before the Northwind pilot, the move from
// the old MDM (5 days) no longer fits, nor do the groups it needs first;
// page one says so with the days needed and left.
func TestLateForThePilot(t *testing.T) {
	c := testCatalog(t)
	p, err := c.BuildWith(northwind(t, c), BuildOptions{Today: "2027-01-08"})
	if err != nil {
		t.Fatal(err)
	}
	late := map[string]Late{}
	for _, l := range p.Summary.Late {
		late[l.Prerequisite] = l
	}
	if len(late) != 2 {
		t.Fatalf("late: %+v", p.Summary.Late)
	}
	um := late["unenroll-existing-mdm"]
	if um.NeededDays != 5 || um.AvailableDays != 3 || um.NeededBy != "2027-01-11" || !slices.Equal(um.Blocks, []string{"sales-iphones", "warehouse-scanners"}) {
		t.Errorf("the move from the old MDM: %+v", um)
	}
	if want := "Too late for the pilot on 11 Jan 2027: Move from the current MDM planned needs 5 days; 3 are left."; um.Text != want {
		t.Errorf("text %q, want %q", um.Text, want)
	}
	if g := late["groups"]; g.NeededDays != 1 || g.AvailableDays != -2 || !strings.Contains(g.Text, "must come before “Move from the current MDM planned”") {
		t.Errorf("the groups must be ready before the move from the old MDM: %+v", g)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	page1, _, _ := strings.Cut(md.String(), "## Before the pilot")
	if !strings.Contains(page1, "> **"+um.Text+"**") {
		t.Errorf("page one does not show what is late:\n%s", page1)
	}
	// A day earlier the move fits exactly; the day after its due date, it
	// does not (due 6 Jan).
	for today, wantLate := range map[string]bool{"2027-01-06": false, "2027-01-07": true} {
		p, err := c.BuildWith(northwind(t, c), BuildOptions{Today: today})
		if err != nil {
			t.Fatal(err)
		}
		got := slices.ContainsFunc(p.Summary.Late, func(l Late) bool { return l.Prerequisite == "unenroll-existing-mdm" })
		if got != wantLate {
			t.Errorf("today %s: late = %v, want %v", today, got, wantLate)
		}
	}
}

// TestLeadTimeOverride: rollout.lead_times replaces the catalog's lead time,
// and the plan says the number is the planner's.
func TestLeadTimeOverride(t *testing.T) {
	c := testCatalog(t)
	a := northwind(t, c)
	a.Rollout.LeadTimes = map[string]int{"unenroll-existing-mdm": 10, "apple-mdm-push-certificate": 0}
	p, err := c.BuildWith(a, BuildOptions{Today: "2026-12-07"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range p.Prerequisites {
		switch pr.ID {
		case "unenroll-existing-mdm":
			if pr.LeadDays != 10 || pr.LeadCited || pr.Due != "2027-01-01" || !strings.Contains(pr.LeadNote, "as set for this plan") {
				t.Errorf("overridden lead time: %d days, cited %v, due %s, note %q", pr.LeadDays, pr.LeadCited, pr.Due, pr.LeadNote)
			}
		case "groups":
			if pr.Due != "2026-12-31" {
				t.Errorf("the groups follow the move forward: due %s, want 2026-12-31", pr.Due)
			}
		case "apple-mdm-push-certificate":
			if pr.LeadDays != 0 || pr.Due != "2027-01-11" {
				t.Errorf("a zero lead time is due on the pilot's day: %d, %s", pr.LeadDays, pr.Due)
			}
		case "apple-id":
			if pr.Due != "2027-01-10" {
				t.Errorf("the Apple ID is due a day before the push certificate: %s", pr.Due)
			}
		}
	}
	workedBack(t, p)
}

// TestADETokenExpiresAfterPilot: an ADE token that expires the day after
// the pilot starts is a first action due a week before, a warning on each
// ADE population (and on no other) and a mark on page one's timeline
// between the pilot and the first wave; from a tenant check as from the
// answers, once.
func TestADETokenExpiresAfterPilot(t *testing.T) {
	c := testCatalog(t)
	for _, from := range []string{"answers", "tenant check", "both"} {
		t.Run(from, func(t *testing.T) {
			a := northwind(t, c)
			if from != "tenant check" {
				a.Tenant.Expiries = []TenantExpiry{{What: WhatADEToken, Name: "Northwind ABM", Expires: "2027-01-12"}}
			}
			if from != "answers" {
				a.TenantCheck = &TenantCheck{Schema: TenantCheckSchema, Tenant: a.Tenant, Findings: []Finding{},
					Expiries: []Expiry{{Kind: ExpiryADEToken, Name: "Northwind ABM", Date: "2027-01-12"}}}
			}
			p, err := c.BuildWith(a, BuildOptions{Today: "2026-12-07"})
			if err != nil {
				t.Fatal(err)
			}
			var renew []FirstAction
			for _, f := range p.Summary.FirstActions {
				if strings.HasPrefix(f.ID, "renew.") {
					renew = append(renew, f)
				}
			}
			if len(renew) != 1 || renew[0].ID != "renew.ade-token" || renew[0].Due != "2027-01-05" ||
				!slices.Equal(renew[0].Unblocks, []string{"sales-iphones", "design-macs"}) || !strings.Contains(renew[0].Title, "“Northwind ABM”") {
				t.Fatalf("renewal among the first actions: %+v", renew)
			}
			// The first action is a task the team can tick, due with it.
			ti := slices.IndexFunc(p.Tasks, func(t Task) bool { return t.ID == "renew.ade-token" })
			if ti < 0 || p.Tasks[ti].Due != "2027-01-05" || p.Tasks[ti].Phase != PhasePrepare {
				t.Fatalf("no set-up task renew.ade-token due 2027-01-05 (index %d)", ti)
			}
			if ti+1 < len(p.Tasks) && p.Tasks[ti+1].Phase == PhasePrepare {
				t.Errorf("the renewal comes before other set-up tasks; want it after the last one")
			}
			for _, pop := range p.Populations {
				has := slices.ContainsFunc(pop.Warnings, func(w Warning) bool { return w.ID == "expiry.ade-token" })
				if has != (pop.Method.ID == "ios-ade" || pop.Method.ID == "macos-ade") {
					t.Errorf("%s (%s): expiry warning %v", pop.ID, pop.Method.ID, has)
				}
			}
			if m := p.Rollout.Marks; len(m) != 1 || m[0].Date != "2027-01-12" || m[0].ID != "expiry.ade-token" {
				t.Fatalf("marks: %+v", m)
			}
			var md bytes.Buffer
			if err := WriteMarkdown(&md, p); err != nil {
				t.Fatal(err)
			}
			out := md.String()
			pilot := strings.Index(out, "- **Pilot**, from 11 Jan 2027")
			mark := strings.Index(out, "- **12 Jan 2027**: The Automated Device Enrollment token “Northwind ABM” expires.")
			wave1 := strings.Index(out, "- **Wave 1**, from 25 Jan 2027")
			if pilot < 0 || mark < pilot || wave1 < mark {
				t.Errorf("the expiry is not on the timeline between the pilot and wave 1 (at %d, %d, %d)", pilot, mark, wave1)
			}
		})
	}
	// After the last wave's start, it concerns nothing in this plan.
	a := northwind(t, c)
	for i := range a.Populations {
		if a.Populations[i].ID == "reception-kiosks" {
			a.Populations[i].Method = "windows-autopilot" // no population uses a bulk token
		}
	}
	a.Tenant.Expiries = []TenantExpiry{{What: WhatADEToken, Expires: "2027-02-23"}, {What: WhatBulkToken, Expires: "2027-01-12"}}
	p, err := c.BuildWith(a, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rollout.Marks) != 0 || slices.ContainsFunc(p.Summary.FirstActions, func(f FirstAction) bool { return strings.HasPrefix(f.ID, "renew.") }) {
		t.Errorf("an expiry after the last start, or of a token no population uses, is not on the plan: %+v", p.Rollout.Marks)
	}
}

// TestCheckWithoutTime: an uploaded check without read_at never leaves
// "Read from the tenant on ." (or "check on  read") anywhere.
func TestCheckWithoutTime(t *testing.T) {
	c := testCatalog(t)
	a := northwind(t, c)
	read := a.Tenant
	read.ManagedGooglePlay = yes() // overruled by the answers: the plan says what was read
	a.TenantCheck = &TenantCheck{Schema: TenantCheckSchema, Tenant: read,
		Findings:     []Finding{{ID: "mdm-authority", Status: FindingOK, Title: "MDM authority is Intune"}},
		Restrictions: &Restrictions{Blocked: []string{"macos"}}}
	p, err := c.BuildWith(a, BuildOptions{Today: "2026-12-07"})
	if err != nil {
		t.Fatal(err)
	}
	var js, md bytes.Buffer
	if err := WriteJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"json": js.String(), "md": md.String()} {
		for _, bad := range []string{" on .", " on  ", "on ,", "on \n"} {
			if strings.Contains(out, bad) {
				i := strings.Index(out, bad)
				t.Errorf("%s says %q: …%s…", name, bad, out[max(0, i-60):i+10])
			}
		}
	}
	if !strings.Contains(md.String(), "### Read from the tenant\n") || !strings.Contains(js.String(), "The tenant check read “Managed Google Play connected” as in place") {
		t.Error("a check without a time is still named, without a date")
	}
}
