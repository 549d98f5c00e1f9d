package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestPerPopulationDecisions: what manages a population and whether it is in
// use are answers about that population, never about the tenant (CONTRACT
// §2 in_use, managed_by).
func TestPerPopulationDecisions(t *testing.T) {
	c := testCatalog(t)
	tn := fullTenant()
	tn.ConfigMgr = yes()
	a := answersFor(tn, false,
		Population{ID: "new-laptops", Platform: "windows", Ownership: OwnCorporate, Devices: 700, InUse: no(), ManagedBy: ManagedNone},
		Population{ID: "desktops", Platform: "windows", Ownership: OwnCorporate, Devices: 180, InUse: yes(), ManagedBy: ManagedConfigMgr},
		Population{ID: "leavers", Platform: "windows", Ownership: OwnCorporate, Devices: 50, InUse: yes(), ManagedBy: ManagedOtherMDM})
	pl, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]PopulationPlan{}
	for _, p := range pl.Populations {
		got[p.ID] = p
	}
	if m := got["new-laptops"].Method.ID; m == "windows-co-management" {
		t.Errorf("S6: new laptops that were never Configuration Manager clients must not be co-managed")
	}
	if m := got["desktops"].Method.ID; m != "windows-co-management" {
		t.Errorf("C-OV: PCs Configuration Manager manages today → co-management, got %s", m)
	}
	for id, p := range got {
		leaving := slices.Contains(p.Prerequisites, "unenroll-existing-mdm")
		if leaving != (id == "leavers") {
			t.Errorf("S1: %s needs unenroll-existing-mdm = %v; Configuration Manager is not another MDM", id, leaving)
		}
	}
	t.Run("chosen Autopilot for new PCs does not argue for co-management", func(t *testing.T) {
		a := answersFor(tn, false, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 700, InUse: no(), Method: "windows-autopilot"})
		pl, err := c.Build(a)
		if err != nil {
			t.Fatal(err)
		}
		if p := pl.Populations[0]; !p.Method.Recommended || strings.Contains(p.Method.Why, "Co-management") {
			t.Fatalf("method: %+v", p.Method)
		}
	})
	t.Run("the older spelling currently_managed_by_other_mdm means another MDM", func(t *testing.T) {
		_, p := buildOne(t, fullTenant(), false, Population{Platform: "ios", Ownership: OwnPersonal, Devices: 3, CurrentlyManagedByOtherMDM: yes()})
		if p.ManagedBy != ManagedOtherMDM || !slices.Contains(p.Prerequisites, "unenroll-existing-mdm") {
			t.Fatalf("managed_by %q, prerequisites %v", p.ManagedBy, p.Prerequisites)
		}
	})
}

// TestAssumptions: an unknown answer that would change the plan is read the
// safer way and recorded in the summary; a known one records nothing.
func TestAssumptions(t *testing.T) {
	c := testCatalog(t)
	build := func(p Population) *Plan {
		t.Helper()
		pl, err := c.Build(answersFor(fullTenant(), false, p))
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	pl := build(Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10})
	fields := map[string]string{}
	for _, as := range pl.Summary.Assumptions {
		fields[as.Field] = as.Text
		if as.Population != "pa" {
			t.Errorf("assumption names population %q", as.Population)
		}
	}
	if !pl.Populations[0].InUse || !strings.Contains(fields["in_use"], "Autopilot") {
		t.Errorf("unknown in_use: assumed in use, and says a new PC would use Autopilot; got %q", fields["in_use"])
	}
	if !strings.Contains(fields["managed_by"], "another MDM") || !strings.Contains(fields["managed_by"], "Configuration Manager") {
		t.Errorf("unknown managed_by on Windows names both other readings; got %q", fields["managed_by"])
	}
	known := build(Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10, InUse: yes(), ManagedBy: ManagedNone})
	if len(known.Summary.Assumptions) != 0 {
		t.Errorf("known answers record no assumption: %+v", known.Summary.Assumptions)
	}
	// Linux enrolls the same way new or in use: nothing to assume about in_use.
	linux := build(Population{Platform: "linux", Ownership: OwnCorporate, Devices: 10, ManagedBy: ManagedNone})
	if len(linux.Summary.Assumptions) != 0 {
		t.Errorf("an unknown answer that changes nothing records nothing: %+v", linux.Summary.Assumptions)
	}
}

// TestSummary: each distinct blocker once, with the populations it blocks;
// the first actions start with clearing them (CONTRACT §3).
func TestSummary(t *testing.T) {
	c := testCatalog(t)
	tn := fullTenant()
	tn.AppleMDMPushCertificate = no()
	tn.ManagedGooglePlay = nil
	a := answersFor(tn, false,
		Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10},
		Population{Platform: "macos", Ownership: OwnCorporate, Devices: 10},
		Population{Platform: "android", Ownership: OwnPersonal, Devices: 10})
	pl, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var apns []SummaryBlocker
	for _, bl := range pl.Summary.Blockers {
		if bl.Prerequisite == "apple-mdm-push-certificate" {
			apns = append(apns, bl)
		}
	}
	if len(apns) != 1 || !slices.Equal(apns[0].Blocks, []string{"pa", "pb"}) || apns[0].Owner == "" {
		t.Fatalf("the push certificate is one blocker for both Apple populations, with an owner: %+v", pl.Summary.Blockers)
	}
	fa := pl.Summary.FirstActions
	if len(fa) == 0 || !strings.Contains(fa[0].Why, "Clears a blocker") || fa[0].Owner == "" {
		t.Fatalf("the first action clears a blocker and names who does it: %+v", fa)
	}
	if !slices.ContainsFunc(fa, func(f FirstAction) bool {
		return strings.Contains(f.Title, "Managed Google Play") || strings.Contains(f.Title, "managed Google Play")
	}) {
		t.Errorf("an unconfirmed blocking prerequisite is among the first things to check: %+v", fa)
	}
	if last := fa[len(fa)-1]; !strings.Contains(last.Title, "pilot") {
		t.Errorf("the first actions end with the pilot: %+v", last)
	}
}

// TestDEMAccountStays: CONTRACT §5 — with bulk enrollment by staff the DEM
// prerequisite stays even when no method of the fleet can use a DEM.
func TestDEMAccountStays(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), true, Population{Platform: "ios", Ownership: OwnCorporate, Usage: UsageShared, Devices: 30})
	pl, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(pl.Prerequisites, func(pr Prerequisite) bool { return pr.ID == "dem-account" })
	if i < 0 {
		t.Fatal("dem-account disappeared")
	}
	pr := pl.Prerequisites[i]
	if len(pr.AppliesTo) != 0 || !strings.Contains(pr.Detail, pl.Populations[0].Method.Name) {
		t.Fatalf("dem-account applies to %v, detail %q: it should apply to no population and say how this method enrolls in bulk", pr.AppliesTo, pr.Detail)
	}
}

// TestRolloutWaves: waves name their populations and count their devices;
// a population in no wave is reported.
func TestRolloutWaves(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false,
		Population{ID: "phones", Platform: "ios", Ownership: OwnCorporate, Devices: 250},
		Population{ID: "pcs", Platform: "windows", Ownership: OwnCorporate, Devices: 700, InUse: no()},
		Population{ID: "macs", Platform: "macos", Ownership: OwnCorporate, Devices: 45})
	a.Rollout = Rollout{PilotGroup: "Pilot", PilotStart: "2027-01-11", Waves: []Wave{
		{Name: "Wave 1", Group: "Sales", Start: "2027-01-25", Populations: []string{"phones"}},
		{Name: "Wave 2", Group: "Everyone", Start: "2027-02-08", Populations: []string{"pcs"}}}}
	pl, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	// A wave enrolls what the pilot leaves: the plan proposes 10 of each.
	if w := pl.Rollout.Waves; w[0].Devices != 240 || w[1].Devices != 690 {
		t.Errorf("wave device counts %d, %d, want 240 and 690", w[0].Devices, w[1].Devices)
	}
	if !slices.Equal(pl.Rollout.Unassigned, []string{"macs"}) {
		t.Errorf("unassigned %v, want [macs]", pl.Rollout.Unassigned)
	}
	if pl.Rollout.LastStart != "2027-02-08" {
		t.Errorf("last start %q", pl.Rollout.LastStart)
	}
	for _, tk := range pl.Tasks {
		if tk.Phase == PhasePilot && (tk.Wave != "Pilot" || tk.Start != "2027-01-11") {
			t.Fatalf("pilot task %s: wave %q start %q", tk.ID, tk.Wave, tk.Start)
		}
		if tk.Phase == PhaseRollout && tk.Wave == "Wave 1" && !slices.Equal(tk.Populations, []string{"phones"}) {
			t.Fatalf("wave task names %v", tk.Populations)
		}
	}
}

// TestKnowledgeSources: every source carries its page's own date and the
// date it was last checked, and the plan reports the newest of each.
func TestKnowledgeSources(t *testing.T) {
	c := testCatalog(t)
	for id, s := range c.Sources {
		if !isDate(s.Date) {
			t.Errorf("source %s (%s): page date %q is not YYYY-MM-DD", id, s.URL, s.Date)
		}
		if !isDate(s.Checked) {
			t.Errorf("source %s (%s): check date %q is not YYYY-MM-DD", id, s.URL, s.Checked)
		}
		if strings.Contains(s.URL, "/en-us/") {
			t.Errorf("source %s: cite the URL without a locale: %s", id, s.URL)
		}
	}
	k := c.Knowledge()
	if k.DocsDatedUpTo == "" || k.CheckedOn == "" || k.Sources != len(c.Sources) {
		t.Errorf("knowledge: %+v", k)
	}
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, r := range s {
		if i != 4 && i != 7 && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// TestClouds: a method a cloud doesn't offer is never recommended there,
// and a chosen one is a blocker naming the alternative (CONTRACT §2
// tenant.cloud; F-GOV 2026-06-04, F-CN 2025-10-16).
func TestClouds(t *testing.T) {
	newPCs := Population{Platform: "windows", Ownership: OwnCorporate, Devices: 50, InUse: no(), ManagedBy: ManagedNone}
	in := func(cloud string, p Population) PopulationPlan {
		t.Helper()
		tn := fullTenant()
		tn.Cloud = cloud
		_, pop := buildOne(t, tn, false, p)
		return pop
	}
	for _, tc := range []struct {
		cloud, want string
	}{
		{"", "windows-autopilot"}, {"gcc", "windows-autopilot"},
		{"gcc-high", "windows-autopilot-device-preparation"}, {"dod", "windows-autopilot-device-preparation"},
		{"china", "windows-autopilot-device-preparation"},
	} {
		p := in(tc.cloud, newPCs)
		if p.Method.ID != tc.want {
			t.Errorf("cloud %q: new corporate PCs → %s, want %s", tc.cloud, p.Method.ID, tc.want)
		}
		if tc.want != "windows-autopilot" && !slices.ContainsFunc(p.Unsuitable, func(a Alternative) bool { return a.ID == "windows-autopilot" }) {
			t.Errorf("cloud %q: classic Autopilot must be listed as not suitable there: %+v", tc.cloud, p.Unsuitable)
		}
	}
	chosen := newPCs
	chosen.Method = "windows-autopilot"
	p := in("gcc-high", chosen)
	if !slices.ContainsFunc(p.Warnings, func(w Warning) bool {
		return w.Severity == SevBlocker && strings.HasPrefix(w.ID, "cloud.") && strings.Contains(w.Text, "device preparation")
	}) {
		t.Errorf("Autopilot chosen in GCC High is a blocker naming the alternative:\n%s", warningText(p))
	}
	// Android Enterprise and AOSP aren't offered there; kiosks fall to device
	// administrator enrolled by IT with a DEM account (issue 17).
	kiosks := in("china", Population{Platform: "android", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 20, InUse: no()})
	if kiosks.Method.ID != "android-device-admin" || slices.ContainsFunc(kiosks.Warnings, func(w Warning) bool { return w.Severity == SevBlocker }) {
		t.Errorf("21Vianet has no Android Enterprise: Android kiosks → %s, want device administrator without a blocker:\n%s", kiosks.Method.ID, warningText(kiosks))
	}
	if phones := in("china", Population{Platform: "android", Ownership: OwnCorporate, Devices: 20}); phones.Method.ID != "android-device-admin" {
		t.Errorf("21Vianet: corporate Android phones → %s, want device administrator, the method left there", phones.Method.ID)
	}
}

// TestTenantCheckInThePlan: readings mark the prerequisites they settled,
// an answer that overrules a reading is said in words, and an Apple
// certificate or token that expires before the last wave starts is a
// rollout warning naming both dates (issue "Tenant readiness through
// Microsoft Graph", item 3).
func TestTenantCheckInThePlan(t *testing.T) {
	c := testCatalog(t)
	tn := fullTenant()
	tn.ManagedGooglePlay = yes() // the planner overrules the reading below
	a := answersFor(tn, false, Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10, InUse: no()},
		Population{Platform: "android", Ownership: OwnPersonal, Devices: 10})
	a.Rollout = Rollout{PilotStart: "2027-01-11", Waves: []Wave{{Name: "Wave 1", Group: "All", Start: "2027-03-01"}}}
	read := fullTenant()
	read.ManagedGooglePlay = no()
	a.TenantCheck = &TenantCheck{Schema: TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z", Tenant: read,
		Findings: []Finding{{ID: "apple-push-certificate", Status: FindingWarning, Title: "Apple MDM push certificate expires soon", Detail: "Expires on 20 Feb 2027, in 47 days."}},
		Expiries: []Expiry{{Kind: ExpiryApplePush, Name: "it@contoso.com", Date: "2027-02-20"}, {Kind: ExpiryADEToken, Name: "Contoso ABM", Date: "2027-06-01"}}}
	pl, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	if pl.TenantCheck == nil || len(pl.TenantCheck.Findings) != 1 {
		t.Fatalf("tenant check not in the plan: %+v", pl.TenantCheck)
	}
	o := pl.TenantCheck.Overruled
	if len(o) != 1 || o[0].Field != "managed_google_play" || !strings.Contains(o[0].Text, "the plan follows the answers") {
		t.Fatalf("overruled reading: %+v", o)
	}
	for _, pr := range pl.Prerequisites {
		switch pr.ID {
		case "apple-mdm-push-certificate":
			if pr.ReadAt == "" || !strings.Contains(pr.Detail, "Read from the tenant on 4 Jan 2027") {
				t.Errorf("a prerequisite the check settled says so: %+v", pr)
			}
		case "managed-google-play":
			if pr.ReadAt != "" || !strings.Contains(pr.Detail, "read “Managed Google Play") {
				t.Errorf("an overruled prerequisite says what was read: %q", pr.Detail)
			}
		}
	}
	var w []Warning
	for _, x := range pl.Rollout.Warnings {
		if strings.HasPrefix(x.ID, "expiry.") {
			w = append(w, x)
		}
	}
	if len(w) != 1 || !strings.Contains(w[0].Text, "20 Feb 2027") || !strings.Contains(w[0].Text, "1 Mar 2027") || !strings.Contains(w[0].Text, "same Apple account") {
		t.Fatalf("the push certificate expires before the last wave; the ADE token does not: %+v", w)
	}
}

func TestDecodeTenantCheck(t *testing.T) {
	good := `{"schema":"enrollplan.tenant/v1","read_at":"2027-01-04T09:30:00Z","tenant":{"mdm_authority":"intune","managed_google_play":false,"cloud":"gcc-high"},
	  "findings":[{"id":"mdm-authority","status":"ok","title":"MDM authority is Intune","detail":"","permission":""}],"expiries":[{"kind":"ade-token","name":"ABM","date":"2027-06-01"}]}`
	tc, err := DecodeTenantCheck([]byte(good))
	if err != nil || tc.Tenant.Cloud != "gcc-high" || len(tc.Findings) != 1 || tc.Tenant.ManagedGooglePlay == nil {
		t.Fatalf("good check: %+v, %v", tc, err)
	}
	for name, tc := range map[string]struct{ data, field, want string }{
		"answers instead of a check": {`{"schema":"enrollplan.answers/v1","organization":"x","populations":[]}`, "schema", "not a tenant check"},
		"not JSON":                   {`hello`, "answers", "not valid JSON"},
		"bad status":                 {`{"schema":"enrollplan.tenant/v1","findings":[{"id":"x","status":"great","title":"t"}]}`, "findings[0].status", `"great"`},
		"secret-looking extra field": {`{"schema":"enrollplan.tenant/v1","companyCodes":[{"enrollmentToken":"abc"}]}`, "companyCodes", "unknown field"},
		"bad date":                   {`{"schema":"enrollplan.tenant/v1","expiries":[{"kind":"ade-token","name":"a","date":"soon"}]}`, "expiries[0].date", "not a date"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeTenantCheck([]byte(tc.data))
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(ve.For(tc.field), tc.want) {
				t.Fatalf("want %q at %s, got %v", tc.want, tc.field, err)
			}
		})
	}
}

// TestTenantRestrictionsMeetThePlan: a restriction the tenant check read
// that refuses a planned population is a warning on that population.
func TestTenantRestrictionsMeetThePlan(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false,
		Population{ID: "byod-iphones", Platform: "ios", Ownership: OwnPersonal, Devices: 100},
		Population{ID: "corp-iphones", Platform: "ios", Ownership: OwnCorporate, Devices: 100, InUse: no()},
		Population{ID: "macs", Platform: "macos", Ownership: OwnCorporate, Devices: 10, InUse: no()},
		Population{ID: "mam-phones", Platform: "ios", Ownership: OwnPersonal, Devices: 10, Enroll: no()})
	a.TenantCheck = &TenantCheck{Schema: TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z", Tenant: fullTenant(),
		Restrictions: &Restrictions{Blocked: []string{"macos"}, PersonalBlocked: []string{"ios"}}}
	pl, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"byod-iphones": true, "corp-iphones": false, "macs": true, "mam-phones": false}
	for _, p := range pl.Populations {
		if got := hasWarning(p, "tenant.restricted", SevWarning); got != want[p.ID] {
			t.Errorf("%s: restriction warning %v, want %v:\n%s", p.ID, got, want[p.ID], warningText(p))
		}
	}
}
