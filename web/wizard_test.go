package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// planner is a browser without JavaScript: a cookie jar that does not follow redirects.
type planner struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newPlanner(t *testing.T, base string) *planner {
	jar, _ := cookiejar.New(nil)
	return &planner{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *planner) get(path string) resp {
	p.t.Helper()
	res, err := p.c.Get(p.base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	return readResp(p.t, res)
}

func (p *planner) post(path string, form url.Values) resp {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin") // as a browser sends on its own forms
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	return readResp(p.t, res)
}

func readResp(t *testing.T, res *http.Response) resp {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp{res.StatusCode, res.Header, b.String()}
}

func expectRedirect(t *testing.T, r resp, to string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != to {
		t.Fatalf("want 303 to %s, got %d to %q: %.300s", to, r.status, r.header.Get("Location"), r.body)
	}
}

func orgForm() url.Values {
	return url.Values{"organization": {"Contoso Ltd"}, "tenant.mdm_authority": {"intune"}, "tenant.admin_role": {"intune-admin"},
		"tenant.licenses_assigned": {"yes"}, "tenant.groups_ready": {"no"}, "tenant.entra_premium": {"yes"}, "tenant.configmgr": {"no"},
		"tenant.apple_mdm_push_certificate": {"unsure"}, "tenant.apple_business_manager": {"yes"}, "tenant.managed_google_play": {"no"}}
}

func devicesForm(action string) url.Values {
	return url.Values{"action": {action},
		"populations[0].name": {"Sales iPhones"}, "populations[0].platform": {"ios"}, "populations[0].ownership": {"corporate"}, "populations[0].usage": {"user"}, "populations[0].devices": {"250"}, "populations[0].enroll": {"enroll"}, "populations[0].managed_by": {"other-mdm"}, "populations[0].in_use": {"in-use"},
		"populations[1].name": {"Office laptops"}, "populations[1].platform": {"windows"}, "populations[1].ownership": {"corporate"}, "populations[1].usage": {"user"}, "populations[1].devices": {"600"}, "populations[1].enroll": {"enroll"},
	}
}

// walkToPlan answers every step validly; the wizard test below checks each
// step's failures separately.
func walkToPlan(t *testing.T, p *planner) {
	t.Helper()
	expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
	expectRedirect(t, p.post("/wizard/review", url.Values{"populations[0].method": {"ios-ade"}, "populations[1].method": {"windows-autopilot"}}), "/wizard/prerequisites")
	expectRedirect(t, p.post("/wizard/prerequisites", url.Values{"bulk_enrollment_by_staff": {"no"}, "baseline": {"compliance", "vpn"}, "baseline_custom": {"Defender onboarding"}}), "/wizard/rollout")
	expectRedirect(t, p.post("/wizard/rollout", url.Values{"rollout.pilot_group": {"Intune Pilot"}, "rollout.waves[0].name": {"Wave 1"}, "rollout.waves[0].group": {"Sales"},
		"rollout.waves[0].start.day": {"11"}, "rollout.waves[0].start.month": {"1"}, "rollout.waves[0].start.year": {"2027"},
		"rollout.waves[0].populations": {"sales-iphones", "office-laptops"}}), "/wizard/plan")
}

func TestWizardHappyPathToSharedPlan(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	if r := p.get("/"); r.status != 200 || !strings.Contains(r.body, "/wizard/new") {
		t.Fatalf("start page: %d", r.status)
	}
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	r := p.get("/wizard/organisation")
	if r.status != 200 || !strings.Contains(r.body, "Step 1 of 6") {
		t.Fatalf("step 1: %d", r.status)
	}
	walkToPlan(t, p)

	r = p.get("/wizard/plan")
	if r.status != 200 || !strings.Contains(r.body, "Contoso Ltd") || !strings.Contains(r.body, "Step 6 of 6") || !strings.Contains(r.body, "Automated Device Enrollment") {
		t.Fatalf("plan page: %d", r.status)
	}
	for _, f := range []string{"md", "csv", "json"} {
		if d := p.get("/wizard/plan." + f); d.status != 200 || d.header.Get("Content-Disposition") == "" {
			t.Errorf("download %s: %d", f, d.status)
		}
	}
	if pr := p.get("/wizard/print"); pr.status != 200 || strings.Contains(pr.body, "site-header") || !strings.Contains(pr.body, "Contoso Ltd") {
		t.Errorf("print view: %d", pr.status)
	}

	r = p.post("/wizard/save", nil)
	if r.status != 200 {
		t.Fatalf("save: %d %.300s", r.status, r.body)
	}
	share := regexp.MustCompile(`http://[^"<\s]+/p/[A-Za-z0-9_-]{22}`).FindString(r.body)
	edit := regexp.MustCompile(`http://[^"<\s]+/p/[A-Za-z0-9_-]{22}/edit#key=[A-Za-z0-9_-]+`).FindString(r.body)
	if share == "" || edit == "" {
		t.Fatalf("saved page lacks the share or edit link:\n%.2000s", r.body)
	}
	if tracker := strings.Replace(edit, "/edit#key=", "/progress#key=", 1); !strings.Contains(r.body, `href="`+tracker+`"`) {
		t.Errorf("saved page lacks the tracker link %s", tracker)
	}
	// The share link works in a fresh browser (no cookies).
	fresh := newPlanner(t, "")
	if s := fresh.get(share); s.status != 200 || !strings.Contains(s.body, "Contoso Ltd") {
		t.Fatalf("share page in a fresh browser: %d", s.status)
	}
	// The edit key is shown once: the plan page afterwards does not show it.
	if again := p.get("/wizard/plan?saved=1"); strings.Contains(again.body, "/edit#key=") || strings.Contains(again.body, "/progress#key=") {
		t.Fatal("edit link shown a second time")
	}
}

func TestWizardValidationKeepsValuesAndLinksErrors(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	f := orgForm()
	f.Set("organization", "")
	f.Set("tenant.entra_premium", "maybe")
	r := p.post("/wizard/organisation", f)
	if r.status != 422 || !strings.Contains(r.body, `href="#f-organization"`) || !strings.Contains(r.body, "Choose yes, no or not sure") {
		t.Fatalf("step 1 errors: %d %.500s", r.status, r.body)
	}
	// The summary names what to do, not a fragment that needs the field's name.
	if !strings.Contains(r.body, ">Enter the name of the organisation the plan is for<") || strings.Contains(r.body, ">is missing") {
		t.Errorf("step 1's error for a missing name is not a sentence of its own: %.2000s", r.body[strings.Index(r.body, "error-summary"):])
	}
	if !strings.Contains(r.body, "<title>Error: ") {
		t.Error("page title does not start with Error:")
	}
	expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")

	df := devicesForm("continue")
	df.Set("populations[1].devices", "lots")
	df.Set("populations[0].name", "")
	r = p.post("/wizard/devices", df)
	if r.status != 422 || !strings.Contains(r.body, "not “lots”") || !strings.Contains(r.body, `value="lots"`) || !strings.Contains(r.body, `href="#f-populations-0-name"`) {
		t.Fatalf("step 2 errors: %d %s", r.status, r.body[strings.Index(r.body, "<main"):])
	}
	df = devicesForm("continue")
	df.Set("populations[1].platform", "palmos")
	if r = p.post("/wizard/devices", df); r.status != 422 || !strings.Contains(r.body, "Office laptops: choose one of the platforms in the list") {
		t.Fatalf("bad platform: %d", r.status)
	}
	// Add another and remove come back to the step without JavaScript.
	expectRedirect(t, p.post("/wizard/devices", devicesForm("add")), "/wizard/devices?added=2#f-populations-2-name")
	if r = p.get("/wizard/devices?added=2"); r.status != 200 || !strings.Contains(r.body, `name="populations[2].name"`) {
		t.Fatalf("add another: %d", r.status)
	}
	expectRedirect(t, p.post("/wizard/devices", devicesForm("remove-0")), "/wizard/devices?removed=1#removed-row-undo")
	if r = p.get("/wizard/devices?removed=1"); r.status != 200 || strings.Contains(r.body, `name="populations[1].name"`) || !strings.Contains(r.body, "Office laptops") {
		t.Fatalf("remove: %d", r.status)
	}
	expectRedirect(t, p.post("/wizard/devices", devicesForm("continue")), "/wizard/review")
	if r = p.post("/wizard/review", url.Values{"populations[0].method": {"android-dedicated"}}); r.status != 422 {
		t.Fatalf("method for another platform accepted: %d", r.status)
	}
	expectRedirect(t, p.post("/wizard/review", url.Values{"populations[0].method": {"ios-ade"}, "populations[1].method": {"windows-autopilot"}}), "/wizard/prerequisites")
	if r = p.post("/wizard/prerequisites", url.Values{"baseline_custom": {"complience"}}); r.status != 422 || !strings.Contains(r.body, "complience") {
		t.Fatalf("step 5 errors: %d", r.status)
	}
	// The form's words, not the API's list of ids ("windows-hello", …).
	summary, _, _ := strings.Cut(r.body[strings.Index(r.body, "error-summary"):], "</div>")
	if !strings.Contains(summary, "is not one of the policies above") || strings.Contains(summary, "windows-hello") {
		t.Errorf("step 5's error for a typed id-like line names internal ids: %s", summary)
	}
	expectRedirect(t, p.post("/wizard/prerequisites", url.Values{}), "/wizard/rollout")
	r = p.post("/wizard/rollout", url.Values{"rollout.waves[0].name": {"Wave 1"}, "rollout.waves[0].group": {"Sales"}, "rollout.waves[0].populations": {"sales-iphones"},
		"rollout.waves[0].start.day": {"11"}, "rollout.waves[0].start.month": {"Jan"}, "rollout.waves[0].start.year": {"27"}})
	if r.status != 422 || !strings.Contains(r.body, "must have 4 digits") || !strings.Contains(r.body, `value="27"`) {
		t.Fatalf("step 6 errors: %d", r.status)
	}
}

func TestWizardCannotSkipSteps(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.get("/wizard/review"), "/wizard/organisation?sent_back=3")
	expectRedirect(t, p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	expectRedirect(t, p.get("/wizard/rollout"), "/wizard/devices?sent_back=5")
	expectRedirect(t, p.post("/wizard/save", nil), "/wizard/devices?sent_back=6")
	r := p.get("/wizard/devices?sent_back=5")
	if !strings.Contains(r.body, "Answer this step first") {
		t.Fatal("no message explaining why the planner was sent back")
	}
}

func TestWizardCookieAndRestart(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := []string{strings.Repeat("a", 40)}
	srv1 := httptest.NewServer(New(Options{Store: db, Catalog: cat, SessionKeys: keys}).Handler())
	p := newPlanner(t, srv1.URL)
	res := p.post("/wizard/organisation", orgForm())
	expectRedirect(t, res, "/wizard/devices")
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		cookie = c
	}
	if cookie == nil || cookie.Name != "enrollplan" || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.MaxAge != 30*24*3600 {
		t.Fatalf("cookie options: %+v", cookie)
	}
	if len(cookie.Value) > 400 {
		t.Fatalf("cookie holds more than a draft id: %d bytes", len(cookie.Value))
	}
	srv1.Close()

	// A restarted server (or another replica) with the same keys continues the draft;
	// a rotated key list keeps old cookies readable.
	srv2 := httptest.NewServer(New(Options{Store: db, Catalog: cat, SessionKeys: append([]string{strings.Repeat("b", 40)}, keys...)}).Handler())
	defer srv2.Close()
	u2, _ := url.Parse(srv2.URL)
	p.base = srv2.URL
	p.c.Jar.SetCookies(u2, []*http.Cookie{{Name: cookie.Name, Value: cookie.Value}})
	if r := p.get("/wizard/devices"); r.status != 200 || !strings.Contains(r.body, "Contoso Ltd") {
		t.Fatalf("after restart: %d", r.status)
	}
	// A tampered cookie starts afresh instead of failing.
	p.c.Jar.SetCookies(u2, []*http.Cookie{{Name: cookie.Name, Value: cookie.Value[:len(cookie.Value)-4] + "AAAA"}})
	expectRedirect(t, p.get("/wizard/devices"), "/wizard/organisation?sent_back=2")
}

func TestSecureCookieBehindTLS(t *testing.T) {
	cat, _ := plan.Load()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tls.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(Options{Store: db, Catalog: cat, SessionKeys: []string{strings.Repeat("c", 40)}, PublicURL: "https://plans.example.com"})
	req := httptest.NewRequest("POST", "/wizard/organisation", strings.NewReader(orgForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != "__Host-enrollplan" || !c[0].Secure || c[0].Path != "/" {
		t.Fatalf("cookie over TLS: %+v", c)
	}
}

func TestEditLinkAndStaleSave(t *testing.T) {
	e := newEnv(t, 0)
	c := e.create(t)
	p := newPlanner(t, e.srv.URL)
	// The key rides in the link's fragment; the page asks before it opens anything.
	path, key, ok := strings.Cut(strings.TrimPrefix(c.EditURL, e.srv.URL), "#key=")
	if !ok || key != c.EditKey || strings.Contains(path, "?") {
		t.Fatalf("edit link %q must carry the key in its fragment only", c.EditURL)
	}
	if r := p.get(path); r.status != 200 || !strings.Contains(r.body, "Contoso Ltd") || !strings.Contains(r.body, `action="/p/`+c.ID+`/edit"`) {
		t.Fatalf("edit page: %d", r.status)
	}
	if r := p.get("/wizard/plan"); r.status == 200 && strings.Contains(r.body, "Step 6 of 6") {
		t.Fatal("opening the edit link changed this browser's draft before it was confirmed")
	}
	if r := p.post(path, url.Values{"key": {key + "x"}}); r.status != 403 || !strings.Contains(r.body, "does not open this plan") {
		t.Fatalf("wrong edit key: %d", r.status)
	}
	expectRedirect(t, p.post(path, url.Values{"key": {key}}), "/wizard/plan")
	r := p.get("/wizard/plan")
	if r.status != 200 || !strings.Contains(r.body, "Contoso Ltd") {
		t.Fatalf("edit draft: %d", r.status)
	}
	// Someone else saves revision 2 through the API meanwhile.
	changed := strings.Replace(exampleAnswers(t), "Contoso Ltd", "Contoso Group", 1)
	if u := e.do(t, "PUT", "/api/v1/plans/"+c.ID, changed, "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`); u.status != 200 {
		t.Fatalf("api update: %d", u.status)
	}
	// The planner changes their copy and saves: explained, not overwritten.
	f := orgForm()
	f.Set("organization", "Contoso Europe")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	r = p.post("/wizard/save", nil)
	if r.status != 409 || !strings.Contains(r.body, "revision 2") || !strings.Contains(r.body, "/wizard/reload") {
		t.Fatalf("stale save: %d %.500s", r.status, r.body)
	}
	sp, _ := e.store.GetPlan(context.Background(), c.ID)
	if sp.Revision != 2 || !strings.Contains(string(sp.Answers), "Contoso Group") {
		t.Fatal("a stale save overwrote the newer revision")
	}
	// Saving on top, explicitly, makes revision 3.
	expectRedirect(t, p.post("/wizard/save", url.Values{"force": {"1"}}), "/wizard/plan?saved=3")
	sp, _ = e.store.GetPlan(context.Background(), c.ID)
	if sp.Revision != 3 || !strings.Contains(string(sp.Answers), "Contoso Europe") {
		t.Fatalf("forced save: revision %d", sp.Revision)
	}
	// Someone else saves again; the planner reloads instead of saving on top:
	// the draft now holds their answers and their revision.
	newer := strings.Replace(exampleAnswers(t), "Contoso Ltd", "Contoso Asia", 1)
	if u := e.do(t, "PUT", "/api/v1/plans/"+c.ID, newer, "Authorization", "Bearer "+c.EditKey, "If-Match", `"3"`); u.status != 200 {
		t.Fatalf("api update: %d", u.status)
	}
	expectRedirect(t, p.post("/wizard/reload", nil), "/wizard/plan")
	if r = p.get("/wizard/plan"); !strings.Contains(r.body, "Contoso Asia") || strings.Contains(r.body, "Contoso Europe") {
		t.Fatal("reload did not bring the latest revision into the draft")
	}
	f.Set("organization", "Contoso Asia Pacific")
	expectRedirect(t, p.post("/wizard/organisation", f), "/wizard/devices")
	expectRedirect(t, p.post("/wizard/save", nil), "/wizard/plan?saved=5") // based on revision 4: no conflict
}
