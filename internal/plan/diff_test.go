package plan

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// diffBase is the Northwind fleet (examples/northwind.json): nine device
// groups, three waves, some prerequisites still open.
func diffBase(t *testing.T) Answers {
	t.Helper()
	data, err := os.ReadFile("../../examples/northwind.json")
	if err != nil {
		t.Fatal(err)
	}
	var a Answers
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// diffCopy is a deep copy, so that a case's edit leaves the base alone.
func diffCopy(t *testing.T, a Answers) Answers {
	t.Helper()
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var out Answers
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func diffBool(v bool) *bool { return &v }

// diffPop finds a device group of the answers by its id.
func diffPop(a *Answers, id string) *Population {
	for i := range a.Populations {
		if a.Populations[i].ID == id {
			return &a.Populations[i]
		}
	}
	panic("no population " + id)
}

// TestDiffPlans: each row edits the Northwind answers (before, after) and
// lists sentences the comparison must contain, word for word; want nil and
// none means no change at all.
func TestDiffPlans(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		before, after func(*Answers)
		want          []string // each must be one of the sentences
		wantIn        []string // each must appear inside some sentence
		not           []string // no sentence may contain these
		none          bool     // nothing changed
	}{
		{name: "the same answers", none: true},
		{name: "an unknown answer made explicit with the same value is no change",
			before: func(a *Answers) { a.Tenant.Cloud = "" },
			after:  func(a *Answers) { a.Tenant.Cloud = "global" },
			none:   true},
		{name: "the example of the issue: devices, method, reset, prerequisite, steps, wave date",
			before: func(a *Answers) {
				p := diffPop(a, "sales-iphones")
				p.Method, p.Devices = "ios-configurator", 250
			},
			after: func(a *Answers) {
				p := diffPop(a, "sales-iphones")
				p.Method, p.Devices = "ios-ade", 300
				a.Tenant.AppleMDMPushCertificate = diffBool(true)
				a.Rollout.Waves[1].Start = "2027-02-15"
			},
			wantIn: []string{
				"Sales iPhones: devices 250 → 300; method changed from Apple Configurator",
				"to Automated Device Enrollment (iOS/iPadOS)",
				" steps added: “",
			},
			want: []string{
				"Tenant: Apple MDM push certificate uploaded: no → yes.",
				"Wave 2 moved from 8 Feb to 15 Feb 2027.",
			}},
		{name: "a prerequisite done unblocks its groups",
			after: func(a *Answers) { a.Tenant.AppleMDMPushCertificate = diffBool(true) },
			want: []string{
				"Tenant: Apple MDM push certificate uploaded: no → yes.",
				"Prerequisite “Apple MDM push certificate” is now done; it no longer blocks Sales iPhones and Design Macs.",
			}},
		{name: "a prerequisite no longer known",
			after:  func(a *Answers) { a.Tenant.LicensesAssigned = nil },
			want:   []string{"Tenant: Intune licences assigned: yes → not sure."},
			wantIn: []string{"Prerequisite “Intune licences assigned to users” is now not confirmed (to check)"}},
		{name: "a factory reset becomes needed when new devices turn out to be in use",
			after:  func(a *Answers) { diffPop(a, "field-tablets").InUse = diffBool(true) },
			wantIn: []string{"Field tablets: already in use: no → yes", "a factory reset is now needed"}},
		{name: "a group renamed, one removed, one added",
			after: func(a *Answers) {
				diffPop(a, "design-macs").Name = "Studio Macs"
				a.Populations = slices.DeleteFunc(a.Populations, func(p Population) bool { return p.ID == "dev-linux" })
				w := &a.Rollout.Waves[2]
				w.Populations = slices.DeleteFunc(w.Populations, func(id string) bool { return id == "dev-linux" })
				a.Populations = append(a.Populations, Population{ID: "loan-ipads", Name: "Loan iPads", Platform: "ios", Ownership: OwnCorporate, Usage: UsageShared, Devices: 1, InUse: diffBool(false), ManagedBy: ManagedNone})
			},
			want: []string{
				"Studio Macs: renamed from “Design Macs”.",
				"Device group “Developer Linux laptops” removed (25 devices).",
				"Prerequisite “Apple MDM push certificate” now also blocks Loan iPads.",
				"Now in no wave: Loan iPads.",
			},
			wantIn: []string{"Device group “Loan iPads” added: 1 iOS/iPadOS device, ", "; no factory reset needed."},
			not:    []string{"Design Macs: "}},
		{name: "groups matched by name when the answers carry no ids",
			before: func(a *Answers) {
				for i := range a.Populations {
					a.Populations[i].ID = ""
				}
				a.Rollout.Waves = nil
			},
			after: func(a *Answers) {
				for i := range a.Populations {
					a.Populations[i].ID = ""
				}
				a.Rollout.Waves = nil
				a.Populations = a.Populations[1:] // every later group's generated id shifts
			},
			want: []string{"Device group “Sales iPhones” removed (250 devices)."},
			not:  []string{"renamed", "added"}},
		{name: "a method that does not fit is a blocker of its own",
			after:  func(a *Answers) { diffPop(a, "sales-iphones").Method = "ios-user-enrollment" },
			wantIn: []string{"New blocker: “", "” stops Sales iPhones."}},
		{name: "ownership, usage, management and private use in words",
			after: func(a *Answers) {
				p := diffPop(a, "field-tablets")
				p.Usage, p.ManagedBy, p.PersonalUse = UsageShared, ManagedOtherMDM, nil
			},
			wantIn: []string{"Field tablets: now shared by several users instead of one user", "managed today by no MDM → another MDM", "private use allowed: yes → not sure"}},
		{name: "app protection only instead of enrolling",
			after:  func(a *Answers) { diffPop(a, "field-tablets").Enroll = diffBool(false) },
			wantIn: []string{"Field tablets: now app protection only, without enrolling the devices"}},
		{name: "organisation and baseline",
			after: func(a *Answers) {
				a.Organization = "Northwind Traders GmbH"
				a.Baseline = []string{"compliance", "vpn", "certificate", "email", "BitLocker"}
			},
			want: []string{
				"Organisation name changed from “Northwind Traders” to “Northwind Traders GmbH”.",
				"Baseline policies removed: Wi-Fi profile and FileVault.",
			},
			wantIn: []string{"Baseline policy added: "}},
		{name: "who enrolls, per group: the older tenant-wide answer reaches organisation-owned groups that enroll, not personal ones",
			after:  func(a *Answers) { a.BulkEnrollmentByStaff = true },
			wantIn: []string{"New laptops: now enrolled by IT staff instead of their users.", "Design Macs: now enrolled by IT staff instead of their users."},
			not:    []string{"Staff's own phones:", "Reception kiosks:", "IT staff now enroll devices in bulk"}},
		{name: "who enrolls and the maker, per group",
			after: func(a *Answers) {
				p := diffPop(a, "warehouse-scanners")
				p.Manufacturer = "Zebra"
				diffPop(a, "design-macs").EnrolledBy = EnrolledByIT
			},
			wantIn: []string{"Warehouse scanners: maker not named → “Zebra”; 1 step added: “Set the Zebra devices' own settings with Zebra's OEMConfig app”", "Design Macs: now enrolled by IT staff instead of their users"},
			not:    []string{"New laptops:"}},
		{name: "the older tenant-wide answer spelled per group changes nothing", none: true,
			before: func(a *Answers) { a.BulkEnrollmentByStaff = true },
			after: func(a *Answers) {
				for i := range a.Populations {
					if a.Populations[i].Ownership == OwnCorporate && a.Populations[i].Enrolls() {
						a.Populations[i].EnrolledBy = EnrolledByIT
					}
				}
			}},
		{name: "another cloud",
			after:  func(a *Answers) { a.Tenant.Cloud = "gcc-high" },
			wantIn: []string{"The plan is now for ", " instead of the commercial (global) cloud."},
			not:    []string{"Staff's own phones", "steps added: “Turn on Windows automatic enrollment (MDM user scope)”"}},
		{name: "pilot and waves: renamed, regrouped, added, removed, reordered, coverage",
			after: func(a *Answers) {
				a.Rollout.PilotGroup = "IT Pilot"
				a.Rollout.PilotStart = "2027-01-04"
				w := a.Rollout.Waves
				w[0].Group = "Starters"
				w[2].Populations = append(w[2].Populations, "sales-iphones")
				w[1].Populations = []string{"field-tablets"}
				w[0].Start, w[2].Start = w[2].Start, w[0].Start
				a.Rollout.Waves = []Wave{w[2], w[0], {Name: "Stragglers", Group: "Everyone else", Start: "2027-03-08"}}
			},
			want: []string{
				"Pilot group changed from “Intune Pilot” to “IT Pilot”.",
				"Pilot moved from 11 Jan to 4 Jan 2027.",
				"Wave 2 removed.",
				"Wave 1 moved from 25 Jan to 22 Feb 2027; now uses the group “Starters” instead of “New starters and reception”.",
				"Wave “Stragglers” added: group “Everyone else”, from 8 Mar 2027, covering every device group.",
				"The waves are now in this order: Wave 3, Wave 1.",
			},
			wantIn: []string{"Wave 3 moved from 22 Feb to 25 Jan 2027; now also covers Sales iPhones."}},
		{name: "a wave date removed and a group left out of every wave",
			after: func(a *Answers) {
				a.Rollout.Waves[2].Start = ""
				a.Rollout.Waves[2].Populations = []string{"office-desktops", "warehouse-scanners", "design-macs"}
			},
			wantIn: []string{"Wave 3 no longer has a start date (it was 22 Feb 2027); no longer covers Developer Linux laptops."},
			want:   []string{"Now in no wave: Developer Linux laptops."}},
	}
	// Words that only tools should see.
	slug := regexp.MustCompile(`\b[a-z0-9]+(-[a-z0-9]+)+\b`)
	path := regexp.MustCompile(`\w\[\d+\]|\w_\w|\brule\b`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			oa, na := diffCopy(t, diffBase(t)), diffCopy(t, diffBase(t))
			if c.before != nil {
				c.before(&oa)
				c.before(&na)
			}
			if c.after != nil {
				c.after(&na)
			}
			op, err := cat.Build(oa)
			if err != nil {
				t.Fatal(err)
			}
			np, err := cat.Build(na)
			if err != nil {
				t.Fatal(err)
			}
			got := DiffPlans(oa, na, op, np)
			all := strings.Join(got, "\n")
			t.Logf("%d sentences:\n%s", len(got), all)
			if got == nil {
				t.Fatal("nil result; want an empty slice")
			}
			if c.none && len(got) > 0 {
				t.Fatalf("want no change, got:\n%s", all)
			}
			if !c.none && len(got) == 0 {
				t.Fatal("no change reported")
			}
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing sentence %q in:\n%s", w, all)
				}
			}
			for _, w := range c.wantIn {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
			for _, w := range c.not {
				if strings.Contains(all, w) {
					t.Errorf("unexpected %q in:\n%s", w, all)
				}
			}
			for _, s := range got {
				if !strings.HasSuffix(s, ".") || s[:1] != strings.ToUpper(s[:1]) {
					t.Errorf("not a sentence: %q", s)
				}
				for _, m := range slug.FindAllString(s, -1) {
					if isInternal(m, op, np) {
						t.Errorf("internal id %q in %q", m, s)
					}
				}
				if m := path.FindString(s); m != "" {
					t.Errorf("field path or rule %q in %q", m, s)
				}
			}
			// Swapping the sides reports a change too (never a panic), and
			// comparing a plan with itself reports none.
			if back := DiffPlans(na, oa, np, op); (len(back) == 0) != (len(got) == 0) {
				t.Errorf("reverse comparison disagrees: %q vs %q", back, got)
			}
			if same := DiffPlans(na, na, np, np); len(same) != 0 {
				t.Errorf("a plan compared with itself: %q", same)
			}
		})
	}
}

// isInternal says whether a word is an id of either plan (population,
// prerequisite, method, step, warning or blocker id).
func isInternal(w string, plans ...*Plan) bool {
	for _, p := range plans {
		for _, pop := range p.Populations {
			if w == pop.ID || w == pop.Method.ID || w == pop.Method.Rule || w == pop.FactoryReset.Rule {
				return true
			}
			for _, s := range pop.Steps {
				if w == s.ID {
					return true
				}
			}
			for _, x := range pop.Warnings {
				if w == x.ID {
					return true
				}
			}
		}
		for _, pr := range p.Prerequisites {
			if w == pr.ID {
				return true
			}
		}
		for _, b := range p.Summary.Blockers {
			if w == b.ID || w == b.Prerequisite {
				return true
			}
		}
	}
	return strings.HasPrefix(w, "blocked-by")
}

// TestDiffPlansWithoutPlans: missing plans or mismatched answers never
// panic.
func TestDiffPlansWithoutPlans(t *testing.T) {
	if got := DiffPlans(Answers{}, Answers{}, nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("empty: %q", got)
	}
	p := &Plan{Organization: "A", Populations: []PopulationPlan{{ID: "x", Name: "Phones", Devices: 3}}}
	got := DiffPlans(Answers{}, Answers{}, nil, p)
	if !slices.Contains(got, "Organisation name changed from “” to “A”.") || !strings.Contains(strings.Join(got, "\n"), "Device group “Phones” added: 3 ") {
		t.Fatalf("from nothing: %q", got)
	}
}

func TestDiffDates(t *testing.T) {
	for _, c := range []struct{ o, n, want string }{
		{"2027-02-08", "2027-02-15", "moved from 8 Feb to 15 Feb 2027"},
		{"2026-12-20", "2027-01-11", "moved from 20 Dec 2026 to 11 Jan 2027"},
		{"", "2027-01-11", "now starts on 11 Jan 2027"},
		{"2027-01-11", "", "no longer has a start date (it was 11 Jan 2027)"},
		{"2027-01-11", "2027-01-11", ""},
	} {
		if got := dateChange(c.o, c.n); got != c.want {
			t.Errorf("dateChange(%q, %q) = %q, want %q", c.o, c.n, got, c.want)
		}
	}
}
