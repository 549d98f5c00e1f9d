package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The pages the Windows facts of issue 17 come from, as re-read on
// 2026-12-07, with each page's ms.date.
const (
	w17Guide    = "https://learn.microsoft.com/intune/device-enrollment/windows/guide"                                   // 2024-02-28
	w17Kiosk    = "https://learn.microsoft.com/intune/device-configuration/templates/configure-kiosk"                    // 2026-02-10
	w17Shared   = "https://learn.microsoft.com/intune/device-configuration/templates/configure-shared-device"            // 2024-04-22
	w17Licences = "https://learn.microsoft.com/intune/fundamentals/assign-licenses"                                      // 2025-01-24
	w17Backup   = "https://learn.microsoft.com/intune/device-enrollment/windows/enable-backup-restore"                   // 2025-11-21
	w17AutoMDM  = "https://learn.microsoft.com/intune/device-enrollment/windows/enable-automatic-mdm"                    // 2026-03-06
	w17CNAME    = "https://learn.microsoft.com/intune/device-enrollment/windows/create-cname-autodiscovery"              // 2025-11-21
	w17Switch   = "https://learn.microsoft.com/intune/configmgr/comanage/how-to-switch-workloads"                        // 2021-10-05
	w17Surface  = "https://learn.microsoft.com/surface/surface-autopilot-registration-support"                           // 2022-08-15
	w17Consent  = "https://learn.microsoft.com/autopilot/registration-auth"                                              // 2025-06-13
	w17Enable   = "https://learn.microsoft.com/intune/configmgr/comanage/how-to-enable"                                  // 2025-08-29
	w17SelfDep  = "https://learn.microsoft.com/autopilot/self-deploying"                                                 // 2024-09-13
	w17WinMAM   = "https://learn.microsoft.com/intune/app-management/protection/enable-mam-windows"                      // 2025-10-02
	w17KioskRef = "https://learn.microsoft.com/intune/device-configuration/templates/ref-kiosk-settings-windows"         // 2025-02-20
	w17ShRef    = "https://learn.microsoft.com/intune/device-configuration/templates/ref-shared-device-settings-windows" // 2025-04-28
)

// TestWindowsIssue17Facts has one row per Windows fact issue 17 added or
// changed: the answers that trigger it, what the plan must and must not say,
// and the page with its date.
func TestWindowsIssue17Facts(t *testing.T) {
	c := testCatalog(t)
	pc := func(usage string, inUse bool) Population {
		u := no()
		if inUse {
			u = yes()
		}
		return Population{ID: "p", Name: "PCs", Platform: "windows", Ownership: OwnCorporate, Usage: usage, Devices: 600, InUse: u, ManagedBy: ManagedNone}
	}
	with := func(p Population, f func(*Population)) Population { f(&p); return p }
	configMgr := func(cloud string) Tenant { tn := inCloud(cloud); tn.ConfigMgr = yes(); return tn }
	has := func(t *testing.T, pop PopulationPlan, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if !slices.Contains(stepIDs(pop), id) {
				t.Errorf("missing %s in %v", id, stepIDs(pop))
			}
		}
	}
	hasNot := func(t *testing.T, pop PopulationPlan, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if stepOf(pop, id) != nil {
				t.Errorf("%s must not be in %v", id, stepIDs(pop))
			}
		}
	}
	says := func(t *testing.T, what, text string, words ...string) {
		t.Helper()
		for _, w := range words {
			if !strings.Contains(text, w) {
				t.Errorf("%s must say %q:\n%s", what, w, text)
			}
		}
	}
	cites := func(t *testing.T, s *Step, url string) {
		t.Helper()
		if s == nil || !slices.Contains(s.Sources, url) {
			t.Errorf("step must cite %s: %+v", url, s)
		}
	}
	cases := []struct {
		name   string
		tenant Tenant
		pop    Population
		check  func(t *testing.T, pop PopulationPlan)
	}{
		{"guide 2024-02-28: kiosks already in use take automatic enrollment, not a wipe for Autopilot; IT joins them, the kiosk profile and device licences are steps", fullTenant(), pc(UsageDedicated, true),
			func(t *testing.T, pop PopulationPlan) {
				if pop.Method.ID != "windows-auto-enrollment" || pop.Method.Rule != "rec-windows-kiosk-in-use" || pop.FactoryReset.Required {
					t.Fatalf("in-use kiosks → %s (%s), reset %v; want automatic enrollment without a reset", pop.Method.ID, pop.Method.Rule, pop.FactoryReset.Required)
				}
				says(t, "the reason", pop.Method.Why, "recommends automatic enrollment", "kiosk")
				if !slices.Contains(pop.Method.Sources, w17Guide) {
					t.Errorf("the reason must cite the guide: %v", pop.Method.Sources)
				}
				has(t, pop, "admin:auto.kiosk", "admin:auto.device-licences", "admin:auto.shared")
				hasNot(t, pop, "factory-reset", "auto.shared-pc", "auto.tell-users")
				for _, s := range pop.Steps {
					if s.Actor == ActorUser {
						t.Errorf("a kiosk has no user to do %s", s.ID)
					}
				}
			}},
		{"guide 2024-02-28: the same in GCC High, where Autopilot isn't offered", inCloud("gcc-high"), pc(UsageDedicated, true),
			func(t *testing.T, pop PopulationPlan) {
				if pop.Method.ID != "windows-auto-enrollment" || pop.FactoryReset.Required {
					t.Fatalf("→ %s, reset %v", pop.Method.ID, pop.FactoryReset.Required)
				}
				has(t, pop, "admin:auto.restriction-no-autopilot")
				hasNot(t, pop, "auto.restriction")
			}},
		{w17Kiosk + " 2026-02-10, " + w17KioskRef + " 2025-02-20: the kiosk step says how, with Assigned Access and the Windows 11 multi-app limit", fullTenant(), pc(UsageDedicated, true),
			func(t *testing.T, pop PopulationPlan) {
				s := stepOf(pop, "auto.kiosk")
				if s == nil || s.Kind != KindTenant {
					t.Fatalf("kiosk step: %+v", s)
				}
				says(t, "the kiosk step", s.Detail, "Templates > Kiosk", "Single app, full-screen kiosk", "Assigned Access", "Windows 10 only", "local Administrators")
				cites(t, s, w17Kiosk)
				cites(t, s, w17KioskRef)
			}},
		{"guide 2024-02-28, " + w17Shared + " 2024-04-22: 600 shift-worked nursing PCs in use get a shared multi-user device profile and a licence step, not a ticked item", fullTenant(), with(pc(UsageShared, true), func(p *Population) { p.Name = "Nursing PCs" }),
			func(t *testing.T, pop PopulationPlan) {
				if pop.Method.ID != "windows-auto-enrollment" || pop.FactoryReset.Required {
					t.Fatalf("→ %s, reset %v", pop.Method.ID, pop.FactoryReset.Required)
				}
				has(t, pop, "admin:auto.shared-pc", "admin:auto.shared-licences", "admin:auto.shared")
				hasNot(t, pop, "auto.kiosk", "auto.device-licences")
				s := stepOf(pop, "auto.shared-pc")
				says(t, "the shared-PC step", s.Detail, "Shared multi-user device", "Shared PC mode", "one person signs in at a time", "Account management", "device group")
				cites(t, s, w17Shared)
				cites(t, s, w17ShRef)
				l := stepOf(pop, "auto.shared-licences")
				says(t, "the licence step", l.Detail, "device licence", "every person who signs in", "Conditional Access")
				cites(t, l, w17Licences)
			}},
		{w17SelfDep + " 2024-09-13: new shared PCs on self-deploying Autopilot get the shared profile and licences, and IT starts them", fullTenant(), pc(UsageShared, false),
			func(t *testing.T, pop PopulationPlan) {
				if pop.Method.ID != "windows-autopilot" {
					t.Fatalf("→ %s", pop.Method.ID)
				}
				has(t, pop, "admin:ap.shared-pc", "admin:ap.shared-licences", "admin:ap.self-start")
				hasNot(t, pop, "user:ap.self-start", "ap.kiosk", "ap.backup-restore")
				says(t, "the start step", stepOf(pop, "ap.self-start").Detail, "IT staff", "nobody signs in")
			}},
		{"licensing 2026-05-13: kiosks on self-deploying Autopilot get the kiosk profile and a device licence each", fullTenant(), pc(UsageDedicated, false),
			func(t *testing.T, pop PopulationPlan) {
				if pop.Method.ID != "windows-autopilot" {
					t.Fatalf("new kiosks, enrolled by IT staff by default → %s, want self-deploying Autopilot (S6 2024-02-28, A-SELF)", pop.Method.ID)
				}
				has(t, pop, "admin:ap.kiosk", "admin:ap.device-licences", "admin:ap.self-start")
				says(t, "the licence step", stepOf(pop, "ap.device-licences").Detail, "device licence", "Self-deploying Autopilot")
			}},
		{"create-bulk-package 2025-09-29: new kiosks from a provisioning package get the kiosk profile and licences too", fullTenant(), with(pc(UsageDedicated, false), func(p *Population) { p.Method = "windows-bulk" }),
			func(t *testing.T, pop PopulationPlan) {
				if pop.Method.ID != "windows-bulk" {
					t.Fatalf("→ %s, want the provisioning package", pop.Method.ID)
				}
				has(t, pop, "admin:bulk.kiosk", "admin:bulk.device-licences", "admin:bulk.apply")
			}},
		{"workloads 2025-05-12: co-managed kiosks get their kiosk profile once device configuration moves to Intune", configMgr("global"), with(pc(UsageDedicated, true), func(p *Population) { p.ManagedBy = ManagedConfigMgr }),
			func(t *testing.T, pop PopulationPlan) {
				if pop.Method.ID != "windows-co-management" {
					t.Fatalf("→ %s", pop.Method.ID)
				}
				has(t, pop, "admin:comgmt.kiosk")
				says(t, "the kiosk step", stepOf(pop, "comgmt.kiosk").Detail, "Device configuration workload")
			}},
		{w17Switch + " 2021-10-05, " + w17Enable + " 2025-08-29: co-management is enabled, checked, then workloads move; their Intune policies are built first", configMgr("global"), with(pc(UsageUser, true), func(p *Population) { p.ManagedBy = ManagedConfigMgr }),
			func(t *testing.T, pop PopulationPlan) {
				want := []string{"comgmt.workload-policies", "comgmt.enable", "comgmt.monitor", "comgmt.workloads"}
				var got []string
				for _, s := range pop.Steps {
					if slices.Contains(want, s.ID) {
						got = append(got, s.ID)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("order %v, want %v", got, want)
				}
				says(t, "the enable step", stepOf(pop, "comgmt.enable").Detail, "Azure public cloud", "Don't move workloads in this wizard")
				says(t, "the workloads step", stepOf(pop, "comgmt.workloads").Detail, "Pilot Intune", "Staging")
				cites(t, stepOf(pop, "comgmt.workloads"), w17Switch)
			}},
		{w17Enable + " 2025-08-29: in GCC High the wizard's environment is the US Government cloud, and nothing offers Autopilot into co-management or tenant attach", configMgr("gcc-high"), with(pc(UsageUser, true), func(p *Population) { p.ManagedBy = ManagedConfigMgr }),
			func(t *testing.T, pop PopulationPlan) {
				has(t, pop, "admin:comgmt.enable-gov")
				hasNot(t, pop, "comgmt.enable", "comgmt.autopilot")
				says(t, "the enable step", stepOf(pop, "comgmt.enable-gov").Detail, "Azure US Government cloud")
				if warningOf(pop, "comgmt.tenant-attach") != nil || warningOf(pop, "comgmt.autopilot-limits") != nil {
					t.Error("GCC High is told about features it lacks")
				}
			}},
		{"china 2025-10-16: 21Vianet enables co-management without tenant attach", configMgr("china"), with(pc(UsageUser, true), func(p *Population) { p.ManagedBy = ManagedConfigMgr }),
			func(t *testing.T, pop PopulationPlan) {
				has(t, pop, "admin:comgmt.enable-china")
				if warningOf(pop, "comgmt.tenant-attach") != nil {
					t.Error("21Vianet has no tenant attach")
				}
			}},
		{w17AutoMDM + " 2026-03-06: Windows app protection turns on \"Disable MDM enrollment when adding work or school account\", with plain names", fullTenant(), Population{ID: "p", Platform: "windows", Ownership: OwnPersonal, Devices: 50, Enroll: no()},
			func(t *testing.T, pop PopulationPlan) {
				s := stepOf(pop, "mam-we.windows-no-mdm-prompt")
				if s == nil || s.Actor != ActorAdmin {
					t.Fatalf("missing the setting: %v", stepIDs(pop))
				}
				says(t, "the setting step", s.Title, "Disable MDM enrollment when adding work or school account")
				says(t, "the setting step", s.Detail, "Automatic Enrollment", "Microsoft Edge", "Access work or school", "preview")
				cites(t, s, w17AutoMDM)
				for _, short := range []string{"MAM", "MDM"} {
					first := strings.Index(s.Detail, short)
					if long := strings.Index(s.Detail, "("+short+")"); long < 0 || first < long+1 {
						t.Errorf("%s is used before its full name in: %s", short, s.Detail)
					}
				}
			}},
		{w17AutoMDM + " 2026-03-06: the setting is Windows only", fullTenant(), Population{ID: "p", Platform: "ios", Ownership: OwnPersonal, Devices: 50, Enroll: no()},
			func(t *testing.T, pop PopulationPlan) {
				hasNot(t, pop, "mam-we.windows-no-mdm-prompt")
			}},
		{w17AutoMDM + " 2026-03-06: personal PCs that enroll are no longer told to leave it off (it would contradict Windows app protection)", fullTenant(), Population{ID: "p", Platform: "windows", Ownership: OwnPersonal, Devices: 50},
			func(t *testing.T, pop PopulationPlan) {
				w := warningOf(pop, "byod.mdm-prompt")
				if w == nil || strings.Contains(w.Text, "Leave it off") || !strings.Contains(w.Text, "Access work or school") {
					t.Errorf("the note must send these PCs to Settings, not forbid the setting: %+v", w)
				}
			}},
		{w17Backup + " 2025-11-21: a Windows group reset for Autopilot gets Windows Backup for Organizations, with its limits", fullTenant(), with(pc(UsageUser, true), func(p *Population) { p.Method = "windows-autopilot"; p.Devices = 80 }),
			func(t *testing.T, pop PopulationPlan) {
				if !pop.FactoryReset.Required {
					t.Fatal("PCs in use reach Autopilot only after a reset")
				}
				s := stepOf(pop, "ap.backup-restore")
				if s == nil {
					t.Fatalf("missing the backup step: %v", stepIDs(pop))
				}
				says(t, "the backup step", s.Detail, "Enable Windows backup", "Show restore page", "user-driven", "Windows 11 22H2", "not their files", "shared or userless")
				cites(t, s, w17Backup)
			}},
		{w17Backup + " 2025-11-21: no Windows Backup for Organizations in GCC (the page says 'Government cloud'), GCC High or 21Vianet", inCloud("gcc"), with(pc(UsageUser, true), func(p *Population) { p.Method = "windows-autopilot" }),
			func(t *testing.T, pop PopulationPlan) {
				hasNot(t, pop, "ap.backup-restore")
			}},
		{w17Backup + " 2025-11-21: none for new PCs, which aren't reset", fullTenant(), with(pc(UsageUser, false), func(p *Population) { p.Method = "windows-autopilot" }),
			func(t *testing.T, pop PopulationPlan) {
				hasNot(t, pop, "ap.backup-restore")
			}},
		{w17CNAME + " 2025-11-21: the commercial CNAME step keeps the commercial target", fullTenant(), Population{ID: "p", Platform: "windows", Ownership: OwnPersonal, Devices: 50},
			func(t *testing.T, pop PopulationPlan) {
				has(t, pop, "admin:byod.cname", "user:byod.connect")
				says(t, "the CNAME step", stepOf(pop, "byod.cname").Detail, "EnterpriseEnrollment-s.manage.microsoft.com")
			}},
		{w17CNAME + " 2025-11-21: GCC High's step gives its own target and server name, and no note corrects a commercial step", inCloud("gcc-high"), Population{ID: "p", Platform: "windows", Ownership: OwnPersonal, Devices: 50},
			func(t *testing.T, pop PopulationPlan) {
				has(t, pop, "admin:byod.cname-gov", "user:byod.connect-sovereign")
				hasNot(t, pop, "byod.cname", "byod.connect")
				s := stepOf(pop, "byod.cname-gov")
				says(t, "the CNAME step", s.Detail, "EnterpriseEnrollment-s.manage.microsoft.us", "enrollment.manage.microsoft.us", "intune.microsoft.us")
				cites(t, s, w17CNAME)
				if w := warningOf(pop, "cloud.windows-byod-us-gov"); w == nil || strings.Contains(w.Text, "CNAME") {
					t.Errorf("the cloud note must keep only what no step says: %+v", w)
				}
			}},
		{w17CNAME + " 2025-11-21: 21Vianet's step gives its own target", inCloud("china"), Population{ID: "p", Platform: "windows", Ownership: OwnPersonal, Devices: 50},
			func(t *testing.T, pop PopulationPlan) {
				has(t, pop, "admin:byod.cname-china")
				says(t, "the CNAME step", stepOf(pop, "byod.cname-china").Detail, "enterpriseenrollment-s.manage.microsoftonline.cn")
				if w := warningOf(pop, "cloud.windows-byod-china"); w == nil || strings.Contains(w.Text, "CNAME") {
					t.Errorf("the cloud note must keep only what no step says: %+v", w)
				}
			}},
		{w17Surface + " 2022-08-15: Surface PCs get Microsoft Support's registration path", fullTenant(), with(pc(UsageUser, false), func(p *Population) { p.Method = "windows-autopilot"; p.Manufacturer = "Microsoft Surface" }),
			func(t *testing.T, pop PopulationPlan) {
				s := stepOf(pop, "ap.register-surface")
				if s == nil || s.Kind != KindDevicePrep {
					t.Fatalf("missing the Surface path: %v", stepIDs(pop))
				}
				says(t, "the Surface step", s.Detail, "Microsoft Support", "invoice", "serial number")
				cites(t, s, w17Surface)
			}},
		{w17Surface + ": other makers, or none named, don't get the Surface path", fullTenant(), with(pc(UsageUser, false), func(p *Population) { p.Method = "windows-autopilot"; p.Manufacturer = "Dell" }),
			func(t *testing.T, pop PopulationPlan) {
				hasNot(t, pop, "ap.register-surface")
				has(t, pop, "admin:ap.register", "admin:ap.partner-consent")
				cites(t, stepOf(pop, "ap.partner-consent"), w17Consent)
			}},
		{"government-service 2026-06-04: hybrid-joined PCs in DoD aren't sent to Autopilot for new devices", inCloud("dod"), with(pc(UsageUser, true), func(p *Population) { p.Method = "windows-hybrid-join" }),
			func(t *testing.T, pop PopulationPlan) {
				if warningOf(pop, "hybrid.new-devices") != nil || warningOf(pop, "hybrid.new-devices-no-autopilot") == nil {
					t.Errorf("DoD must get the note without Autopilot:\n%s", warningText(pop))
				}
			}},
		{w17WinMAM + " 2025-10-02: Windows MAM is offered in the US government clouds, the setting with it", inCloud("gcc-high"), Population{ID: "p", Platform: "windows", Ownership: OwnPersonal, Devices: 50, Enroll: no()},
			func(t *testing.T, pop PopulationPlan) {
				has(t, pop, "admin:mam-we.windows-no-mdm-prompt")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Build(answersFor(tc.tenant, false, tc.pop))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p.Populations[0])
		})
	}
}

// TestCloudWindowsStepsNoCommercialOnly builds, for GCC High, DoD and
// 21Vianet, a plan with every kind of Windows group (and every Windows method
// the cloud offers, chosen outright) and checks every step, the reason for
// each method and each method's notes for the commercial service's
// addresses, where the cloud has its own (create-cname-autodiscovery
// 2025-11-21, endpoints-us-government 2025-12-15, endpoints-china
// 2025-06-09), and for what the cloud lacks: Windows Autopilot with
// self-deploying, existing devices and Autopilot into co-management
// (government-service 2026-06-04, china 2025-10-16), Windows Backup for
// Organizations (enable-backup-restore 2025-11-21), and tenant attach in
// 21Vianet (china 2025-10-16).
func TestCloudWindowsStepsNoCommercialOnly(t *testing.T) {
	c := testCatalog(t)
	commercial := []string{"manage.microsoft.com", "intune.microsoft.com", "login.microsoftonline.com", "admin.microsoft.com", "ztd.dds.microsoft.com", "microsoftaik.azure.net"}
	// In steps these name something to do; availability notes may still
	// say that the cloud lacks them.
	lacksInSteps := []string{"Windows Backup", "Show restore page", "self-deploying", "Self-deploying", "hardware hash", "Autopilot for existing devices", "deployment profile",
		"into co-management with Autopilot", "registered in Autopilot", "registered in Windows Autopilot"}
	lacksInNotes := []string{"Entra join with Autopilot", "tenant attach uploads", "Autopilot into co-management doesn't support"}
	lacksInReasons := []string{"Use self-deploying Autopilot", "Self-deploying Autopilot also"}
	extra := map[string][]string{"china": {"windows.net", "manage.microsoft.us"}, "gcc-high": {"microsoftonline.cn"}, "dod": {"microsoftonline.cn"}}

	var pops []Population
	add := func(p Population) {
		p.ID = fmt.Sprintf("g%d", len(pops)+1)
		p.Platform = "windows"
		if p.Devices == 0 {
			p.Devices = 20
		}
		pops = append(pops, p)
	}
	for _, usage := range Usages {
		for _, mb := range []string{ManagedNone, ManagedOtherMDM, ManagedConfigMgr} {
			for _, used := range []*bool{yes(), no()} {
				if mb != ManagedNone && !*used {
					continue
				}
				for _, by := range []string{EnrolledByUser, EnrolledByIT} {
					add(Population{Ownership: OwnCorporate, Usage: usage, InUse: used, ManagedBy: mb, EnrolledBy: by})
				}
			}
		}
	}
	add(Population{Ownership: OwnPersonal})
	add(Population{Ownership: OwnPersonal, Enroll: no()})
	add(Population{Ownership: OwnCorporate, Usage: UsageUser, InUse: yes(), ManagedBy: ManagedNone, Manufacturer: "Microsoft Surface"})

	for _, cloud := range []string{"gcc-high", "dod", "china"} {
		t.Run(cloud, func(t *testing.T) {
			all := slices.Clone(pops)
			for _, m := range c.MethodsFor("windows") {
				if avs := c.unavailable(cloud, m.ID); len(avs) > 0 && avs[0].Severity == SevBlocker {
					continue
				}
				p := Population{ID: "m-" + m.ID, Platform: "windows", Ownership: m.Ownership[0], Usage: m.Usage[0], Devices: 20, InUse: yes(), ManagedBy: ManagedNone, Method: m.ID}
				switch {
				case m.ID == MethodMAMWE:
					p.Ownership, p.Usage, p.Enroll = OwnPersonal, "", no()
				case m.ID == "windows-co-management":
					p.ManagedBy = ManagedConfigMgr
				}
				all = append(all, p)
			}
			tn := inCloud(cloud)
			tn.ConfigMgr = yes()
			p, err := c.Build(answersFor(tn, false, all...))
			if err != nil {
				t.Fatal(err)
			}
			check := func(where, text string, banned ...[]string) {
				for _, list := range banned {
					for _, s := range list {
						if strings.Contains(text, s) {
							t.Errorf("%s names %q in %s:\n%s", where, s, cloud, text)
						}
					}
				}
			}
			steps := 0
			for _, pop := range p.Populations {
				if pop.Platform != "windows" {
					continue
				}
				for _, s := range pop.Steps {
					steps++
					check(pop.ID+" ("+pop.Method.ID+") step "+s.ID, s.Title+"\n"+s.Detail, commercial, extra[cloud], lacksInSteps)
				}
				check(pop.ID+" method "+pop.Method.Rule, pop.Method.Why, commercial, extra[cloud])
				for _, w := range pop.Warnings {
					if !strings.HasPrefix(w.ID, "cloud.") {
						check(pop.ID+" ("+pop.Method.ID+") note "+w.ID, w.Text, commercial, extra[cloud], lacksInNotes)
					}
				}
				for _, a := range append(slices.Clone(pop.Alternatives), pop.Unsuitable...) {
					check(pop.ID+" ("+pop.Method.ID+") alternative "+a.ID, a.WhyNot, commercial, extra[cloud], lacksInReasons)
				}
			}
			for _, s := range p.Rollout.Steps {
				check("rollout step "+s.ID, s.Title+"\n"+s.Detail, commercial, extra[cloud])
			}
			if steps < 200 {
				t.Errorf("only %d steps checked: the plan lost its groups", steps)
			}
		})
	}
}

// TestWindowsIssue17PlainNames: the Windows texts issue 17 wrote or
// rewrote give the full name before the short form, for the short forms the
// plan explains everywhere (COSU, MAM-WE, AOSP, DEM) and for those these
// texts use (MAM, MDM, CSP, UPN, OOBE, ESP). A label quoted from Microsoft's screens ("Disable
// MDM enrollment when …") stays as the screen shows it.
func TestWindowsIssue17PlainNames(t *testing.T) {
	c := testCatalog(t)
	forms := [][2]string{{"DEM", "device enrollment manager"}, {"COSU", "corporate-owned, single-use"}, {"AOSP", "Android Open Source Project"},
		{"MAM-WE", "mobile application management without enrollment"}, {"MAM", "mobile application management"}, {"MDM", "mobile device management"},
		{"CSP", "Cloud Solution Provider"}, {"UPN", "user principal name"}, {"OOBE", "out-of-box experience"}, {"ESP", "Enrollment Status Page"}}
	// firstUse is where abbr first stands as a word of text, or -1.
	firstUse := func(text, abbr string) int {
		isWord := func(b byte) bool {
			return b == '-' || b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
		}
		for from := 0; ; {
			i := strings.Index(text[from:], abbr)
			if i < 0 {
				return -1
			}
			i += from
			if (i == 0 || !isWord(text[i-1])) && (i+len(abbr) == len(text) || !isWord(text[i+len(abbr)])) {
				return i
			}
			from = i + len(abbr)
		}
	}
	touched := func(id string) bool {
		for _, suffix := range []string{".kiosk", ".shared-pc", ".shared-licences", ".device-licences"} {
			if strings.HasSuffix(id, suffix) && !strings.HasPrefix(id, "cosu") && !strings.HasPrefix(id, "ade") && !strings.HasPrefix(id, "made") {
				return true
			}
		}
		return slices.Contains([]string{"ap.self-start", "ap.partner-consent", "ap.register-surface", "ap.backup-restore", "auto.shared", "auto.restriction-no-autopilot",
			"byod.cname-gov", "byod.cname-china", "byod.connect-sovereign", "comgmt.enable", "comgmt.enable-gov", "comgmt.enable-china", "comgmt.monitor",
			"comgmt.workloads", "comgmt.workload-policies", "mam-we.windows-no-mdm-prompt", "byod.mdm-prompt", "auto.personal-block-no-autopilot",
			"hybrid.new-devices-no-autopilot"}, id)
	}
	unquoted := func(s string) string {
		parts := strings.Split(s, `"`)
		for i := 1; i < len(parts); i += 2 {
			parts[i] = "…"
		}
		return strings.Join(parts, "")
	}
	n := 0
	check := func(where, text string) {
		n++
		text = unquoted(text)
		for _, f := range forms {
			if i := firstUse(text, f[0]); i >= 0 && !strings.Contains(strings.ToLower(text[:i]), strings.ToLower(f[1])) {
				t.Errorf("%s uses %s before spelling it out: %q", where, f[0], text)
			}
		}
	}
	for _, m := range c.MethodsFor("windows") {
		for _, s := range append(slices.Clone(m.AdminSteps), m.UserSteps...) {
			if touched(s.ID) {
				check(m.ID+" step "+s.ID, s.Detail)
			}
		}
		for _, w := range m.Warnings {
			if touched(w.ID) {
				check(m.ID+" note "+w.ID, w.Text)
			}
		}
	}
	for _, r := range c.Platform("windows").Recommendations {
		if r.ID == "rec-windows-kiosk-in-use" {
			check(r.ID, r.Why)
		}
	}
	if n < 30 {
		t.Errorf("only %d texts checked", n)
	}
}
