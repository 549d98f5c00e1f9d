package plan

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// The pages the Apple facts of issue 17 come from, as checked on
// 2026-12-07 (each row names its page and ms.date; Apple's pages show none).
const (
	pageSharedIPad  = "https://learn.microsoft.com/intune/device-enrollment/apple/shared-ipad"                          // 2024-01-23
	pageIOSRestrict = "https://learn.microsoft.com/intune/device-configuration/templates/ref-device-restrictions-apple" // 2026-05-14
	pageLAPSMac     = "https://learn.microsoft.com/intune/device-security/laps/setup-macos"                             // 2026-04-01
	pageLaunch      = "https://learn.microsoft.com/intune/app-management/protection/configure-conditional-launch"       // 2025-01-16
	pageAppleMigB   = "https://support.apple.com/guide/business/axm3a49a769d/web"                                       // Apple, no date
)

func stepOf(p PopulationPlan, id string) *Step {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

func warningOf(p PopulationPlan, id string) *Warning {
	for i := range p.Warnings {
		if p.Warnings[i].ID == id {
			return &p.Warnings[i]
		}
	}
	return nil
}

func baselineOf(p *Plan, id string) *BaselineItem {
	for i := range p.Baseline {
		if p.Baseline[i].ID == id {
			return &p.Baseline[i]
		}
	}
	return nil
}

// stepIDs lists a population's steps as "actor:id".
func stepIDs(p PopulationPlan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Actor+":"+s.ID)
	}
	return out
}

func inCloud(cloud string) Tenant {
	t := fullTenant()
	t.Cloud = cloud
	return t
}

// TestAppleIssue17Facts has one row per Apple fact issue 17 added or
// changed: the answers that trigger it, and what the plan must and must not
// say, with the page and its date.
func TestAppleIssue17Facts(t *testing.T) {
	c := testCatalog(t)
	corp := func(platform, usage string) Population {
		return Population{ID: "p", Name: "Group", Platform: platform, Ownership: OwnCorporate, Usage: usage, Devices: 40, InUse: no(), ManagedBy: ManagedNone}
	}
	inUse := func(p Population) Population { p.InUse = yes(); return p }
	leaving := func(p Population) Population { p.InUse, p.ManagedBy = yes(), ManagedOtherMDM; return p }
	cases := []struct {
		name     string
		tenant   Tenant
		pop      Population
		baseline []string
		check    func(t *testing.T, p *Plan, pop PopulationPlan)
	}{
		{"shared-ipad 2024-01-23: no compliance policy and no email profile on Shared iPad, with the reason", fullTenant(), corp("ios", UsageShared), []string{"compliance", "email"},
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				for _, id := range []string{"compliance", "email"} {
					b := baselineOf(p, id)
					if b == nil || slices.Contains(b.AppliesTo, "p") || len(b.NotFor) != 1 || !strings.Contains(b.NotFor[0], "Shared iPad") {
						t.Errorf("%s must be left out of the Shared iPads with the reason: %+v", id, b)
					}
					if slices.Contains(pop.Baseline, b.Title) {
						t.Errorf("%s is still in the group's baseline", id)
					}
				}
				if !strings.Contains(baselineOf(p, "compliance").NotFor[0], "Conditional Access") {
					t.Error("the compliance reason must name the Conditional Access that locks people out")
				}
			}},
		{"shared-ipad 2024-01-23: kiosk iPads (ADE, no user) still take compliance: the exception is Shared iPad's alone", fullTenant(), corp("ios", UsageDedicated), []string{"compliance"},
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if b := baselineOf(p, "compliance"); !slices.Contains(b.AppliesTo, "p") {
					t.Errorf("compliance must apply to kiosk iPads: %+v", b)
				}
			}},
		{"shared-ipad 2024-01-23, setup-automated-ios 2026-04-15: Shared iPad is IT's to set up, users only sign in; device licences are a step", fullTenant(), inUse(corp("ios", UsageShared)), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				ids := stepIDs(pop)
				for _, want := range []string{"admin:ade.shared-federate", "admin:ade.profile-shared", "admin:ade.device-licences", "admin:ade.shared-start", "user:ade.shared-sign-in"} {
					if !slices.Contains(ids, want) {
						t.Errorf("missing %s in %v", want, ids)
					}
				}
				for _, s := range pop.Steps {
					if s.Actor == ActorUser && s.Kind == KindEnroll {
						t.Errorf("a user enrolls a Shared iPad: %s", s.ID)
					}
				}
				if s := stepOf(pop, "ade.profile-shared"); !strings.Contains(s.Detail, "Maximum cached users") || !strings.Contains(s.Detail, "temporary") {
					t.Errorf("the Shared iPad policy must set cached users and temporary sessions: %q", s.Detail)
				}
				if w := warningOf(pop, "ade.device-licence"); w != nil {
					t.Error("the device licence is a step now, not a note")
				}
			}},
		{"government-service 2026-06-04: GCC High can't federate Apple Business, so the Shared iPad step creates the accounts", inCloud("gcc-high"), corp("ios", UsageShared), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if stepOf(pop, "ade.shared-federate") != nil || stepOf(pop, "ade.shared-accounts-gov") == nil {
					t.Errorf("GCC High must create Managed Apple Accounts, not federate: %v", stepIDs(pop))
				}
				if pop.Method.Rule != "rec-ios-ade-shared-gov" || strings.Contains(pop.Method.Why, "federating Apple Business with Microsoft Entra ID creates") {
					t.Errorf("the recommendation must not offer federation in GCC High: %s: %q", pop.Method.Rule, pop.Method.Why)
				}
				if warningOf(pop, "ade.shared-federation-gov") != nil {
					t.Error("the correction note beside a commercial step must be gone")
				}
			}},
		{"china 2025-10-16: 21Vianet's page says nothing of Apple federation, so the step doesn't promise it", inCloud("china"), corp("ios", UsageShared), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if s := stepOf(pop, "ade.shared-accounts-china"); s == nil || !strings.Contains(s.Detail, "ask Apple") {
					t.Errorf("21Vianet needs its own account step: %v", stepIDs(pop))
				}
			}},
		{pageIOSRestrict + " 2026-05-14: one-app iPads are locked to their app by the Kiosk restriction, on supervised devices; IT turns them on", fullTenant(), corp("ios", UsageDedicated), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				s := stepOf(pop, "ade.kiosk")
				if s == nil || s.Actor != ActorAdmin || !strings.Contains(s.Detail, "App to run in kiosk mode") || !strings.Contains(s.Detail, "supervised") || !strings.Contains(s.Detail, "Autonomous Single App Mode") {
					t.Fatalf("kiosk step: %+v", s)
				}
				if s := stepOf(pop, "ade.userless-start"); s == nil || s.Actor != ActorAdmin {
					t.Errorf("IT turns the kiosks on: %+v", s)
				}
				if s := stepOf(pop, "ade.sdm-authenticator"); s == nil || s.Actor != ActorAdmin {
					t.Errorf("IT checks shared device mode before handing devices out: %+v", s)
				}
				if !slices.Contains(stepIDs(pop), "admin:ade.device-licences") {
					t.Error("kiosks need device licences")
				}
			}},
		{"shared-device-solutions-ios 2024-09-16: no shared device mode in GCC High (nor DoD, same service)", inCloud("dod"), corp("ios", UsageDedicated), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				for _, id := range []string{"ade.profile-userless", "ade.sdm-policies", "ade.sdm-authenticator"} {
					if stepOf(pop, id) != nil {
						t.Errorf("%s offers shared device mode in DoD", id)
					}
				}
				if stepOf(pop, "ade.profile-userless-gov") == nil || pop.Method.Rule != "rec-ios-ade-dedicated-gov" {
					t.Errorf("DoD needs the policy without shared mode: %s %v", pop.Method.Rule, stepIDs(pop))
				}
			}},
		{pageIOSRestrict + " 2026-05-14: Configurator's direct enrollment doesn't supervise, so kiosk mode can't lock the device", withABM(false), corp("ios", UsageDedicated), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if pop.Method.ID != "ios-configurator" || warningOf(pop, "acfg.kiosk-supervision") == nil {
					t.Errorf("%s: want the supervision warning", pop.Method.ID)
				}
			}},
		{pageLAPSMac + " 2026-04-01: Macs enrolled with profiles renew get no account settings and no macOS LAPS, and are told why", fullTenant(), inUse(corp("macos", UsageUser)), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if pop.FactoryReset.Required {
					t.Fatal("Macs in use in Apple Business enroll without a wipe")
				}
				for _, id := range []string{"made.account-settings", "made.user-setup"} {
					if stepOf(pop, id) != nil {
						t.Errorf("%s is for Setup Assistant, which Macs in use don't go through", id)
					}
				}
				if stepOf(pop, "made.existing") == nil {
					t.Errorf("profiles renew is how Macs in use enroll: %v", stepIDs(pop))
				}
				if warningOf(pop, "made.laps") != nil {
					t.Error("LAPS is recommended to Macs that can't get it")
				}
				if w := warningOf(pop, "made.no-accounts-in-use"); w == nil || !strings.Contains(w.Text, "LAPS") || !slices.Contains(w.Sources, pageLAPSMac) {
					t.Errorf("want the note that says why: %+v", w)
				}
			}},
		{pageLAPSMac + " 2026-04-01: new Macs set up the accounts and LAPS in Setup Assistant", fullTenant(), corp("macos", UsageUser), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if stepOf(pop, "made.account-settings") == nil || stepOf(pop, "made.user-setup") == nil || warningOf(pop, "made.laps") == nil || stepOf(pop, "made.existing") != nil {
					t.Errorf("new Macs: %v", stepIDs(pop))
				}
			}},
		{"limits-intune-entra 2024-10-14: ADE with user affinity counts against Intune's device limit as well as Entra's", fullTenant(), corp("ios", UsageUser), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				w := warningOf(pop, "ade.entra-device-limit")
				if w == nil || !strings.Contains(w.Text, "Intune's device limit restriction") || !strings.Contains(w.Text, "Microsoft Entra limit") || !slices.Contains(w.Sources, pageLimits) {
					t.Errorf("both limits, cited: %+v", w)
				}
			}},
		{"limits-intune-entra 2024-10-14: the same for Macs", fullTenant(), corp("macos", UsageUser), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if w := warningOf(pop, "made.entra-device-limit"); w == nil || !strings.Contains(w.Text, "Intune's device limit restriction") {
					t.Errorf("both limits: %+v", w)
				}
			}},
		{"ref-automated-authentication-methods 2025-06-09: MFA in Setup Assistant with modern authentication comes from Conditional Access, never phishing-resistant", fullTenant(), corp("ios", UsageUser), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				s := stepOf(pop, "ade.mfa")
				if s == nil || !strings.Contains(s.Detail, "Setup Assistant with modern authentication asks for multifactor authentication") || !strings.Contains(s.Detail, "phishing-resistant") {
					t.Errorf("MFA step: %+v", s)
				}
				if s := stepOf(pop, "ade.user-setup"); s == nil || !strings.Contains(s.Detail, "right after") && !strings.Contains(s.Detail, "and then, if Conditional Access requires it") {
					t.Errorf("the user's Setup Assistant step must say when MFA comes: %+v", s)
				}
			}},
		{pageAppleMigB + ": ADE devices leaving another MDM: which qualify, the migration step, its check, and the deadline warning", fullTenant(), leaving(corp("ios", UsageUser)), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				for _, want := range []string{"iOS/iPadOS 26", "ADE", "Apple Business Essentials", "30-day"} {
					if !strings.Contains(pop.FactoryReset.Why, want) {
						t.Errorf("the reset rule must say who qualifies (%s): %q", want, pop.FactoryReset.Why)
					}
				}
				if s := stepOf(pop, "ade.leave-old-mdm"); s == nil || s.Kind != KindLeaveMDM || !strings.Contains(s.Detail, "90 days") {
					t.Errorf("migration step: %+v", s)
				}
				if s := stepOf(pop, "ade.migration-status"); s == nil || s.Kind != KindVerify || !strings.Contains(s.Detail, "cancel") {
					t.Errorf("migration check: %+v", s)
				}
				w := warningOf(pop, "ade.migration-deadline")
				if w == nil || w.Severity != SevWarning || !strings.Contains(w.Text, "restarts and migrates") || !slices.Contains(w.Sources, pageAppleMigB) {
					t.Errorf("deadline warning: %+v", w)
				}
			}},
		{pageAppleMigB + ": Macs get the same rule, with the Mac's full-screen prompt at the deadline", fullTenant(), leaving(corp("macos", UsageUser)), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if w := warningOf(pop, "made.migration-deadline"); w == nil || !strings.Contains(w.Text, "full-screen prompt") {
					t.Errorf("deadline warning: %+v", w)
				}
				if stepOf(pop, "made.migration-status") == nil {
					t.Error("missing the migration check")
				}
			}},
		{"no other MDM: no migration rule", fullTenant(), inUse(corp("ios", UsageUser)), nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if warningOf(pop, "ade.migration-deadline") != nil || stepOf(pop, "ade.leave-old-mdm") != nil {
					t.Error("devices no other MDM manages don't migrate")
				}
			}},
		{pageLaunch + " 2025-01-16: the personal iPhone's OS floor is a conditional launch setting, not an IT check", fullTenant(), Population{ID: "p", Platform: "ios", Ownership: OwnPersonal, Devices: 40, Enroll: no()}, nil,
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				s := stepOf(pop, "mam-we.min-os-ios")
				if s == nil || !strings.Contains(s.Detail, "Conditional launch") || !strings.Contains(s.Detail, "Min OS version 17.0") || !strings.Contains(s.Detail, "Block access") || !slices.Contains(s.Sources, pageLaunch) {
					t.Fatalf("conditional launch step: %+v", s)
				}
				for _, st := range pop.Steps {
					if strings.HasPrefix(st.Title, "Confirm") {
						t.Errorf("IT is still asked to confirm: %q", st.Title)
					}
				}
				if !strings.Contains(s.Detail, "App protection without enrollment (MAM-WE)") {
					t.Error("the full name comes first, the short form once")
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := answersFor(tc.tenant, false, tc.pop)
			a.Baseline = tc.baseline
			p, err := c.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p, p.Populations[0])
		})
	}
}

func withABM(v bool) Tenant {
	t := fullTenant()
	t.AppleBusinessManager = &v
	return t
}

// TestAppleMigrationDeadline: the deadline of Apple's migration (at most 90
// days ahead, Apple Business User Guide) held against the dates of each wave
// that moves the group's devices: after the wave's start, no later than 90
// days on or the day before the group's next wave.
func TestAppleMigrationDeadline(t *testing.T) {
	c := testCatalog(t)
	pop := Population{ID: "leavers", Name: "Leavers", Platform: "ios", Ownership: OwnCorporate, Devices: 300, InUse: yes(), ManagedBy: ManagedOtherMDM}
	other := Population{ID: "others", Name: "Others", Platform: "windows", Ownership: OwnCorporate, Devices: 50, InUse: yes(), ManagedBy: ManagedNone}
	cases := []struct {
		name       string
		rollout    Rollout
		want, bans []string
	}{
		{"pilot then a wave a month later: the pilot's deadline ends the day before the wave",
			Rollout{PilotStart: "2027-02-01", Waves: []Wave{{Name: "Wave 1", Group: "w1", Start: "2027-03-01"}}},
			[]string{"the pilot (from 1 Feb 2027) after 1 Feb 2027 and no later than 28 Feb 2027, the day before the next wave of these devices starts", "of the wave of 1 Mar 2027 after 1 Mar 2027 and no later than 30 May 2027, 90 days after"}, nil},
		{"a wave that doesn't move this group's devices doesn't shorten its window",
			Rollout{PilotStart: "2027-02-01", Waves: []Wave{{Name: "Windows wave", Group: "w1", Start: "2027-02-10", Populations: []string{"others"}}, {Name: "iPhone wave", Group: "w2", Start: "2027-06-01", Populations: []string{"leavers"}}}},
			[]string{"the pilot (from 1 Feb 2027) after 1 Feb 2027 and no later than 2 May 2027, 90 days after", "the wave of 1 Jun 2027 after 1 Jun 2027"}, []string{"10 Feb 2027"}},
		{"a next wave the very next day leaves no room: the 90 days stand",
			Rollout{PilotStart: "2027-02-01", Waves: []Wave{{Name: "Wave 1", Group: "w1", Start: "2027-02-02"}}},
			[]string{"the pilot (from 1 Feb 2027) after 1 Feb 2027 and no later than 2 May 2027, 90 days after"}, nil},
		{"the wave's name, which a planner types, never reaches the warning (renderers don't escape warning text)",
			Rollout{PilotStart: "2027-02-01", Waves: []Wave{{Name: "[click](https://evil.example)", Group: "w1", Start: "2027-03-01"}}},
			[]string{"the wave of 1 Mar 2027"}, []string{"evil", "click"}},
		{"no dates: the plan says what to do without naming days",
			Rollout{Waves: []Wave{{Name: "Wave 1", Group: "w1"}, {Name: "Wave 2", Group: "w2"}}},
			[]string{"3 of their waves have no start date yet", "no more than 90 days after the day you move its devices"}, []string{"For these devices"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := answersFor(fullTenant(), false, pop, other)
			a.Rollout = tc.rollout
			p, err := c.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			w := warningOf(p.Populations[0], "ade.migration-deadline")
			if w == nil {
				t.Fatal("no deadline warning")
			}
			for _, s := range tc.want {
				if !strings.Contains(w.Text, s) {
					t.Errorf("missing %q in\n%s", s, w.Text)
				}
			}
			for _, s := range tc.bans {
				if strings.Contains(w.Text, s) {
					t.Errorf("must not say %q:\n%s", s, w.Text)
				}
			}
			if warningOf(p.Populations[1], "ade.migration-deadline") != nil {
				t.Error("the Windows group got an Apple deadline")
			}
		})
	}
}

// TestCloudAppleStepsNoCommercialOnly builds, for GCC High, DoD and
// 21Vianet, a plan with every kind of Apple group and checks every step (and
// the reason given for each method) for the commercial service's addresses,
// where the cloud has its own (endpoints-us-government 2025-12-15,
// endpoints-china 2025-06-09, setup-account-driven-user 2025-06-12), and for
// what the cloud lacks: Apple Business federation and Microsoft Entra shared
// device mode in GCC High and DoD (government-service 2026-06-04,
// shared-device-solutions-ios 2024-09-16).
func TestCloudAppleStepsNoCommercialOnly(t *testing.T) {
	c := testCatalog(t)
	commercial := []string{"manage.microsoft.com", "intune.microsoft.com", "login.microsoftonline.com"}
	lacks := map[string][]string{
		"gcc-high": {"Federate Apple Business", "turn on federated authentication", "federating Apple Business with Microsoft Entra ID creates", "best by federating", "Enable shared device mode", "shared device mode, open Authenticator", "Enroll with Microsoft Entra ID shared mode where"},
		"dod":      nil,
		"china":    {"Federate Apple Business", "turn on federated authentication"},
	}
	lacks["dod"] = lacks["gcc-high"]
	var pops []Population
	add := func(p Population) {
		p.ID = fmt.Sprintf("g%d", len(pops)+1)
		pops = append(pops, p)
	}
	for _, platform := range []string{"ios", "macos"} {
		for _, usage := range Usages {
			for _, mb := range []string{ManagedNone, ManagedOtherMDM} {
				for _, used := range []*bool{yes(), no()} {
					add(Population{Platform: platform, Ownership: OwnCorporate, Usage: usage, Devices: 20, InUse: used, ManagedBy: mb})
				}
			}
		}
		add(Population{Platform: platform, Ownership: OwnPersonal, Devices: 20})
	}
	add(Population{Platform: "ios", Ownership: OwnPersonal, Devices: 20, Method: "ios-device-enrollment"})
	add(Population{Platform: "ios", Ownership: OwnPersonal, Devices: 20, Enroll: no()})
	add(Population{Platform: "ios", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 20, Method: "ios-configurator"})
	for cloud, banned := range lacks {
		t.Run(cloud, func(t *testing.T) {
			p, err := c.Build(answersFor(inCloud(cloud), false, pops...))
			if err != nil {
				t.Fatal(err)
			}
			check := func(where, text string) {
				for _, s := range append(slices.Clone(commercial), banned...) {
					if strings.Contains(text, s) {
						t.Errorf("%s names %q in %s:\n%s", where, s, cloud, text)
					}
				}
			}
			for _, pop := range p.Populations {
				for _, s := range pop.Steps {
					check(pop.ID+" step "+s.ID, s.Title+"\n"+s.Detail)
				}
				check(pop.ID+" method "+pop.Method.Rule, pop.Method.Why)
			}
			for _, s := range p.Rollout.Steps {
				check("rollout step "+s.ID, s.Title+"\n"+s.Detail)
			}
		})
	}
}

// TestBaselineExceptionConditionChecked: a baseline exception's condition
// (Shared iPad's, here) is validated at load like every other condition.
func TestBaselineExceptionConditionChecked(t *testing.T) {
	m := fstest.MapFS{}
	names, _ := fs.Glob(catalogFS, "catalog/*.json")
	for _, n := range names {
		data, _ := fs.ReadFile(catalogFS, n)
		if strings.HasSuffix(n, "tenant.json") {
			old := `{"id": "ios-ade", "when": {"usage": ["shared"]}, "text": "Email profiles`
			if !strings.Contains(string(data), old) {
				t.Fatal("the Shared iPad exception of the email baseline is gone")
			}
			data = []byte(strings.Replace(string(data), old, `{"id": "ios-ade", "when": {"usage": ["shared-ipad"]}, "text": "Email profiles`, 1))
		}
		m[strings.TrimPrefix(n, "catalog/")] = &fstest.MapFile{Data: data}
	}
	_, err := LoadFS(m)
	if err == nil || !strings.Contains(err.Error(), `baseline email except ios-ade`) || !strings.Contains(err.Error(), `unknown usage "shared-ipad"`) {
		t.Fatalf("want the bad condition named, got %v", err)
	}
}

// TestStepTitlesDoNotNameTheirActor: the renderers put the actor before a
// step's title ("IT: Turn on …"), so a title that names it again reads
// "IT: IT: turn on …".
func TestStepTitlesDoNotNameTheirActor(t *testing.T) {
	c := testCatalog(t)
	for _, m := range c.Methods {
		for _, list := range [][]StepDef{m.AdminSteps, m.UserSteps} {
			for _, s := range list {
				for _, who := range []string{"IT:", "IT ", "Users:", "User:", "Admin:"} {
					if strings.HasPrefix(s.Title, who) {
						t.Errorf("%s: step %s title %q starts with its actor", m.ID, s.ID, s.Title)
					}
				}
			}
		}
	}
}
