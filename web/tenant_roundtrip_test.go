package web

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestUploadBigTenantCheckToPlan: the file check-tenant printed for a
// tenant with 50 ADE tokens (web/testdata/tenant-check-50-ade.json, made
// by cmd/enrollplan's TestCheckTenantRoundTripFiftyTokens against the fake
// Graph) is taken by the upload, and the wizard walks on to a plan with no
// step sending the planner back. Before, its ADE finding ran over 1,000
// characters: the upload refused the file, and a draft holding such a
// finding was sent back to step 2 at every step.
func TestUploadBigTenantCheckToPlan(t *testing.T) {
	data, err := os.ReadFile("testdata/tenant-check-50-ade.json")
	if err != nil {
		t.Fatal(err)
	}
	file := string(data)
	if n := strings.Count(file, `"what": "ade-token"`); n != 50 {
		t.Fatalf("the fixture holds %d ADE tokens, want 50", n)
	}
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	r := p.upload("contoso-check.json", file)
	if r.status != http.StatusSeeOther {
		t.Fatalf("upload of check-tenant's own file: %d %.500s", r.status, r.body)
	}
	r = p.get("/wizard/organisation")
	for _, want := range []string{"Automatic Device Enrollment tokens: needs attention", "From the uploaded file: "} {
		if !strings.Contains(r.body, want) {
			t.Errorf("step 1 after the upload lacks %q", want)
		}
	}
	walkToPlan(t, p) // each step answers 303 to the next, never back

	r = p.get("/wizard/plan")
	if r.status != http.StatusOK || !strings.Contains(r.body, "Step 6 of 6") {
		t.Fatalf("plan page: %d %.300s", r.status, r.body)
	}
	if !strings.Contains(r.body, "Automatic Device Enrollment tokens: needs attention") {
		t.Error("the plan does not show the uploaded check's ADE finding in the product's words")
	}
	if strings.Contains(r.body, "<b>[link]") {
		t.Error("a token name from the file reached the page as HTML")
	}
	if d := p.get("/wizard/plan.json"); d.status != http.StatusOK || !strings.Contains(d.body, "apple-business-manager") {
		t.Errorf("plan download: %d", d.status)
	}
}
