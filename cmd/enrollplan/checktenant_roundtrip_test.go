package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
)

// bigTenantADE is a depOnboardingSettings answer with n tokens, the first
// three expiring within 30 days of now.
func bigTenantADE(n int, now time.Time) string {
	var items []string
	for i := range n {
		exp := now.AddDate(1, 0, i)
		if i < 3 {
			exp = now.AddDate(0, 0, 5+10*i)
		}
		items = append(items, fmt.Sprintf(`{"tokenName":"Contoso ABM token for the %02d regional office <b>[link](https://example.com)</b>","appleIdentifier":"abm-%02d@contoso.com",`+
			`"tokenType":"dep","tokenExpirationDateTime":%q,"syncedDeviceCount":%d}`, i+1, i+1, exp.UTC().Format(time.RFC3339), 40+i))
	}
	return `{"value":[` + strings.Join(items, ",") + `]}`
}

// TestCheckTenantRoundTripFiftyTokens: check-tenant's own output for a
// tenant with 50 ADE tokens, decoded as the wizard's upload decodes it and
// put in answers, builds a plan. (Before, the ADE finding ran over 1,000
// characters and the upload refused the very file check-tenant printed.)
//
// ENROLLPLAN_WRITE_TENANT_CHECK=path also writes the output there: that is
// how web/testdata/tenant-check-50-ade.json was made.
func TestCheckTenantRoundTripFiftyTokens(t *testing.T) {
	srv := fakegraph.New(t)
	srv.Set(fakegraph.DEPOnboarding, fakegraph.Route{Body: bigTenantADE(50, time.Now())})
	code, out, errs := cli(t, "", graphEnv(srv), "check-tenant")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if path := os.Getenv("ENROLLPLAN_WRITE_TENANT_CHECK"); path != "" {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tc, err := plan.DecodeTenantCheck([]byte(out)) // as POST /wizard/tenant-check/upload does
	if err != nil {
		t.Fatalf("the upload refuses check-tenant's own output: %v", err)
	}
	var ade plan.Finding
	for _, f := range tc.Findings {
		if f.ID == "apple-business-manager" {
			ade = f
		}
		for _, s := range []string{f.Title, f.Detail, f.Permission} {
			if n := utf8.RuneCountInString(s); n > plan.MaxFindingText {
				t.Errorf("%s: %d characters", f.ID, n)
			}
		}
	}
	if ade.Status != plan.FindingWarning || ade.Title != "Automatic Device Enrollment tokens: needs attention" ||
		!strings.HasPrefix(ade.Detail, plan.FromUploadedFile+`"Contoso ABM token for the 01 regional office`) || !strings.Contains(ade.Detail, "more tokens, later to expire") {
		t.Errorf("ADE finding %+v", ade)
	}
	if len(tc.Tenant.Expiries) != 52 { // the push certificate, 50 ADE tokens, the VPP token
		t.Errorf("tenant.expiries holds %d, want 52", len(tc.Tenant.Expiries))
	}

	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../examples/northwind.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := cat.DecodeAnswers(data)
	if err != nil {
		t.Fatal(err)
	}
	a.TenantCheck = tc
	// Saved and read back, as a draft or the API carries the answers.
	saved, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	a, err = cat.DecodeAnswers(saved)
	if err != nil {
		t.Fatalf("answers holding the check are refused: %v", err)
	}
	p, err := cat.Build(a)
	if err != nil {
		t.Fatalf("no plan from answers holding the check: %v", err)
	}
	if p.TenantCheck == nil || len(p.TenantCheck.Findings) != len(tc.Findings) {
		t.Errorf("the plan does not carry the check's findings: %+v", p.TenantCheck)
	}
}
