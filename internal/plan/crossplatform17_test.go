package plan

import (
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// The cross-platform pages issue 17 re-read, with the ms.date each showed
// on 2026-12-07 (the mirror of learn.microsoft.com).
const (
	pageMigration  = "https://learn.microsoft.com/intune/fundamentals/setup-migration"                                // 2025-12-15
	pageDAtoMAM    = "https://learn.microsoft.com/intune/device-enrollment/android/migrate-to-application-management" // 2024-06-27
	pageNoncomp    = "https://learn.microsoft.com/intune/device-security/compliance/configure-noncompliance-actions"  // 2024-01-23
	pageWipe       = "https://learn.microsoft.com/intune/device-management/actions/wipe"                              // 2026-09-16
	pageBackupIOS  = "https://learn.microsoft.com/intune/device-enrollment/apple/backup-restore-ios"                  // 2024-08-28
	pageExisting   = "https://learn.microsoft.com/autopilot/existing-devices"                                         // 2025-06-13
	pagePlanning   = "https://learn.microsoft.com/intune/fundamentals/planning-guide"                                 // 2026-05-28
	pageAdvanced   = "https://learn.microsoft.com/intune/fundamentals/advanced-capabilities"                          // 2026-05-20
	pageWiFi       = "https://learn.microsoft.com/intune/device-configuration/templates/configure-wifi"               // 2024-07-22
	pageDEMAccount = "https://learn.microsoft.com/intune/device-enrollment/setup-enrollment-manager"                  // 2025-06-18
	pageMAMArchive = "https://github.com/MicrosoftDocs/memdocs/blob/783530d6f604ea6a43a44e51e8f790510cc4dad6/memdocs/intune/fundamentals/deployment-guide-enrollment-mamwe.md"
	pageLimArchive = "https://github.com/MicrosoftDocs/memdocs/blob/6cfc0a5882cbfa68f823675d442794ec8a0f1892/memdocs/intune/enrollment/device-limit-intune-azure.md"
)

func cites(urls []string, url string) bool { return slices.Contains(urls, url) }

// stepIndex is where a step sits in a population's ordered steps, or -1.
func stepIndex(p PopulationPlan, id string) int {
	return slices.IndexFunc(p.Steps, func(s Step) bool { return s.ID == id })
}

// TestCrossPlatformIssue17Facts has one row per cross-platform fact issue 17
// added or changed: the answers that trigger it, what the plan must (not)
// say, and the page and date it rests on.
func TestCrossPlatformIssue17Facts(t *testing.T) {
	leaving := func(platform, usage, method string) Population {
		return Population{Platform: platform, Ownership: OwnCorporate, Usage: usage, Devices: 40, InUse: yes(), ManagedBy: ManagedOtherMDM, Method: method}
	}
	noP1 := fullTenant()
	noP1.EntraPremium = no()
	cases := []struct {
		name   string
		tenant Tenant
		pop    Population
		check  func(t *testing.T, p *Plan, pop PopulationPlan)
	}{
		{"setup-migration 2025-12-15: the cut-over window: app protection first, one MDM controlling access, Conditional Access decided, before the unenroll; a warning on the group",
			fullTenant(), leaving("android", UsageUser, "android-fully-managed"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				order := []string{"unenroll.protect-first", "unenroll.one-mdm-access", "unenroll.access-gap", "unenroll.unenroll"}
				last := -1
				for _, id := range order {
					i := stepIndex(pop, id)
					if i < 0 || i < last {
						t.Fatalf("want %v in this order, got %v", order, stepIDs(pop))
					}
					last = i
				}
				if s := pop.Steps[stepIndex(pop, "unenroll.one-mdm-access")]; !strings.Contains(s.Detail, "Exchange or SharePoint") || !cites(s.Sources, pageMigration) {
					t.Errorf("one MDM enforcing access, from the migration guide: %+v", s)
				}
				w := warningOf(pop, "unenroll.cutover")
				if w == nil || w.Severity != SevWarning || !strings.Contains(w.Text, "neither MDM's policies") || !cites(w.Sources, pageMigration) {
					t.Errorf("the cut-over window must be a warning on the group: %+v", w)
				}
			}},
		{"migrate-to-application-management 2024-06-27, configure-noncompliance-actions 2024-01-23: Conditional Access accepts app protection or a compliant device in the gap; a grace period on Mark device noncompliant",
			fullTenant(), leaving("windows", UsageUser, "windows-auto-enrollment"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				i := stepIndex(pop, "unenroll.access-gap")
				if i < 0 {
					t.Fatalf("no Conditional Access step: %v", stepIDs(pop))
				}
				s := pop.Steps[i]
				for _, want := range []string{"blocks devices until they enroll", "accept app protection or a compliant device", "Mark device noncompliant", "grace period"} {
					if !strings.Contains(s.Detail, want) {
						t.Errorf("missing %q: %s", want, s.Detail)
					}
				}
				if !cites(s.Sources, pageDAtoMAM) || !cites(s.Sources, pageNoncomp) {
					t.Errorf("sources: %v", s.Sources)
				}
			}},
		{"setup-migration 2025-12-15: without Entra ID P1 or P2 there is no Conditional Access for the gap, and the plan says so instead",
			noP1, leaving("android", UsageUser, "android-fully-managed"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if stepIndex(pop, "unenroll.access-gap") >= 0 || stepIndex(pop, "unenroll.access-gap-no-p1") < 0 {
					t.Errorf("want the no-P1 step only: %v", stepIDs(pop))
				}
			}},
		{"mam-without-enrollment 2024-04-22: app protection lives beside the old MDM, so a group that stays there has no cut-over",
			fullTenant(), Population{Platform: "ios", Ownership: OwnPersonal, Devices: 40, InUse: yes(), ManagedBy: ManagedOtherMDM, Enroll: no()},
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if warningOf(pop, "unenroll.cutover") != nil || stepIndex(pop, "unenroll.access-gap") >= 0 {
					t.Errorf("no cut-over for app protection alone: %v", stepIDs(pop))
				}
			}},
		{"Apple Business User Guide (OS 26 migration): iPhones leaving another MDM get an unenroll step that spares the devices Apple's migration moves, never the every-device one",
			fullTenant(), leaving("ios", UsageUser, "ios-ade"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if stepIndex(pop, "unenroll.unenroll") >= 0 {
					t.Errorf("the every-device unenroll step reached iPhones: %v", stepIDs(pop))
				}
				i := stepIndex(pop, "unenroll.unenroll-apple")
				if i < 0 || !strings.Contains(pop.Steps[i].Title, "Apple's migration doesn't move") || !strings.Contains(pop.Steps[i].Detail, "don't unenroll or wipe those") {
					t.Fatalf("iPhones need the unenroll step that leaves migrating devices alone: %v", stepIDs(pop))
				}
			}},
		{"wipe 2026-09-16 + the Apple reset rule: the factory reset wipes the devices the group's rule names, not each device",
			fullTenant(), leaving("ios", UsageUser, "ios-ade"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				i := stepIndex(pop, "factory-reset")
				if i < 0 {
					t.Fatalf("no factory reset: %v", stepIDs(pop))
				}
				s := pop.Steps[i]
				if strings.Contains(s.Detail, "each is wiped") || !strings.Contains(s.Detail, "Apple's migration") || !cites(s.Sources, pageWipe) {
					t.Errorf("the reset must not wipe every device: %q", s.Detail)
				}
				if !strings.Contains(pop.FactoryReset.Why, "wipe only the others") {
					t.Errorf("the rule the step refers to must exempt migrating devices: %q", pop.FactoryReset.Why)
				}
			}},
		{"wipe 2026-09-16, existing-devices 2025-06-13, backup-restore-ios 2024-08-28: users save what they keep before the reset of a device with a user, on every platform",
			fullTenant(), leaving("android", UsageUser, "android-fully-managed"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				b, r := stepIndex(pop, "reset.backup"), stepIndex(pop, "factory-reset")
				if b < 0 || r < 0 || b > r {
					t.Fatalf("the backup must come right before the reset: %v", stepIDs(pop))
				}
				s := pop.Steps[b]
				if s.Actor != ActorUser || !strings.Contains(s.Detail, "OneDrive") || !strings.Contains(s.Detail, "Microsoft Authenticator") {
					t.Errorf("users save their files and Authenticator accounts: %+v", s)
				}
				for _, url := range []string{pageWipe, pageExisting, pageBackupIOS} {
					if !cites(s.Sources, url) {
						t.Errorf("missing source %s", url)
					}
				}
				if stepIndex(pop, "reset.backup-ios") >= 0 {
					t.Error("the iPhone backup rule reached an Android group")
				}
			}},
		{"backup-restore-ios 2024-08-28: iPhones leaving another MDM are backed up only after they leave it",
			fullTenant(), leaving("ios", UsageUser, "ios-ade"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				i, r := stepIndex(pop, "reset.backup-ios"), stepIndex(pop, "factory-reset")
				if i < 0 || i > r || pop.Steps[i].Kind != KindWipe || !strings.Contains(pop.Steps[i].Detail, "Setup Assistant") {
					t.Errorf("want the iPhone backup step before the reset: %v", stepIDs(pop))
				}
				if i, u := stepIndex(pop, "reset.backup-ios"), stepIndex(pop, "unenroll.unenroll-apple"); i < u {
					t.Error("the backup must come after the device left the old MDM")
				}
			}},
		{"licensing 2026-05-13: device-licensed dedicated devices have no user to save anything: no backup step",
			fullTenant(), leaving("android", UsageDedicated, "android-dedicated"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if stepIndex(pop, "factory-reset") < 0 {
					t.Fatalf("dedicated devices in use are reset: %v", stepIDs(pop))
				}
				if stepIndex(pop, "reset.backup") >= 0 {
					t.Errorf("no backup step on a device without a user: %v", stepIDs(pop))
				}
			}},
		{"enroll-devices 2026-04-29: new devices are neither wiped nor backed up",
			fullTenant(), Population{Platform: "android", Ownership: OwnCorporate, Usage: UsageUser, Devices: 40, InUse: no(), ManagedBy: ManagedNone, Method: "android-fully-managed"},
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				if stepIndex(pop, "reset.backup") >= 0 || stepIndex(pop, "factory-reset") >= 0 {
					t.Errorf("new devices: %v", stepIDs(pop))
				}
			}},
		{"planning-guide 2026-05-28, advanced-capabilities 2026-05-20: since July 2026 Suite capabilities come with Microsoft 365 E3 and E5",
			fullTenant(), leaving("windows", UsageUser, "windows-auto-enrollment"),
			func(t *testing.T, p *Plan, pop PopulationPlan) {
				i := slices.IndexFunc(p.Prerequisites, func(pr Prerequisite) bool { return pr.ID == "licenses" })
				pr := p.Prerequisites[i]
				for _, want := range []string{"July 2026", "E3 includes Plan 2, Remote Help and Advanced Analytics", "E5 and E7 add Endpoint Privilege Management", "separate subscription"} {
					if !strings.Contains(pr.Detail, want) {
						t.Errorf("licences: missing %q in %q", want, pr.Detail)
					}
				}
				if !cites(pr.Sources, pagePlanning) || !cites(pr.Sources, pageAdvanced) {
					t.Errorf("licences must cite the planning guide and the advanced capabilities: %v", pr.Sources)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, pop := buildOne(t, tc.tenant, false, tc.pop)
			tc.check(t, p, pop)
		})
	}
}

// TestCrossPlatformIssue17WiFi: the Wi-Fi baseline no longer says what its
// page contradicts (configure-wifi 2024-07-22), and DEM's device
// certificates stay (setup-enrollment-manager 2025-06-18).
func TestCrossPlatformIssue17WiFi(t *testing.T) {
	c := testCatalog(t)
	b := c.baseline("wifi")
	if strings.Contains(b.Detail, "other than open ones") || !strings.Contains(b.Detail, "authenticates with certificates") || !strings.Contains(b.Detail, "device certificates") {
		t.Errorf("Wi-Fi baseline: %q", b.Detail)
	}
	urls := c.SourceURLs(b.Sources)
	if !cites(urls, pageWiFi) || !cites(urls, pageDEMAccount) {
		t.Errorf("Wi-Fi sources: %v", urls)
	}
}

// TestCrossPlatformIssue17Sources: every source the cross-platform files
// define was re-read on 2026-12-07 with the ms.date below; the retired
// learn.microsoft.com/mem/ addresses are gone from them, and the two
// earlier-guidance sources point to Microsoft's archived text of their date.
func TestCrossPlatformIssue17Sources(t *testing.T) {
	c := testCatalog(t)
	dates := map[string]string{
		"S1": "2024-06-24", "S2": "2026-04-29", "S4": "2025-06-09", "S7": "2024-04-22", "S8": "2026-03-31",
		"E-RES": "2025-12-04", "E-PLAT": "2024-07-01", "E-LIM": "2025-05-15", "E-DA2MAM": "2024-06-27",
		"F-MDMA": "2024-09-24", "F-PLAN": "2026-05-28", "F-SETUP": "2025-12-15", "A-EXIST": "2025-06-13",
		"X-COMPLIANCE": "2026-07-02", "X-WIFI": "2024-07-22", "F-LIC": "2026-05-13", "F-LICA": "2025-01-24",
		"E-DEM": "2025-06-18", "E-WAUTO": "2026-03-06", "E-BKUP": "2024-08-28",
		"X-NONCOMP": "2024-01-23", "X-WIPE": "2026-09-16", "F-ADVCAP": "2026-05-20",
		"F-STEP1": "2026-03-18", "F-ROLES": "2026-02-04", "F-BMS": "2026-01-22", "X-DISKENC": "2024-09-23",
		"X-MACEP": "2024-10-25", "X-LAPS": "2025-05-29", "X-LAPSMAC": "2026-04-01", "X-WUPD": "2026-03-27",
		"X-MDE": "2026-05-26",
		"S7a":   "2023-06-14", "E-LIMAZ22": "2022-11-29",
	}
	for id, date := range dates {
		s, ok := c.Sources[id]
		if !ok || s.Date != date || s.Checked != "2026-12-07" {
			t.Errorf("%s: date %q checked %q, want %s checked 2026-12-07", id, s.Date, s.Checked, date)
		}
	}
	if c.Sources["S7a"].URL != pageMAMArchive || c.Sources["E-LIMAZ22"].URL != pageLimArchive {
		t.Error("the earlier-guidance sources must point to the archived text of their date")
	}
	for _, name := range []string{"sources.json", "tenant.json"} {
		var f catalogFile
		data, err := fs.ReadFile(catalogFS, "catalog/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		for _, s := range f.Sources {
			if strings.Contains(s.URL, "learn.microsoft.com/mem/") {
				t.Errorf("%s: %s cites the retired address %s", name, s.ID, s.URL)
			}
			if s.Checked != "2026-12-07" {
				t.Errorf("%s: %s last checked %s", name, s.ID, s.Checked)
			}
		}
	}
}

// TestPlainNamesInOwnTexts: every text of the cross-platform files that uses
// COSU, MAM-WE, AOSP or DEM spells it out at its first use.
func TestPlainNamesInOwnTexts(t *testing.T) {
	for _, name := range []string{"sources.json", "tenant.json"} {
		data, err := fs.ReadFile(catalogFS, "catalog/"+name)
		if err != nil {
			t.Fatal(err)
		}
		var tree any
		if err := json.Unmarshal(data, &tree); err != nil {
			t.Fatal(err)
		}
		walkTexts(tree, "", func(key, text string) {
			// Reviewers' notes and ids aren't shown to readers.
			if key == "changed" || key == "id" || key == "note" || key == "url" {
				return
			}
			if bad := NotSpelledOut(text); len(bad) > 0 {
				t.Errorf("%s %s: %v not spelled out at first use: %q", name, key, bad, text)
			}
		})
	}
}

func walkTexts(v any, key string, f func(key, text string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			walkTexts(y, k, f)
		}
	case []any:
		for _, y := range x {
			walkTexts(y, key, f)
		}
	case string:
		f(key, x)
	}
}

// TestSpeller: the full name first, the short form once per page.
func TestSpeller(t *testing.T) {
	var s Speller
	got := []string{
		s.Say("Android Enterprise dedicated devices (COSU)"),
		s.Say("DEM accounts can't enroll COSU devices."),
		s.Say("Create dedicated device enrollment manager (DEM) accounts."),
		s.Say("App protection without enrollment (MAM-WE)"),
		s.Say("Android Open Source Project (AOSP) and AOSP again; DEMO isn't DEM's."),
	}
	want := []string{
		"Android Enterprise dedicated devices (corporate-owned, single-use: COSU)",
		"Device enrollment manager (DEM) accounts can't enroll COSU devices.",
		"Create dedicated device enrollment manager (DEM) accounts.",
		"App protection without enrollment (mobile application management without enrollment: MAM-WE)",
		"Android Open Source Project (AOSP) and AOSP again; DEMO isn't DEM's.",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %q, want %q", i, got[i], want[i])
		}
	}
	if bad := NotSpelledOut("App protection without enrollment (MAM-WE)"); !slices.Equal(bad, []string{"MAM-WE"}) {
		t.Errorf("a name is not its short form's spelling: %v", bad)
	}
	if bad := NotSpelledOut("Use a DEM account, a device enrollment manager (DEM)."); !slices.Equal(bad, []string{"DEM"}) {
		t.Errorf("a short form before its full name is not spelled out at first use: %v", bad)
	}
	if bad := NotSpelledOut("Dedicated devices, once called COSU (corporate-owned, single-use), and DEMO text."); len(bad) > 0 {
		t.Errorf("COSU (full name) counts as spelled out: %v", bad)
	}
}
