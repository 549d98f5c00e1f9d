package plan

import (
	"slices"
	"strings"
	"testing"
)

// The Android facts of issue 17. Each row names the catalog sources it rests
// on with the page's ms.date, as checked on 2026-12-07; the row fails when
// the catalog's date for that source differs, or when none of the items the
// row asserts cites it.
type androidFact struct {
	name    string
	cloud   string
	pop     Population
	sources map[string]string // source id → the page's ms.date
	method  string            // the method the plan must use ("" = not checked)
	steps   []string          // "admin:id" or "user:id" the plan must have
	noSteps []string          // step ids it must not have, by anyone
	warns   []string          // warning ids it must have
	says    []string          // words some step's title or detail must say
	never   []string          // words no step's title or detail may say
	check   func(t *testing.T, pop PopulationPlan)
}

func (f androidFact) run(t *testing.T, c *Catalog) {
	t.Helper()
	tn := fullTenant()
	tn.Cloud = f.cloud
	pop := f.pop
	if pop.Devices == 0 {
		pop.Devices = 40
	}
	p, err := c.Build(answersFor(tn, false, pop))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Populations[0]
	if f.method != "" && got.Method.ID != f.method {
		t.Fatalf("method %s, want %s (%s)", got.Method.ID, f.method, got.Method.Why)
	}
	cited := slices.Clone(got.Method.Sources)
	var have []string
	var words strings.Builder
	for _, s := range got.Steps {
		have = append(have, s.Actor+":"+s.ID)
		words.WriteString(s.Title + "\n" + s.Detail + "\n")
	}
	for _, want := range f.steps {
		i := slices.Index(have, want)
		if i < 0 {
			t.Errorf("no step %s; steps: %v", want, have)
			continue
		}
		cited = append(cited, got.Steps[i].Sources...)
	}
	for _, id := range f.noSteps {
		for _, h := range have {
			if strings.HasSuffix(h, ":"+id) {
				t.Errorf("unexpected step %s", h)
			}
		}
	}
	for _, id := range f.warns {
		i := slices.IndexFunc(got.Warnings, func(w Warning) bool { return w.ID == id })
		if i < 0 {
			t.Errorf("no warning %s:\n%s", id, warningText(got))
			continue
		}
		cited = append(cited, got.Warnings[i].Sources...)
	}
	for _, w := range f.says {
		if !strings.Contains(words.String(), w) {
			t.Errorf("no step says %q", w)
		}
	}
	for _, w := range f.never {
		if strings.Contains(words.String(), w) {
			t.Errorf("a step says %q:\n%s", w, words.String())
		}
	}
	for id, date := range f.sources {
		s, ok := c.Sources[id]
		switch {
		case !ok:
			t.Errorf("source %s is not in the catalog", id)
		case s.Date != date:
			t.Errorf("source %s (%s) is dated %s in the catalog; the page says %s", id, s.URL, s.Date, date)
		case !slices.Contains(cited, s.URL):
			t.Errorf("source %s (%s) is cited by none of the items this row asserts", id, s.URL)
		}
	}
	if f.check != nil {
		f.check(t, got)
	}
}

// noUserEnrolls fails when anyone but IT enrolls a device without a user.
func noUserEnrolls(t *testing.T, pop PopulationPlan) {
	t.Helper()
	for _, s := range pop.Steps {
		if s.Actor == ActorUser && s.Kind == KindEnroll {
			t.Errorf("devices without a user: step %s %q is the user's", s.ID, s.Title)
		}
	}
}

// TestAndroidIssue17Facts: dedicated and shared devices, who enrolls them,
// the maker's own paths, 21Vianet, app protection's OS floor and the plain
// names, one row per fact.
func TestAndroidIssue17Facts(t *testing.T) {
	c := testCatalog(t)
	corp := func(usage string) Population {
		return Population{ID: "p", Name: "Group", Platform: "android", Ownership: OwnCorporate, Usage: usage, InUse: no(), ManagedBy: ManagedNone}
	}
	maker := func(p Population, m string) Population { p.Manufacturer = m; return p }
	by := func(p Population, who string) Population { p.EnrolledBy = who; return p }
	cases := []androidFact{
		{name: "check-in tablets, no maker named: IT enrolls them, locks them to their app, has a device licence for each; the generic path and a note that the maker may have its own",
			pop: corp(UsageDedicated), method: "android-dedicated",
			sources: map[string]string{"X-AEKIOSK": "2026-09-23", "X-RESTRICT": "2025-10-14", "F-LIC": "2026-05-13", "F-LICA": "2025-01-24", "E-AEMETH": "2025-12-04", "S3": "2026-06-16", "E-KME": "2023-12-01"},
			steps:   []string{"admin:cosu.kiosk", "admin:cosu.licences", "admin:cosu.provisioning", "admin:cosu.maker-own", "admin:cosu.enroll", "admin:cosu.handover"},
			noSteps: []string{"cosu.power-on", "cosu.token", "cosu.tell-users", "cosu.kme", "cosu.kme-devices", "cosu.zebra", "cosu.licences-shared"},
			warns:   []string{"cosu.kiosk-apps"},
			says:    []string{"Single app", "End-user access to device settings", "device-only subscription", "scan the profile's QR code"},
			check:   noUserEnrolls},
		{name: "Zebra tablets: Zebra's OEMConfig, not Samsung's Knox Mobile Enrollment nor the note on makers' own services",
			pop: maker(corp(UsageDedicated), "Zebra Technologies"), method: "android-dedicated",
			sources: map[string]string{"X-ZEBRAOEM": "2024-06-27", "X-ZEBRAMX": "2024-06-27"},
			steps:   []string{"admin:cosu.zebra", "admin:cosu.kiosk", "admin:cosu.enroll"},
			noSteps: []string{"cosu.kme", "cosu.kme-devices", "cosu.maker-own"},
			says:    []string{"Zebra OEMConfig Powered by MX", "device administrator"},
			never:   []string{"Knox"}},
		{name: "Samsung tablets: Knox Mobile Enrollment, and nothing of Zebra's",
			pop: maker(corp(UsageDedicated), "SAMSUNG Electronics"), method: "android-dedicated",
			sources: map[string]string{"E-KME": "2023-12-01"},
			steps:   []string{"admin:cosu.kme", "admin:cosu.kme-devices"},
			noSteps: []string{"cosu.zebra", "cosu.maker-own"},
			never:   []string{"OEMConfig"}},
		{name: "a maker without a path of its own in the catalog: the generic path only",
			pop: maker(corp(UsageDedicated), "Honeywell"), method: "android-dedicated",
			sources: map[string]string{"E-AEMETH": "2025-12-04"},
			steps:   []string{"admin:cosu.provisioning", "admin:cosu.zero-touch", "admin:cosu.enroll"},
			noSteps: []string{"cosu.kme", "cosu.kme-devices", "cosu.zebra", "cosu.maker-own"},
			never:   []string{"Knox", "Zebra"}},
		{name: "dedicated devices the answers say users set up: IT tells them how, they power on and scan",
			pop: by(corp(UsageDedicated), EnrolledByUser), method: "android-dedicated",
			sources: map[string]string{"S3": "2026-06-16"},
			steps:   []string{"admin:cosu.tell-users", "user:cosu.power-on", "user:cosu.token"},
			noSteps: []string{"cosu.enroll"}},
		{name: "shared devices: a device licence, or a user licence for every worker; no kiosk lock",
			pop: corp(UsageShared), method: "android-dedicated",
			sources: map[string]string{"F-LICA": "2025-01-24", "F-LIC": "2026-05-13"},
			steps:   []string{"admin:cosu.shared-mode", "admin:cosu.licences-shared", "user:cosu.shared-sign-in"},
			noSteps: []string{"cosu.kiosk", "cosu.licences"},
			says:    []string{"every worker who signs in"}},
		{name: "COSU said once in plain words, in the method's summary",
			pop: corp(UsageDedicated), method: "android-dedicated",
			sources: map[string]string{"E-COSU": "2025-05-08", "S3": "2026-06-16"},
			check: func(t *testing.T, pop PopulationPlan) {
				if !strings.Contains(pop.Method.Summary, "COSU (corporate-owned, single-use)") {
					t.Errorf("summary doesn't spell out COSU: %s", pop.Method.Summary)
				}
				if strings.Contains(pop.Method.Why, "COSU") {
					t.Errorf("COSU again in the why: %s", pop.Method.Why)
				}
			}},
		{name: "fully managed Samsung phones IT enrolls: a staging token, the phone handed over, the user only signs in; Knox offered",
			pop: by(maker(corp(UsageUser), "Samsung"), EnrolledByIT), method: "android-fully-managed",
			sources: map[string]string{"AE-STAGE": "2025-06-04", "E-KME": "2023-12-01"},
			steps:   []string{"admin:cobo.staging-it", "admin:cobo.it-stage", "admin:cobo.kme", "user:cobo.sign-in"},
			noSteps: []string{"cobo.power-on", "cobo.token", "cobo.tell-users", "cobo.staging", "cobo.maker-own", "cobo.zebra"}},
		{name: "corporate-owned work profile phones from Zebra that users set up: Zebra's OEMConfig, no Knox",
			pop: func() Population { p := maker(corp(UsageUser), "zebra"); p.PersonalUse = yes(); return p }(), method: "android-corporate-work-profile",
			sources: map[string]string{"X-ZEBRAOEM": "2024-06-27"},
			steps:   []string{"admin:cope.zebra", "admin:cope.tell-users", "user:cope.power-on", "user:cope.token"},
			noSteps: []string{"cope.kme", "cope.kme-devices", "cope.it-stage", "cope.staging-it"},
			never:   []string{"Knox"}},
		{name: "AOSP said once in plain words, in the method's summary",
			pop: func() Population { p := corp(UsageDedicated); p.Method = "android-aosp"; return p }(), method: "android-aosp",
			sources: map[string]string{"S3": "2026-06-16"},
			check: func(t *testing.T, pop PopulationPlan) {
				if !strings.Contains(pop.Method.Name, "Android Open Source Project (AOSP)") || !strings.Contains(pop.Method.Summary, "without Google Mobile Services") {
					t.Errorf("AOSP not explained: %s: %s", pop.Method.Name, pop.Method.Summary)
				}
			}},
		{name: "21Vianet kiosks: device administrator, enrolled by IT with a DEM account from a Chinese app store's Company Portal; device licences; no kiosk mode unless Samsung",
			cloud: "china", pop: corp(UsageDedicated), method: "android-device-admin",
			sources: map[string]string{"F-CN": "2025-10-16", "X-DARES": "2025-06-09", "E-LIMAZ": "2024-10-14", "F-NOGMS": "2024-10-28", "E-DEM": "2025-06-18"},
			steps:   []string{"admin:da.dem-enroll-china", "admin:da.licences"},
			noSteps: []string{"da.dem-enroll", "da.company-portal", "da.company-portal-china", "da.tell-users", "da.plan-move", "da.kiosk-samsung"},
			warns:   []string{"da.no-kiosk"},
			says:    []string{"Chinese app store"},
			check: func(t *testing.T, pop PopulationPlan) {
				noUserEnrolls(t, pop)
				if !pop.Method.Recommended || pop.DEMAccounts != 1 {
					t.Errorf("recommended %v, DEM accounts %d; want recommended, 1", pop.Method.Recommended, pop.DEMAccounts)
				}
				for _, w := range pop.Warnings {
					if w.Severity == SevBlocker {
						t.Errorf("blocker: %s", w.Text)
					}
				}
			}},
		{name: "21Vianet Samsung kiosks: device administrator's Kiosk settings",
			cloud: "china", pop: maker(corp(UsageDedicated), "Samsung"), method: "android-device-admin",
			sources: map[string]string{"X-DARES": "2025-06-09", "X-RESTRICT": "2025-10-14"},
			steps:   []string{"admin:da.kiosk-samsung"},
			says:    []string{"Samsung Knox Standard devices running Android 10 or earlier"}},
		{name: "21Vianet shared phones users enroll: device administrator, Company Portal from a Chinese app store, and what shared use lacks",
			cloud: "china", pop: corp(UsageShared), method: "android-device-admin",
			sources: map[string]string{"X-DARES": "2025-06-09", "F-NOGMS": "2024-10-28"},
			steps:   []string{"user:da.company-portal-china"},
			noSteps: []string{"da.company-portal", "da.dem-enroll-china"},
			warns:   []string{"da.shared"}},
		{name: "outside 21Vianet, device administrator still doesn't fit kiosks",
			pop:     func() Population { p := corp(UsageDedicated); p.Method = "android-device-admin"; return p }(),
			sources: map[string]string{"I-DA": "2024-10-28"},
			warns:   []string{"android-device-admin.misfit"}},
		{name: "app protection on personal Android phones: Android 10 as a conditional-launch condition, not a check for IT",
			pop: Population{ID: "p", Name: "Own phones", Platform: "android", Ownership: OwnPersonal, Enroll: no()}, method: MethodMAMWE,
			sources: map[string]string{"P-LAUNCH": "2025-01-16", "F-OS": "2025-10-14"},
			steps:   []string{"admin:mam-we.min-os-android", "user:mam-we.broker-android"},
			noSteps: []string{"mam-we.min-os-android-china", "mam-we.broker-android-china", "mam-we.confirm-android"},
			says:    []string{"Min OS version 10.0", "Block access"},
			never:   []string{"Confirm the Android"}},
		{name: "app protection in 21Vianet: the same condition, leaving out what needs Google's services; Company Portal from a Chinese app store",
			cloud: "china", pop: Population{ID: "p", Name: "Own phones", Platform: "android", Ownership: OwnPersonal, Enroll: no()}, method: MethodMAMWE,
			sources: map[string]string{"P-LAUNCH": "2025-01-16", "F-NOGMS": "2024-10-28"},
			steps:   []string{"admin:mam-we.min-os-android-china", "user:mam-we.broker-android-china"},
			noSteps: []string{"mam-we.min-os-android", "mam-we.broker-android"},
			says:    []string{"Min OS version 10.0", "Chinese app store"}},
	}
	for _, f := range cases {
		t.Run(f.name, func(t *testing.T) { f.run(t, c) })
	}
}

// TestAndroidDEMFacts: what a device enrollment manager (DEM) account can
// do with each Android method (setup-enrollment-manager 2025-06-18,
// setup-personal-work-profile 2026-06-18, Android guide 2026-06-16), and
// that personal phones never get one.
func TestAndroidDEMFacts(t *testing.T) {
	c := testCatalog(t)
	for _, tc := range []struct {
		method    string
		supported bool
		max       int
		sources   []string
	}{
		{"android-work-profile", true, 10, []string{"E-DEM", "E-AEWP"}},
		{"android-corporate-work-profile", false, 0, []string{"E-DEM", "S3"}},
		{"android-fully-managed", false, 0, []string{"E-DEM", "S3"}},
		{"android-dedicated", false, 0, []string{"S3"}},
		{"android-aosp", false, 0, []string{"E-DEM", "S3"}},
		{"android-device-admin", true, 0, []string{"E-DEM", "E-LIMAZ"}},
	} {
		m := c.methods[tc.method]
		if m.DEM.Supported != tc.supported || m.DEM.MaxDevices != tc.max {
			t.Errorf("%s: DEM supported %v, at most %d; want %v, %d", tc.method, m.DEM.Supported, m.DEM.MaxDevices, tc.supported, tc.max)
		}
		for _, s := range tc.sources {
			if !slices.Contains(m.DEM.Sources, s) {
				t.Errorf("%s: the DEM fact doesn't cite %s", tc.method, s)
			}
		}
	}
	for id, date := range map[string]string{"E-DEM": "2025-06-18", "E-AEWP": "2026-06-18", "S3": "2026-06-16", "E-LIMAZ": "2024-10-14"} {
		if got := c.Sources[id].Date; got != date {
			t.Errorf("source %s dated %s, the page says %s", id, got, date)
		}
	}
	// 150 contractors' own phones, under the older tenant-wide "IT staff
	// enroll in bulk": still their users', and no DEM account.
	p, err := c.Build(answersFor(fullTenant(), true, Population{Platform: "android", Ownership: OwnPersonal, Devices: 150}))
	if err != nil {
		t.Fatal(err)
	}
	if pop := p.Populations[0]; pop.EnrolledBy != EnrolledByUser || pop.DEMAccounts != 0 || slices.ContainsFunc(pop.Warnings, func(w Warning) bool { return strings.HasPrefix(w.ID, "dem.") }) {
		t.Errorf("personal work profiles: enrolled by %s with %d DEM accounts:\n%s", pop.EnrolledBy, pop.DEMAccounts, warningText(pop))
	}
}

// androidEnterprise are the methods that need Google Mobile Services.
var androidEnterprise = []string{"android-work-profile", "android-corporate-work-profile", "android-fully-managed", "android-dedicated"}

// TestAndroid21VianetSteps: in Intune operated by 21Vianet no Android group
// is recommended, or offered as fitting, an Android Enterprise method, and no
// step names Google Play, Google's device checks or the enrollment paths
// that need them (china 2025-10-16: no Google Mobile Services, no Android
// Enterprise, no corporate AOSP).
func TestAndroid21VianetSteps(t *testing.T) {
	c := testCatalog(t)
	forbidden := []string{"Google Play", "Play Protect", "Play integrity", "zero-touch", "Zero-touch", "Android Enterprise", "Knox Mobile Enrollment", "work profile", "afw#setup"}
	var pops []Population
	for _, own := range Ownerships {
		for _, use := range Usages {
			if own == OwnPersonal && use != UsageUser {
				continue
			}
			for _, by := range []string{"", EnrolledByUser, EnrolledByIT} {
				for _, m := range []string{"", "Samsung", "Zebra"} {
					for _, inUse := range []*bool{no(), yes()} {
						for _, mb := range []string{ManagedNone, ManagedOtherMDM} {
							if own == OwnPersonal && by == EnrolledByIT {
								continue
							}
							p := Population{Platform: "android", Ownership: own, Usage: use, Devices: 30, EnrolledBy: by, Manufacturer: m, InUse: inUse, ManagedBy: mb}
							pops = append(pops, p)
							if own == OwnCorporate && use == UsageUser {
								p.PersonalUse = yes()
								pops = append(pops, p)
							}
						}
					}
				}
			}
		}
	}
	pops = append(pops, Population{Platform: "android", Ownership: OwnPersonal, Devices: 30, Enroll: no()})
	for _, pop := range pops {
		tn := fullTenant()
		tn.Cloud = "china"
		p, err := c.Build(answersFor(tn, false, pop))
		if err != nil {
			t.Fatalf("%+v: %v", pop, err)
		}
		got := p.Populations[0]
		name := got.Ownership + "/" + got.Usage + "/" + got.EnrolledBy + "/" + got.Manufacturer
		if slices.Contains(androidEnterprise, got.Method.ID) || got.Method.ID == "android-aosp" {
			t.Errorf("%s: %s chosen in 21Vianet", name, got.Method.Name)
		}
		for _, a := range got.Alternatives {
			if a.Fits && (slices.Contains(androidEnterprise, a.ID) || a.ID == "android-aosp") {
				t.Errorf("%s: %s offered as fitting in 21Vianet", name, a.Name)
			}
		}
		for _, s := range got.Steps {
			for _, w := range forbidden {
				if strings.Contains(s.Title+" "+s.Detail, w) {
					t.Errorf("%s: step %s says %q: %s %s", name, s.ID, w, s.Title, s.Detail)
				}
			}
		}
	}
}
