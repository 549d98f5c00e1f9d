package plan

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// fullTenant has every prerequisite in place, so rows test one thing.
func fullTenant() Tenant {
	return Tenant{MDMAuthority: "intune", LicensesAssigned: yes(), AdminRole: "intune-admin", GroupsReady: yes(),
		EntraPremium: yes(), ConfigMgr: no(), AppleMDMPushCertificate: yes(), AppleBusinessManager: yes(), ManagedGooglePlay: yes()}
}

func answersFor(t Tenant, bulk bool, pops ...Population) Answers {
	for i := range pops {
		if pops[i].ID == "" {
			pops[i].ID = "p" + string(rune('a'+i))
		}
	}
	return Answers{Schema: AnswersSchema, Organization: "Test Org", Tenant: t, Populations: pops, BulkEnrollmentByStaff: bulk}
}

func buildOne(t *testing.T, tn Tenant, bulk bool, p Population) (*Plan, PopulationPlan) {
	t.Helper()
	pl, err := testCatalog(t).Build(answersFor(tn, bulk, p))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return pl, pl.Populations[0]
}

func hasWarning(p PopulationPlan, id, severity string) bool {
	for _, w := range p.Warnings {
		if w.ID == id && (severity == "" || w.Severity == severity) {
			return true
		}
	}
	return false
}

func warningText(p PopulationPlan) string {
	var b strings.Builder
	for _, w := range p.Warnings {
		b.WriteString(w.Severity + ": " + w.Text + "\n")
	}
	return b.String()
}

// TestFactoryResetFacts: one row per row of the reset tables (seed guide §
// "Unenroll from existing MDM and factory reset", fact sheet §1.4, CONTRACT §5).
func TestFactoryResetFacts(t *testing.T) {
	corp := func(platform, usage, method string) Population {
		return Population{Platform: platform, Ownership: OwnCorporate, Usage: usage, Devices: 10, Method: method}
	}
	pers := func(platform, method string) Population {
		return Population{Platform: platform, Ownership: OwnPersonal, Usage: UsageUser, Devices: 10, Method: method}
	}
	existing := func(p Population) Population { p.InUse, p.ManagedBy = yes(), ManagedOtherMDM; return p }
	fresh := func(p Population) Population { p.InUse, p.ManagedBy = no(), ManagedNone; return p }
	cases := []struct {
		source string
		pop    Population
		want   bool
	}{
		{"S1/S2: Android Enterprise personally owned work profile: no", pers("android", "android-work-profile"), false},
		{"S1/S2: Android Enterprise corporate-owned work profile: yes", corp("android", "user", "android-corporate-work-profile"), true},
		{"S1/S2: Android Enterprise fully managed: yes", corp("android", "user", "android-fully-managed"), true},
		{"S1/S2: Android Enterprise dedicated: yes", corp("android", "dedicated", "android-dedicated"), true},
		{"S1/S2: Android device administrator: no", corp("android", "user", "android-device-admin"), false},
		{"S3: AOSP: yes (new devices may not need it)", corp("android", "dedicated", "android-aosp"), true},
		{"S2/E-ADEI: iOS ADE: yes, activated devices must be wiped", corp("ios", "user", "ios-ade"), true},
		{"E-ADEOV: iOS ADE, new devices: still a new-or-wiped method, but no wipe step", fresh(corp("ios", "user", "ios-ade")), true},
		{"S2/S4: iOS device enrollment (Company Portal/web): no", pers("ios", "ios-device-enrollment"), false},
		{"S2/S4: iOS User Enrollment: no", pers("ios", "ios-user-enrollment"), false},
		{"S2/E-ACFG: Apple Configurator Setup Assistant (user affinity): yes", corp("ios", "user", "ios-configurator"), true},
		{"S2/E-ACFG: Apple Configurator direct enrollment (userless): no", corp("ios", "dedicated", "ios-configurator"), false},
		{"S2: macOS ADE, new or wiped Macs: yes", fresh(corp("macos", "user", "macos-ade")), true},
		{"CONTRACT §5/E-ADEM-MGT: macOS ADE, Macs in use (no MDM) in Apple Business: no wipe", corp("macos", "user", "macos-ade"), false},
		{"E-ADEM: macOS ADE, existing Macs 10.13+ in ABM: no wipe", existing(corp("macos", "user", "macos-ade")), false},
		{"S2: macOS BYOD Company Portal: no", pers("macos", "macos-device-enrollment"), false},
		{"E-MACDE: macOS direct enrollment: no", corp("macos", "dedicated", "macos-direct"), false},
		{"S1/S6: Windows Autopilot, new PCs (OEM image): no", fresh(corp("windows", "user", "windows-autopilot")), false},
		{"AP-DP-CMP: Autopilot device preparation, new PCs: no", fresh(corp("windows", "user", "windows-autopilot-device-preparation")), false},
		{"AP-DP-CMP: Autopilot device preparation, PCs in use: only after a reset", existing(corp("windows", "user", "windows-autopilot-device-preparation")), true},
		{"S6/A-EXIST: Autopilot for existing devices reinstalls Windows", existing(corp("windows", "user", "windows-autopilot")), true},
		{"S1: Windows automatic enrollment: no", corp("windows", "user", "windows-auto-enrollment"), false},
		{"S1: Windows hybrid join: no", corp("windows", "user", "windows-hybrid-join"), false},
		{"S1: Windows co-management: no", corp("windows", "user", "windows-co-management"), false},
		{"S2: Windows bulk provisioning enrolls without reimaging", corp("windows", "dedicated", "windows-bulk"), false},
		{"S1: Windows BYOD: no", pers("windows", "windows-byod"), false},
		{"S1: Linux: no", corp("linux", "user", "linux-intune-app"), false},
		{"S7: app protection without enrollment never resets", Population{Platform: "ios", Ownership: OwnPersonal, Devices: 5, Enroll: no()}, false},
	}
	for _, tc := range cases {
		t.Run(tc.source, func(t *testing.T) {
			_, p := buildOne(t, fullTenant(), false, tc.pop)
			fr := p.FactoryReset
			if fr.Required != tc.want {
				t.Fatalf("%s: factory reset required = %v, want %v (rule %s: %s)", p.Method.ID, fr.Required, tc.want, fr.Rule, fr.Why)
			}
			if fr.Rule == "" || fr.Why == "" || len(fr.Sources) == 0 {
				t.Fatalf("reset decision must name its rule, reason and source: %+v", fr)
			}
			// New devices are already in factory state: only devices in use get the wipe step.
			resetStep := slices.ContainsFunc(p.Steps, func(s Step) bool { return s.ID == "factory-reset" })
			if want := tc.want && p.InUse; resetStep != want {
				t.Fatalf("factory-reset step present = %v, want %v (in use %v)", resetStep, want, p.InUse)
			}
			// S1: where no reset is needed, settings stay unless Intune sets them.
			stay := hasWarning(p, "settings-stay", SevInfo)
			if p.Enroll && stay == tc.want {
				t.Fatalf("settings-stay note present = %v for reset required = %v", stay, tc.want)
			}
		})
	}
}

// TestPrerequisiteFacts: per-platform prerequisites (seed guide table, fact
// sheet §1.1 item 5, CONTRACT §5).
func TestPrerequisiteFacts(t *testing.T) {
	always := []string{"mdm-authority", "licenses", "admin-role", "supported-os", "groups"}
	cases := []struct {
		source  string
		pop     Population
		bulk    bool
		want    []string
		wantNot []string
	}{
		{"S1: every population needs MDM authority, licences, role, supported OS, groups",
			Population{Platform: "linux", Ownership: OwnCorporate, Devices: 1}, false, always, []string{"apple-mdm-push-certificate", "managed-google-play"}},
		{"S1: iOS/iPadOS needs the MDM push certificate and an Apple ID",
			Population{Platform: "ios", Ownership: OwnPersonal, Devices: 1}, false, []string{"apple-mdm-push-certificate", "apple-id"}, nil},
		{"S1: macOS needs the MDM push certificate (no Apple ID row)",
			Population{Platform: "macos", Ownership: OwnPersonal, Devices: 1}, false, []string{"apple-mdm-push-certificate"}, []string{"apple-id"}},
		{"S2: Apple ADE needs Apple Business Manager",
			Population{Platform: "ios", Ownership: OwnCorporate, Devices: 1, Method: "ios-ade"}, false, []string{"apple-business-manager"}, nil},
		{"S2/E-MGP: Android Enterprise work profile needs managed Google Play",
			Population{Platform: "android", Ownership: OwnPersonal, Devices: 1, Method: "android-work-profile"}, false, []string{"managed-google-play"}, nil},
		{"S2/E-MGP: Android Enterprise fully managed needs managed Google Play",
			Population{Platform: "android", Ownership: OwnCorporate, Devices: 1, Method: "android-fully-managed"}, false, []string{"managed-google-play"}, nil},
		{"S2/E-MGP: Android Enterprise dedicated needs managed Google Play",
			Population{Platform: "android", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 1, Method: "android-dedicated"}, false, []string{"managed-google-play"}, nil},
		{"S2/E-MGP: Android Enterprise corporate work profile needs managed Google Play",
			Population{Platform: "android", Ownership: OwnCorporate, Devices: 1, Method: "android-corporate-work-profile"}, false, []string{"managed-google-play"}, nil},
		{"S1: Android device administrator needs nothing extra",
			Population{Platform: "android", Ownership: OwnCorporate, Devices: 1, Method: "android-device-admin"}, false, nil, []string{"managed-google-play"}},
		{"CONTRACT §5: app protection without enrollment needs no device-enrollment prerequisite",
			Population{Platform: "ios", Ownership: OwnPersonal, Devices: 1, Enroll: no()}, false, always, []string{"apple-mdm-push-certificate", "apple-id"}},
		{"CONTRACT §5: Android app protection needs no managed Google Play",
			Population{Platform: "android", Ownership: OwnPersonal, Devices: 1, Enroll: no()}, false, always, []string{"managed-google-play"}},
		{"A-REQ: Autopilot needs Entra ID P1/P2 and registration",
			Population{Platform: "windows", Ownership: OwnCorporate, Devices: 1, Method: "windows-autopilot"}, false, []string{"entra-premium", "autopilot-registration"}, nil},
		{"S6: Windows BYOD does not need Entra ID P1/P2",
			Population{Platform: "windows", Ownership: OwnPersonal, Devices: 1}, false, nil, []string{"entra-premium"}},
		{"C-OV: co-management needs Configuration Manager",
			Population{Platform: "windows", Ownership: OwnCorporate, Devices: 1, Method: "windows-co-management"}, false, []string{"configmgr", "entra-premium"}, nil},
		{"S1/E-DEM: bulk enrollment by staff needs a DEM account",
			Population{Platform: "windows", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 1, Method: "windows-bulk"}, true, []string{"dem-account"}, nil},
		{"S1: devices under another MDM must be unenrolled first",
			Population{Platform: "android", Ownership: OwnPersonal, Devices: 1, ManagedBy: ManagedOtherMDM}, false, []string{"unenroll-existing-mdm"}, nil},
		{"S7: app protection works beside another MDM: nothing to unenroll",
			Population{Platform: "android", Ownership: OwnPersonal, Devices: 1, ManagedBy: ManagedOtherMDM, Enroll: no()}, false, nil, []string{"unenroll-existing-mdm"}},
	}
	for _, tc := range cases {
		t.Run(tc.source, func(t *testing.T) {
			pl, p := buildOne(t, fullTenant(), tc.bulk, tc.pop)
			for _, id := range tc.want {
				if !slices.Contains(p.Prerequisites, id) {
					t.Errorf("%s (%s) lacks prerequisite %s; has %v", p.Name, p.Method.ID, id, p.Prerequisites)
				}
				if !slices.ContainsFunc(pl.Prerequisites, func(pr Prerequisite) bool { return pr.ID == id && slices.Contains(pr.AppliesTo, p.ID) }) {
					t.Errorf("plan prerequisite %s does not apply to %s", id, p.ID)
				}
			}
			for _, id := range tc.wantNot {
				if slices.Contains(p.Prerequisites, id) {
					t.Errorf("%s (%s) must not need %s", p.Name, p.Method.ID, id)
				}
			}
		})
	}
}

// TestRecommendationFacts: which method the engine picks (fact sheet §3–§7
// "Who it's for", §6.11 Windows scenarios).
func TestRecommendationFacts(t *testing.T) {
	withTenant := func(f func(*Tenant)) Tenant { tn := fullTenant(); f(&tn); return tn }
	cases := []struct {
		source string
		tenant Tenant
		bulk   bool
		pop    Population
		want   string
	}{
		{"S4: corporate iPhones with Apple Business Manager → ADE", fullTenant(), false, Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10}, "ios-ade"},
		{"S4: corporate iPhones, ABM not sure → still ADE (confirm ABM)", withTenant(func(t *Tenant) { t.AppleBusinessManager = nil }), false, Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10}, "ios-ade"},
		{"S4: corporate iPhones without ABM → Apple Configurator", withTenant(func(t *Tenant) { t.AppleBusinessManager = no() }), false, Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10}, "ios-configurator"},
		{"E-SIPAD: shared iPads → ADE (Shared iPad)", fullTenant(), false, Population{Platform: "ios", Ownership: OwnCorporate, Usage: UsageShared, Devices: 10}, "ios-ade"},
		{"S4/E-ADUE: personal iPhones with ABM → account-driven User Enrollment", fullTenant(), false, Population{Platform: "ios", Ownership: OwnPersonal, Devices: 10}, "ios-user-enrollment"},
		{"S4: personal iPhones without ABM → device enrollment", withTenant(func(t *Tenant) { t.AppleBusinessManager = no() }), false, Population{Platform: "ios", Ownership: OwnPersonal, Devices: 10}, "ios-device-enrollment"},
		{"S5: corporate Macs with ABM → macOS ADE", fullTenant(), false, Population{Platform: "macos", Ownership: OwnCorporate, Devices: 10}, "macos-ade"},
		{"S5: corporate kiosk Macs without ABM → direct enrollment", withTenant(func(t *Tenant) { t.AppleBusinessManager = no() }), false, Population{Platform: "macos", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 10}, "macos-direct"},
		{"S5: personal Macs → Company Portal enrollment", fullTenant(), false, Population{Platform: "macos", Ownership: OwnPersonal, Devices: 10}, "macos-device-enrollment"},
		{"S3: personal Android → work profile", fullTenant(), false, Population{Platform: "android", Ownership: OwnPersonal, Devices: 10}, "android-work-profile"},
		{"S3: corporate Android, work and personal use → corporate-owned work profile", fullTenant(), false, Population{Platform: "android", Ownership: OwnCorporate, Devices: 10, PersonalUse: yes()}, "android-corporate-work-profile"},
		{"S3: corporate Android, work only → fully managed", fullTenant(), false, Population{Platform: "android", Ownership: OwnCorporate, Devices: 10}, "android-fully-managed"},
		{"S3: Android kiosks → dedicated", fullTenant(), false, Population{Platform: "android", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 10}, "android-dedicated"},
		{"E-COSU: shared Android → dedicated with Entra shared device mode", fullTenant(), false, Population{Platform: "android", Ownership: OwnCorporate, Usage: UsageShared, Devices: 10}, "android-dedicated"},
		{"S6/A-SCEN: new corporate Windows → Autopilot", fullTenant(), false, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10, InUse: no()}, "windows-autopilot"},
		{"S6/C-OV: PCs Configuration Manager manages today → co-management", withTenant(func(t *Tenant) { t.ConfigMgr = yes() }), false, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10, ManagedBy: ManagedConfigMgr}, "windows-co-management"},
		{"S6: new PCs in a tenant that has Configuration Manager elsewhere → Autopilot, not co-management", withTenant(func(t *Tenant) { t.ConfigMgr = yes() }), false, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 700, InUse: no(), ManagedBy: ManagedNone}, "windows-autopilot"},
		{"S6: PCs in use, unknown MDM → automatic enrollment (the safer reading, no reset)", fullTenant(), false, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10}, "windows-auto-enrollment"},
		{"S6: corporate Windows in use, leaving another MDM → automatic enrollment", fullTenant(), false, Population{Platform: "windows", Ownership: OwnCorporate, Devices: 10, InUse: yes(), ManagedBy: ManagedOtherMDM}, "windows-auto-enrollment"},
		{"S6 2024-02-28, A-SELF: new Windows kiosks enrolled by IT staff (the older tenant-wide answer) → Autopilot self-deploying", fullTenant(), true, Population{Platform: "windows", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 10, InUse: no()}, "windows-autopilot"},
		{"S6 2024-02-28 + CONTRACT §8.1: new Windows kiosks, enrolled by IT staff when the answers don't say → Autopilot self-deploying", fullTenant(), false, Population{Platform: "windows", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 10, InUse: no()}, "windows-autopilot"},
		{"S6: new shared PCs their users enroll → Autopilot self-deploying", fullTenant(), false, Population{Platform: "windows", Ownership: OwnCorporate, Usage: UsageShared, Devices: 10, InUse: no()}, "windows-autopilot"},
		{"S6: personal Windows → add work or school account", fullTenant(), false, Population{Platform: "windows", Ownership: OwnPersonal, Devices: 10}, "windows-byod"},
		{"S8: Linux → Microsoft Intune app", fullTenant(), false, Population{Platform: "linux", Ownership: OwnPersonal, Devices: 10}, "linux-intune-app"},
		{"S7: enroll false → app protection without enrollment", fullTenant(), false, Population{Platform: "windows", Ownership: OwnPersonal, Devices: 10, Enroll: no()}, "mam-we"},
	}
	for _, tc := range cases {
		t.Run(tc.source, func(t *testing.T) {
			_, p := buildOne(t, tc.tenant, tc.bulk, tc.pop)
			if p.Method.ID != tc.want {
				t.Fatalf("method = %s, want %s (why: %s)", p.Method.ID, tc.want, p.Method.Why)
			}
			if !p.Method.Recommended || p.Method.Why == "" || len(p.Method.Sources) == 0 {
				t.Fatalf("a recommendation must be marked, explained and sourced: %+v", p.Method)
			}
			for _, a := range p.Alternatives {
				if a.ID == p.Method.ID || a.WhyNot == "" || len(a.Sources) == 0 {
					t.Fatalf("alternative %s needs a sourced why-not and must differ from the method", a.ID)
				}
			}
		})
	}
}

// TestRuleFacts covers the remaining rules of CONTRACT §5 and the fact sheet.
func TestRuleFacts(t *testing.T) {
	c := testCatalog(t)
	t.Run("S4: without Apple Business Manager the plan says what is lost and recommends getting it", func(t *testing.T) {
		tn := fullTenant()
		tn.AppleBusinessManager = no()
		_, p := buildOne(t, tn, false, Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10})
		text := warningText(p)
		if !strings.Contains(text, "Apple Business Manager") {
			t.Fatalf("no warning about Apple Business Manager:\n%s", text)
		}
	})
	t.Run("I-DA: device administrator is legacy, ended 31 Dec 2024 on GMS devices, names its replacement, and is never recommended outside 21Vianet", func(t *testing.T) {
		_, p := buildOne(t, fullTenant(), false, Population{Platform: "android", Ownership: OwnCorporate, Devices: 10, Method: "android-device-admin"})
		var found bool
		for _, w := range p.Warnings {
			if w.Severity == SevWarning && strings.Contains(w.Text, "31 December 2024") && strings.Contains(w.Text, "work profile") {
				found = true
			}
		}
		if !found {
			t.Fatalf("no legacy warning naming 31 December 2024 and the work profile replacement:\n%s", warningText(p))
		}
		if p.Method.Recommended {
			t.Fatal("device administrator must never be the recommendation")
		}
	})
	t.Run("S1/E-DEM: one DEM account enrolls up to 1,000 devices", func(t *testing.T) {
		pl, p := buildOne(t, fullTenant(), true, Population{Platform: "windows", Ownership: OwnCorporate, Usage: UsageDedicated, Devices: 2500, Method: "windows-bulk"})
		i := slices.IndexFunc(pl.Prerequisites, func(pr Prerequisite) bool { return pr.ID == "dem-account" })
		if i < 0 || !strings.Contains(pl.Prerequisites[i].Detail, "1,000") {
			t.Fatalf("dem-account must state the 1,000-device limit: %+v", pl.Prerequisites)
		}
		if !strings.Contains(warningText(p), "3 DEM accounts") {
			t.Fatalf("2,500 devices need 3 DEM accounts:\n%s", warningText(p))
		}
	})
	t.Run("E-DEM: a DEM enrolls at most 10 Android work-profile devices", func(t *testing.T) {
		_, p := buildOne(t, fullTenant(), false, Population{Platform: "android", Ownership: OwnPersonal, Devices: 25, Method: "android-work-profile", EnrolledBy: EnrolledByIT})
		if !strings.Contains(warningText(p), "3 DEM accounts") {
			t.Fatalf("25 work-profile devices at 10 per DEM need 3 accounts:\n%s", warningText(p))
		}
	})
	t.Run("S1: unenroll from the other MDM first; removing its data is possible but not required", func(t *testing.T) {
		pl, p := buildOne(t, fullTenant(), false, Population{Platform: "ios", Ownership: OwnPersonal, Devices: 10, CurrentlyManagedByOtherMDM: yes()})
		// iPhones have their own unenroll step, which spares the devices Apple's migration moves.
		if !slices.ContainsFunc(p.Steps, func(s Step) bool { return s.ID == "unenroll.unenroll-apple" }) {
			t.Fatal("no unenroll step")
		}
		i := slices.IndexFunc(pl.Prerequisites, func(pr Prerequisite) bool { return pr.ID == "unenroll-existing-mdm" })
		if i < 0 || !strings.Contains(pl.Prerequisites[i].Detail, "not required") || !strings.Contains(pl.Prerequisites[i].Detail, "one MDM") {
			t.Fatalf("unenroll prerequisite must say one MDM per device and that removing data is not required: %+v", pl.Prerequisites[i])
		}
	})
	t.Run("S1/S1a: admin role shows the seed's roles and today's least-privilege roles", func(t *testing.T) {
		pr := c.Prerequisite("admin-role")
		for _, want := range []string{"Global Administrator", "Intune Service Administrator", "Policy and Profile Manager", "Intune Administrator"} {
			if !strings.Contains(pr.Detail, want) {
				t.Errorf("admin-role detail lacks %q", want)
			}
		}
	})
	t.Run("E-LIMAZ/E-RES: device limits are configurable from 1 to 15", func(t *testing.T) {
		// The population's own warnings must state the range; the licence text's
		// "15 devices" (devices per licence) is a different fact.
		_, p := buildOne(t, fullTenant(), false, Population{Platform: "android", Ownership: OwnPersonal, Devices: 10})
		if text := warningText(p); !strings.Contains(text, "1 to 15") {
			t.Fatalf("no warning states the 1 to 15 device limit:\n%s", text)
		}
	})
	t.Run("E-APNS: the push certificate is renewed yearly with the same Apple ID", func(t *testing.T) {
		d := c.Prerequisite("apple-mdm-push-certificate").Detail
		if !strings.Contains(d, "every year") || !strings.Contains(d, "same Apple ID") {
			t.Fatalf("APNs detail: %s", d)
		}
	})
	t.Run("missing blocking prerequisite is a blocker; unsure is a warning; done is silent", func(t *testing.T) {
		pop := Population{Platform: "macos", Ownership: OwnPersonal, Devices: 3}
		for _, tc := range []struct {
			v    *bool
			want string
		}{{no(), SevBlocker}, {nil, SevWarning}, {yes(), ""}} {
			tn := fullTenant()
			tn.AppleMDMPushCertificate = tc.v
			pl, p := buildOne(t, tn, false, pop)
			gotBlock := hasWarning(p, "blocked-by-apple-mdm-push-certificate", SevBlocker)
			gotWarn := hasWarning(p, "unconfirmed-apple-mdm-push-certificate", SevWarning)
			if (tc.want == SevBlocker) != gotBlock || (tc.want == SevWarning) != gotWarn {
				t.Fatalf("APNs %v: blocker=%v warning=%v, want %q", yesNo(tc.v), gotBlock, gotWarn, tc.want)
			}
			i := slices.IndexFunc(pl.Prerequisites, func(pr Prerequisite) bool { return pr.ID == "apple-mdm-push-certificate" })
			wantStatus := map[string]string{SevBlocker: StatusTodo, SevWarning: StatusUnknown, "": StatusDone}[tc.want]
			if pl.Prerequisites[i].Status != wantStatus {
				t.Fatalf("status %s, want %s", pl.Prerequisites[i].Status, wantStatus)
			}
		}
	})
	t.Run("S1: the rollout starts with a pilot group, then waves", func(t *testing.T) {
		a := answersFor(fullTenant(), false, Population{Platform: "linux", Ownership: OwnCorporate, Devices: 3})
		a.Rollout = Rollout{PilotGroup: "Pilot A", Waves: []Wave{{Name: "W1", Group: "G1", Start: "2027-01-04"}, {Name: "W2", Group: "G2", Start: "2027-02-01"}}}
		pl, err := c.Build(a)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Rollout.PilotGroup != "Pilot A" || len(pl.Rollout.Waves) != 2 {
			t.Fatalf("rollout: %+v", pl.Rollout)
		}
		if !strings.Contains(pl.Rollout.Steps[0].Title, "Pilot A") || !strings.Contains(pl.Rollout.Steps[len(pl.Rollout.Steps)-1].Title, "G2") {
			t.Fatalf("steps must start with the pilot and end with the last wave: %+v", pl.Rollout.Steps)
		}
		var phases []string
		for _, tk := range pl.Tasks {
			if len(phases) == 0 || phases[len(phases)-1] != tk.Phase {
				phases = append(phases, tk.Phase)
			}
		}
		if !slices.Equal(phases, []string{PhasePrepare, PhasePilot, PhaseRollout}) {
			t.Fatalf("task phases out of order: %v", phases)
		}
	})
	t.Run("seed: baseline policies map to the platforms they apply to", func(t *testing.T) {
		a := answersFor(fullTenant(), false,
			Population{Platform: "windows", Ownership: OwnCorporate, Devices: 3},
			Population{Platform: "ios", Ownership: OwnPersonal, Devices: 3},
			Population{Platform: "ios", Ownership: OwnPersonal, Devices: 3, Enroll: no()})
		a.Baseline = []string{"windows-hello", "vpn", "Defender onboarding"}
		pl, err := c.Build(a)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]BaselineItem{}
		for _, bi := range pl.Baseline {
			byID[bi.ID] = bi
		}
		if got := byID["windows-hello"].AppliesTo; !slices.Equal(got, []string{"pa"}) {
			t.Errorf("Windows Hello applies to %v, want only the Windows population", got)
		}
		if got := byID["vpn"].AppliesTo; !slices.Equal(got, []string{"pa", "pb"}) {
			t.Errorf("VPN applies to %v, want the enrolled populations", got)
		}
		if byID["custom"].Title != "Defender onboarding" {
			t.Errorf("free-text baseline item lost: %+v", byID["custom"])
		}
	})
	t.Run("a chosen method that is not the recommendation says so and what would be recommended", func(t *testing.T) {
		_, p := buildOne(t, fullTenant(), false, Population{Platform: "ios", Ownership: OwnCorporate, Devices: 10, Method: "ios-configurator"})
		if p.Method.Recommended || !strings.Contains(p.Method.Why, "Automated Device Enrollment") {
			t.Fatalf("method: %+v", p.Method)
		}
	})
	t.Run("a method forced onto devices it does not fit is a blocker", func(t *testing.T) {
		_, p := buildOne(t, fullTenant(), false, Population{Platform: "ios", Ownership: OwnPersonal, Devices: 10, Method: "ios-ade"})
		if !hasWarning(p, "ios-ade.misfit", SevBlocker) {
			t.Fatalf("no misfit blocker:\n%s", warningText(p))
		}
	})
	t.Run("ids are made from platform and ownership when absent, without collisions", func(t *testing.T) {
		a := Answers{Schema: AnswersSchema, Organization: "X", Populations: []Population{
			{Platform: "ios", Ownership: OwnCorporate}, {ID: "ios-corporate-2", Platform: "android", Ownership: OwnCorporate}, {Platform: "ios", Ownership: OwnCorporate}}}
		pl, err := c.Build(a)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{pl.Populations[0].ID, pl.Populations[1].ID, pl.Populations[2].ID}
		if !slices.Equal(got, []string{"ios-corporate", "ios-corporate-2", "ios-corporate-3"}) {
			t.Fatalf("ids %v", got)
		}
	})
}

// TestEveryExampleItemIsSourced: every prerequisite, step and warning in
// every example plan cites an https source (acceptance of the engine issue).
func TestEveryItemIsSourced(t *testing.T) {
	c := testCatalog(t)
	for _, name := range exampleNames(t) {
		a, err := c.DecodeAnswers(readExample(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pl, err := c.Build(a)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, srcs []string) {
			if len(srcs) == 0 {
				t.Errorf("%s: %s has no source", name, what)
			}
			for _, s := range srcs {
				if !strings.HasPrefix(s, "https://") {
					t.Errorf("%s: %s source %q is not https", name, what, s)
				}
			}
		}
		for _, pr := range pl.Prerequisites {
			check("prerequisite "+pr.ID, pr.Sources)
		}
		for _, p := range pl.Populations {
			check(p.ID+" method", p.Method.Sources)
			check(p.ID+" reset", p.FactoryReset.Sources)
			for _, s := range p.Steps {
				check(p.ID+" step "+s.ID, s.Sources)
			}
			for _, w := range p.Warnings {
				check(p.ID+" warning "+w.ID, w.Sources)
			}
			for _, a := range p.Alternatives {
				check(p.ID+" alternative "+a.ID, a.Sources)
			}
		}
		for _, s := range pl.Rollout.Steps {
			check("rollout step "+s.ID, s.Sources)
		}
		for _, tk := range pl.Tasks {
			check("task "+tk.ID, tk.Sources)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	c := testCatalog(t)
	for _, name := range exampleNames(t) {
		var outs [2]bytes.Buffer
		for i := range outs {
			a, err := c.DecodeAnswers(readExample(t, name))
			if err != nil {
				t.Fatal(err)
			}
			pl, err := c.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&outs[i], pl); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(outs[0].Bytes(), outs[1].Bytes()) {
			t.Fatalf("%s: two builds differ", name)
		}
	}
}
