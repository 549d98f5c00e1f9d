package web

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

const uploadedCheck = `{"schema":"enrollplan.tenant/v1","read_at":"2027-01-04T09:30:00Z",
  "tenant":{"mdm_authority":"intune","licenses_assigned":true,"entra_premium":true,"apple_mdm_push_certificate":true,"managed_google_play":false,"cloud":"global"},
  "findings":[{"id":"managed-google-play","status":"missing","title":"Managed Google Play is not connected","detail":"bindStatus is notBound.","permission":""},
              {"id":"apple-mdm-push-certificate","status":"warning","title":"The Apple MDM push certificate expires soon","detail":"Expires on 20 Jan 2027, in 16 days; renew it with the same Apple ID.","permission":""}],
  "expiries":[{"kind":"apple-push-certificate","name":"it@contoso.com","date":"2027-01-20"}]}`

// upload posts a file to step 1's upload form.
func (p *planner) upload(name, content string) resp {
	p.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("check", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", p.base+"/wizard/tenant-check/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	return readResp(p.t, res)
}

// TestUploadTenantCheck: a consultant's check-tenant file fills step 1, the
// plan says what was read and when, and a bad file gets a clear message.
func TestUploadTenantCheck(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	if r := p.get("/wizard/organisation"); !strings.Contains(r.body, `action="/wizard/tenant-check/upload"`) || strings.Contains(r.body, "Check my tenant") {
		t.Fatal("step 1 offers the upload always, and the server check only when configured")
	}
	// Before the upload, step 1 holds nothing the file says.
	if got := checkedValues(p.get("/wizard/organisation").body, "tenant.managed_google_play"); !slices.Equal(got, []string{"unsure"}) {
		t.Fatalf("before the upload, managed Google Play is %q, want [unsure]", got)
	}
	r := p.upload("contoso-check.json", uploadedCheck)
	if r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %.300s", r.status, r.body)
	}
	r = p.get("/wizard/organisation")
	// The file's titles give way to the product's words; its details say whose they are.
	for _, want := range []string{"Read from the tenant on 4 Jan 2027, 09:30 UTC", "Managed Google Play binding: not in place",
		"Apple MDM push certificate: needs attention", "From the uploaded file: Expires on 20 Jan 2027"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("step 1 after the upload lacks %q", want)
		}
	}
	// Each answer the file establishes is the checked option of its
	// question, and the only one; the questions it says nothing of stay
	// "Not sure".
	for field, want := range map[string]string{
		"tenant.mdm_authority": "intune", "tenant.cloud": "global",
		"tenant.licenses_assigned": "yes", "tenant.entra_premium": "yes", "tenant.apple_mdm_push_certificate": "yes",
		"tenant.managed_google_play": "no",
		"tenant.groups_ready":        "unsure", "tenant.configmgr": "unsure", "tenant.apple_business_manager": "unsure",
	} {
		if got := checkedValues(r.body, field); !slices.Equal(got, []string{want}) {
			t.Errorf("after the upload, %s has %q checked, want [%s]", field, got, want)
		}
	}
	for name, tc := range map[string]struct {
		content string
		want    string
	}{
		"not JSON":             {"hello", "not a tenant check"},
		"plan answers instead": {`{"schema":"enrollplan.answers/v1","organization":"x"}`, "not a tenant check"},
		"a bad status":         {`{"schema":"enrollplan.tenant/v1","findings":[{"id":"x","status":"great","title":"t"}]}`, "could not be read"},
	} {
		t.Run(name, func(t *testing.T) {
			r := p.upload("x.json", tc.content)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.want) || !strings.Contains(r.body, `id="f-check-error"`) && !strings.Contains(r.body, "check-error") {
				t.Fatalf("%d, want 422 with %q beside the field: %.400s", r.status, tc.want, r.body)
			}
		})
	}
	if r := p.upload("big.json", strings.Repeat(" ", maxCheckUpload+10<<10)); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload: %d, want 413", r.status)
	}
}

// TestUploadedSecretsGoNowhere: a file carrying Android enrollment tokens or
// company codes is refused whole, so they reach no draft and no plan.
func TestUploadedSecretsGoNowhere(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	secret := strings.Replace(uploadedCheck, `"findings"`, `"companyCodes":[{"enrollmentToken":"TOKEN-SECRET-123","qrCodeContent":"QR-SECRET"}],"findings"`, 1)
	if r := p.upload("check.json", secret); r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, "TOKEN-SECRET") {
		t.Fatalf("a file with secrets: %d", r.status)
	}
	if e.store.draftsContain("TOKEN-SECRET") {
		t.Fatal("the token reached a draft")
	}
}

// stubChecker answers like internal/tenant's Checker, one finding at a
// time: the first (saved by the time reported is closed), then, once
// release is closed, the second and the result.
type stubChecker struct {
	reported chan struct{}
	release  chan struct{}
}

func (c *stubChecker) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	f1 := plan.Finding{ID: "mdm-authority", Status: plan.FindingOK, Title: "The MDM authority is Intune"}
	progress(f1)
	close(c.reported)
	select {
	case <-c.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f2 := plan.Finding{ID: "managed-google-play", Status: plan.FindingMissing, Title: "Managed Google Play is not connected"}
	progress(f2)
	no := false
	return &plan.TenantCheck{Schema: plan.TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z",
		Tenant: plan.Tenant{MDMAuthority: "intune", ManagedGooglePlay: &no}, Findings: []plan.Finding{f1, f2}}, nil
}

// TestCheckMyTenant: with a checker configured, step 1 offers the check; its
// progress page works without JavaScript (it refreshes itself), shows the
// readings as they come, and the result fills step 1.
func TestCheckMyTenant(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ck := &stubChecker{reported: make(chan struct{}), release: make(chan struct{})}
	s := New(Options{Store: db, Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}, TenantChecker: ck, AdminNetworks: loopback})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	p := newPlanner(t, ts.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	if r := p.get("/wizard/organisation"); !strings.Contains(r.body, "Check my tenant") {
		t.Fatal("a configured server offers the check")
	}
	expectRedirect(t, p.post("/wizard/tenant-check", nil), "/wizard/tenant-check")
	<-ck.reported // the first finding is saved
	r := p.get("/wizard/tenant-check")
	if !strings.Contains(r.body, `http-equiv="refresh"`) || !strings.Contains(r.body, "The MDM authority is Intune") {
		t.Fatalf("progress while running: %.600s", r.body)
	}
	close(ck.release)
	s.checks.Wait()
	r = p.get("/wizard/tenant-check")
	if strings.Contains(r.body, `http-equiv="refresh"`) || !strings.Contains(r.body, "Managed Google Play is not connected") || !strings.Contains(r.body, "Back to step 1") {
		t.Fatalf("progress when done: %.600s", r.body)
	}
	if r = p.get("/wizard/organisation"); !strings.Contains(r.body, "Read from the tenant on 4 Jan 2027") {
		t.Fatal("the check did not fill step 1")
	}
}

// inputTag and attrPattern read the <input> elements of a page: enough
// HTML to tell which option of a question is checked, whatever order the
// attributes are written in.
var (
	inputTag    = regexp.MustCompile(`(?s)<input\b([^>]*)>`)
	attrPattern = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>=]+)))?`)
)

// checkedValues lists the values of the checked inputs named name.
func checkedValues(page, name string) []string {
	var out []string
	for _, m := range inputTag.FindAllStringSubmatch(page, -1) {
		attrs := map[string]string{}
		for _, a := range attrPattern.FindAllStringSubmatch(m[1], -1) {
			attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2] + a[3] + a[4])
		}
		if _, checked := attrs["checked"]; checked && attrs["name"] == name {
			out = append(out, attrs["value"])
		}
	}
	return out
}

// draftsContain reports whether any draft the test server saved holds s.
func (c *countingStore) draftsContain(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.drafts {
		if bytes.Contains(d, []byte(s)) {
			return true
		}
	}
	return false
}

// TestUploadWithoutTimeSaysSo: a check file without read_at never leaves a
// sentence like "Read from the tenant on ." (or "on an unknown time") in
// the wizard or the plan.
func TestUploadWithoutTimeSaysSo(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	noTime := strings.Replace(uploadedCheck, `"read_at":"2027-01-04T09:30:00Z",`, "", 1)
	if r := p.upload("contoso-check.json", noTime); r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %.300s", r.status, r.body)
	}
	page := p.get("/wizard/organisation").body
	if !strings.Contains(page, "Read from the tenant (the check does not say when).") {
		t.Errorf("step 1 does not say that the check has no time")
	}
	for _, path := range []string{"/wizard/organisation", "/wizard/prerequisites", "/wizard/plan", "/wizard/plan.md"} {
		body := html.UnescapeString(p.get(path).body)
		for _, bad := range []string{"on .", "on an unknown time", "on  "} {
			if strings.Contains(body, "tenant "+bad) || strings.Contains(body, "Read from the tenant "+bad) {
				t.Errorf("%s says %q", path, "tenant "+bad)
			}
		}
	}
}
