package tenant

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
)

// adeTokens is a depOnboardingSettings answer with n tokens named long
// enough to overflow a finding; the first expiring of them expire within
// the days given (from fixedNow), the rest in about a year.
func adeTokens(n int, expiring ...int) string {
	var items []string
	for i := range n {
		exp := fixedNow.AddDate(1, 0, i)
		if i < len(expiring) {
			exp = fixedNow.Add(time.Duration(expiring[i])*24*time.Hour + time.Hour)
		}
		items = append(items, fmt.Sprintf(`{"tokenName":"Contoso Apple Business Manager token for the %02d regional office","appleIdentifier":"abm-admin-%02d@contoso.com",`+
			`"tokenType":"dep","tokenExpirationDateTime":%q,"lastSuccessfulSyncDateTime":"2027-01-03T22:03:28Z","syncedDeviceCount":%d}`, i+1, i+1, exp.Format(time.RFC3339), 100+i))
	}
	return `{"value":[` + strings.Join(items, ",") + `]}`
}

func withinLimits(t *testing.T, fs []plan.Finding) {
	t.Helper()
	for _, f := range fs {
		for name, s := range map[string]string{"title": f.Title, "detail": f.Detail, "permission": f.Permission} {
			if n := utf8.RuneCountInString(s); n > plan.MaxFindingText {
				t.Errorf("%s %s is %d characters, over %d", f.ID, name, n, plan.MaxFindingText)
			}
		}
	}
}

// TestBigTenantsFitTheLimits: 12 ADE tokens, or 5 expiring within 30 days,
// or 50, give findings within plan.MaxFindingText that name the most urgent
// token and count the rest; the check's output validates as answers.
func TestBigTenantsFitTheLimits(t *testing.T) {
	for _, tc := range []struct {
		name       string
		body       string
		title      string
		detailHas  []string
		expiryDays int
	}{
		{"12 tokens", adeTokens(12), "12 Automatic Device Enrollment tokens",
			[]string{`"Contoso Apple Business Manager token for the 01 regional office": valid until`, "more tokens, later to expire"}, 12},
		{"5 expiring within 30 days", adeTokens(8, 20, 3, -2, 11, 29), `Enrollment program token "Contoso Apple Business Manager token for the 03 regional office" has expired, and 4 more expire within 30 days or have expired`,
			[]string{"expired on 2027-01-02", "Renew each in Apple Business Manager", "expires on 2027-01-07 (3 days left)"}, 8},
		{"50 tokens", adeTokens(50, 7), `Enrollment program token "Contoso Apple Business Manager token for the 01 regional office" expires in 7 days`,
			[]string{"more tokens, later to expire", "(abm-admin-01@contoso.com)"}, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakegraph.New(t)
			srv.Set(fakegraph.DEPOnboarding, fakegraph.Route{Body: tc.body})
			r := check(t, srv, nil)
			if r.err != nil {
				t.Fatal(r.err)
			}
			withinLimits(t, r.tc.Findings)
			f := r.find(t, idADE)
			if f.Title != tc.title {
				t.Errorf("title %q, want %q", f.Title, tc.title)
			}
			for _, want := range tc.detailHas {
				if !strings.Contains(f.Detail, want) {
					t.Errorf("detail lacks %q: %s", want, f.Detail)
				}
			}
			ade := 0
			for _, e := range r.tc.Tenant.Expiries {
				if e.What == plan.WhatADEToken {
					ade++
				}
			}
			if ade != tc.expiryDays {
				t.Errorf("tenant.expiries holds %d ADE tokens, want %d", ade, tc.expiryDays)
			}
			// What the check printed is what answers accept.
			tc2, err := plan.DecodeTenantCheck(mustJSON(t, r.tc))
			if err != nil {
				t.Fatalf("the check's own output is refused: %v", err)
			}
			withinLimits(t, tc2.Findings)
		})
	}
}

// TestEntraQuotaBelowIntuneLimit: Entra ID's devices per user below
// Intune's device limit is a warning on the device limit that says which
// wins and what to change; at or above it, nothing changes.
func TestEntraQuotaBelowIntuneLimit(t *testing.T) {
	srv := fakegraph.New(t)
	reg := strings.Replace(fakegraph.Fixture(fakegraph.DeviceReg), `"userDeviceQuota": 50`, `"userDeviceQuota": 3`, 1)
	srv.Set(fakegraph.DeviceReg, fakegraph.Route{Body: reg})
	r := check(t, srv, nil)
	f := r.find(t, idDeviceLimit)
	if f.Status != plan.FindingWarning || f.Title != "Device limit: Entra ID's 3 devices per user win over Intune's 5" {
		t.Errorf("quota 3 under limit 5: %s %q", f.Status, f.Title)
	}
	for _, want := range []string{"The lower limit wins", "Raise Maximum number of devices per user to at least 5", "lower Intune's device limit to 3"} {
		if !strings.Contains(f.Detail, want) {
			t.Errorf("detail lacks %q: %s", want, f.Detail)
		}
	}
	// The healthy tenant: 50 per user in Entra ID, 5 in Intune.
	if f := check(t, fakegraph.New(t), nil).find(t, idDeviceLimit); f.Status != plan.FindingOK {
		t.Errorf("quota above the limit: %+v", f)
	}
	o := []plan.Finding{{ID: idDeviceLimit, Status: plan.FindingOK, Title: "Device limit: 5 devices per user"}}
	crossCheck(o, facts{deviceLimit: ptr(5), deviceQuota: ptr(0)})
	if !strings.Contains(o[0].Detail, "no device at all") {
		t.Errorf("a quota of 0: %+v", o[0])
	}
	o = []plan.Finding{{ID: idDeviceLimit, Status: plan.FindingOK}}
	crossCheck(o, facts{deviceQuota: ptr(1)})
	if o[0].Status != plan.FindingOK {
		t.Errorf("without Intune's limit there is nothing to compare: %+v", o[0])
	}
}

// TestFullyManagedAndroidOff: androidDeviceOwnerFullyManagedEnrollmentEnabled
// false is a warning saying where to turn it on.
func TestFullyManagedAndroidOff(t *testing.T) {
	srv := fakegraph.New(t)
	body := strings.Replace(fakegraph.Fixture(fakegraph.ManagedPlay), `"androidDeviceOwnerFullyManagedEnrollmentEnabled": true`,
		`"androidDeviceOwnerFullyManagedEnrollmentEnabled": false`, 1)
	srv.Set(fakegraph.ManagedPlay, fakegraph.Route{Body: body})
	r := check(t, srv, nil)
	f := r.find(t, idFullyManaged)
	if f.Status != plan.FindingWarning || !strings.Contains(f.Detail, "Allow users to enroll corporate-owned user devices") {
		t.Errorf("fully managed off: %+v", f)
	}
	wantStatus(t, r, map[string]string{idManagedGooglePlay: "ok"})
	if got := mapFullyManaged(nil); got.Status != plan.FindingUnknown {
		t.Errorf("not reported: %+v", got)
	}
}

func TestVPPTokens(t *testing.T) {
	soon, past, later := fixedNow.AddDate(0, 0, 10), fixedNow.AddDate(0, 0, -3), fixedNow.AddDate(1, 0, 0)
	for _, tc := range []struct {
		tokens []vppToken
		status string
		title  string
	}{
		{nil, "missing", "No Apple Apps and Books (VPP) token"},
		{[]vppToken{{organization: "A", state: "valid", expires: &later}}, "ok", "Apple Apps and Books (VPP) token is valid"},
		{[]vppToken{{organization: "A", state: "valid", expires: &later}, {organization: "B", state: "valid", expires: &soon}}, "warning", `Apps and Books token "B" expires in 10 days`},
		{[]vppToken{{organization: "A", state: "valid", expires: &past}}, "missing", `Apps and Books token "A" has expired`},
		{[]vppToken{{appleID: "x@y", state: "assignedToExternalMDM", expires: &later}}, "warning", `Apps and Books token "x@y" is assigned to another MDM`},
	} {
		o := mapVPPTokens(tc.tokens, fixedNow)
		if f := o.findings[0]; f.Status != tc.status || f.Title != tc.title {
			t.Errorf("%+v: %s %q, want %s %q", tc.tokens, f.Status, f.Title, tc.status, tc.title)
		}
	}
}

func TestDevicePlatformWords(t *testing.T) {
	for os, want := range map[string]string{
		"Windows": "windows", "iOS": "ios", "iPadOS": "ios", "macOS": "macos", "Android": "android", "AndroidForWork": "android",
		"AndroidEnterprise": "android", "Linux": "linux", "Ubuntu": "linux", "Windows Mobile": "other", "visionOS": "other", "": "other",
	} {
		if got := devicePlatform(os); got != want {
			t.Errorf("%q: %s, want %s", os, got, want)
		}
	}
	for owner, want := range map[string]string{"company": "corporate", "personal": "personal", "unknown": "unknown", "": "unknown"} {
		if got := deviceOwnership(owner); got != want {
			t.Errorf("%q: %s, want %s", owner, got, want)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
