package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// recheckProvider signs in through the stand-in identity provider (the
// OAuth of idpProvider) and reads "the tenant" as read: what check returns,
// once gate lets it (when set). Each check's token is kept for the test,
// and started is told when a check begins reading.
type recheckProvider struct {
	*idpProvider
	read    func() (*plan.TenantCheck, error)
	gate    chan struct{}
	started chan struct{}

	mu     sync.Mutex
	tokens []string
}

func (p *recheckProvider) Redeem(ctx context.Context, cloud, code, verifier, nonce, redirectURI string) (TenantChecker, error) {
	c, err := p.idpProvider.Redeem(ctx, cloud, code, verifier, nonce, redirectURI)
	if err != nil {
		return nil, err
	}
	return &gatedChecker{p: p, token: c.(*tokenChecker).token}, nil
}

type gatedChecker struct {
	p     *recheckProvider
	token string
}

func (c *gatedChecker) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	c.p.mu.Lock()
	c.p.tokens = append(c.p.tokens, c.token)
	c.p.mu.Unlock()
	if c.p.started != nil {
		c.p.started <- struct{}{}
	}
	if c.p.gate != nil {
		select {
		case <-c.p.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	tc, err := c.p.read()
	if tc != nil {
		for _, f := range tc.Findings {
			progress(f)
		}
	}
	return tc, err
}

func (p *recheckProvider) checks() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tokens...)
}

// readRecheckCheck is recheckCheck as the server's own check returns it.
func readRecheckCheck() (*plan.TenantCheck, error) {
	var tc plan.TenantCheck
	err := json.Unmarshal([]byte(recheckCheck), &tc)
	return &tc, err
}

// recheckSignInEnv is a server offering Sign in with Microsoft, with a
// saved plan (the recheck tests' fleet) whose tracker Alex opened with the
// edit link.
type recheckSignInEnv struct {
	*signInEnv
	api      *testEnv
	provider *recheckProvider
	id, key  string
	alex     *planner
	alexJar  *cookieRecorder
}

func newRecheckSignInEnv(t *testing.T, tune func(*Server)) *recheckSignInEnv {
	t.Helper()
	var rp *recheckProvider
	e := newSignInEnv(t, func(s *Server) {
		rp = &recheckProvider{idpProvider: s.signIn.(*idpProvider), read: readRecheckCheck}
		s.signIn = rp
		if tune != nil {
			tune(s)
		}
	})
	api := &testEnv{srv: e.srv}
	r := api.do(t, "POST", "/api/v1/plans", recheckAnswers(t))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c createdPlan
	json.Unmarshal([]byte(r.body), &c)
	re := &recheckSignInEnv{signInEnv: e, api: api, provider: rp, id: c.ID, key: c.EditKey}
	re.alex, re.alexJar = re.editor(t)
	return re
}

// editor is a browser that opened the plan's tracker with the edit link.
func (e *recheckSignInEnv) editor(t *testing.T) (*planner, *cookieRecorder) {
	t.Helper()
	p, rec := e.planner(t)
	expectRedirect(t, p.post("/p/"+e.id+"/progress/key", url.Values{"key": {e.key}}), "/p/"+e.id+"/progress")
	return p, rec
}

// startRecheck presses "Sign in with Microsoft to check the tenant again"
// and returns where the server sent the browser: the identity provider.
func (e *recheckSignInEnv) startRecheck(t *testing.T, p *planner, id string) string {
	t.Helper()
	r := p.post(recheckSignInPath(id), nil)
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.Contains(loc, "/organizations/oauth2/v2.0/authorize") {
		t.Fatalf("re-check sign-in start: %d to %q: %.300s", r.status, loc, r.body)
	}
	return loc
}

// TestRecheckSignInOnlyWithTheEditLink: the tracker offers the sign-in
// next to the upload to a browser that showed the edit key, when the server
// offers sign-in; anyone else's press is 403 and starts no sign-in; a
// server without sign-in offers none.
func TestRecheckSignInOnlyWithTheEditLink(t *testing.T) {
	e := newRecheckSignInEnv(t, nil)
	action := recheckSignInPath(e.id)
	page := e.alex.get("/p/" + e.id + "/progress")
	if !strings.Contains(page.body, `action="`+action+`"`) || !strings.Contains(page.body, "Sign in with Microsoft to check the tenant again") ||
		!strings.Contains(page.body, `action="/p/`+e.id+`/progress/tenant-check"`) {
		t.Fatal("the tracker does not offer the sign-in next to the upload to the edit link's holder")
	}
	stranger, _ := e.planner(t)
	if page := stranger.get("/p/" + e.id + "/progress"); strings.Contains(page.body, action) || strings.Contains(page.body, "Sign in with Microsoft") {
		t.Error("the sign-in is offered without the edit key")
	}
	r := stranger.post(action, nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "Only whoever holds the plan") {
		t.Errorf("a stranger's sign-in: %d %.300s", r.status, r.body)
	}
	if n := e.server.signIns.len(); n != 0 {
		t.Errorf("a refused press left %d sign-ins pending", n)
	}
	if n := len(e.idp.AuthorizeRequests()); n != 0 {
		t.Errorf("%d sign-ins reached the identity provider", n)
	}

	_, id, _, alex, _ := recheckSetup(t, nil) // no sign-in configured
	if page := alex.get("/p/" + id + "/progress"); strings.Contains(page.body, "Sign in with Microsoft") || strings.Contains(page.body, recheckSignInPath(id)) {
		t.Error("a server without sign-in offers it on the tracker")
	}
	if r := alex.post(recheckSignInPath(id), nil); r.status != http.StatusNotFound || !strings.Contains(r.body, "check-tenant") {
		t.Errorf("sign-in off: %d %.200s", r.status, r.body)
	}
}

// TestRecheckSignInAnotherBrowser: the way back from a sign-in started on
// Alex's tracker is refused in any other browser, one without the edit
// key and one with it alike: no code is redeemed and no check starts. In
// Alex's browser it then works.
func TestRecheckSignInAnotherBrowser(t *testing.T) {
	e := newRecheckSignInEnv(t, nil)
	stranger, _ := e.planner(t)
	sam, _ := e.editor(t) // also holds the edit link
	for _, other := range []struct {
		name string
		p    *planner
	}{{"without the edit key", stranger}, {"with the edit key", sam}} {
		back := e.idp.Authorize(t, e.startRecheck(t, e.alex, e.id))
		r := comeBack(t, other.p, back)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "not started in this browser") ||
			!strings.Contains(r.body, `action="`+recheckSignInPath(e.id)+`"`) || !strings.Contains(r.body, "Back to the tracker") {
			t.Errorf("%s: Alex's way back: %d %.400s", other.name, r.status, r.body)
		}
		if strings.Contains(r.body, "step 1") || !strings.Contains(r.body, "Start again from the plan&#39;s tracker") {
			t.Errorf("%s: a refusal of a tracker's sign-in sends the visitor to the wizard's step 1: %.1500s", other.name, r.body)
		}
	}
	if n := len(e.idp.TokenRequests()); n != 0 {
		t.Fatalf("%d codes redeemed for another browser", n)
	}
	if n := e.server.rechecks.len(); n != 0 || len(e.provider.checks()) != 0 {
		t.Fatalf("a check started for another browser (%d runs)", n)
	}
	if d := readSavedPlan(t, e.api, e.id); d.Revision != 1 {
		t.Fatalf("revision %d", d.Revision)
	}
	expectRedirect(t, comeBack(t, e.alex, e.idp.Authorize(t, e.startRecheck(t, e.alex, e.id))), "/p/"+e.id+"/progress/tenant-check")
	e.server.checks.Wait()
	if d := readSavedPlan(t, e.api, e.id); d.Revision != 2 {
		t.Fatalf("Alex's own sign-in: revision %d", d.Revision)
	}
}

// TestRecheckSignInApplies: Alex signs in from the tracker; the check runs
// with Alex's token and what it read is applied as an upload is: revision 2
// holds the check and the ADE token's expiry (on the schedule, with its
// renew task), the prerequisites it read are recorded with the date of the
// reading, and Alex's tracker says which revision and what was recorded.
// The token is in no cookie, log line or database row.
func TestRecheckSignInApplies(t *testing.T) {
	e := newRecheckSignInEnv(t, nil)
	sam, samJar := e.editor(t)
	authURL := e.startRecheck(t, e.alex, e.id)
	q, _ := url.Parse(authURL)
	if q.Query().Get("code_challenge_method") != "S256" || len(q.Query().Get("state")) < 43 || len(q.Query().Get("nonce")) < 43 {
		t.Errorf("authorization URL %s", authURL)
	}
	expectRedirect(t, comeBack(t, e.alex, e.idp.Authorize(t, authURL)), "/p/"+e.id+"/progress/tenant-check")
	e.server.checks.Wait()

	if got := e.provider.checks(); len(got) != 1 || got[0] != e.idp.AccessToken {
		t.Fatalf("checks run with tokens %v, want one with Alex's", got)
	}
	d := readSavedPlan(t, e.api, e.id)
	if d.Revision != 2 || d.Answers.TenantCheck == nil || d.Answers.TenantCheck.ReadAt != "2026-12-07T09:30:00Z" {
		t.Fatalf("after the check: revision %d, check %+v", d.Revision, d.Answers.TenantCheck)
	}
	hasADE := false
	for _, x := range d.Answers.Tenant.Expiries {
		hasADE = hasADE || x.What == "ade-token" && x.Name == "Contoso ABM" && x.Expires == "2027-02-15"
	}
	renew := false
	for _, tk := range d.Plan.Tasks {
		renew = renew || tk.ID == "renew.ade-token"
	}
	if !hasADE || !renew {
		t.Errorf("the ADE token's expiry: in tenant.expiries %v, renew task %v", hasADE, renew)
	}
	p := readProgress(t, e.api.do(t, "GET", "/api/v1/plans/"+e.id+"/progress", ""))
	push := p.Tasks["prereq.apple-mdm-push-certificate"]
	if push.Status != "done" || push.Note != "Read as in place from the tenant on 7 Dec 2026" || push.By != "Tenant check" || p.PlanRevision != 2 {
		t.Errorf("the push certificate read in place: %+v (revision %d)", push, p.PlanRevision)
	}

	// Alex's progress page is done: it leads to the tracker, which says so.
	expectRedirect(t, e.alex.get("/p/"+e.id+"/progress/tenant-check"), "/p/"+e.id+"/progress#tenant")
	pushTitle := latestTracker(t, e.api, e.id).Tasks["prereq.apple-mdm-push-certificate"].Title
	page := e.alex.get("/p/" + e.id + "/progress")
	for _, want := range []string{
		"The tenant was read on 7 Dec 2026, signed in with Microsoft, and is applied: it is revision 2 of the plan.",
		"Recorded as done, read in place: ",
		pushTitle + ";",
		"Intune manages 180 iOS/iPadOS corporate devices (read 7 Dec 2026)",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("Alex's tracker does not say %q: %s", want, tenantBlock(page.body))
		}
	}
	if strings.Contains(page.body, "did not succeed") {
		t.Error("a check that succeeded is shown as failed")
	}
	if page := sam.get("/p/" + e.id + "/progress"); strings.Contains(page.body, "signed in with Microsoft, and is applied") || !strings.Contains(page.body, "Read as in place from the tenant on 7 Dec 2026") {
		t.Error("Sam's tracker: want what the check recorded, without Alex's message")
	}

	if len(e.leaks(t, "Read as in place from the tenant")) == 0 {
		t.Fatal("the scan does not see what was recorded: it proves nothing")
	}
	reqs := e.idp.TokenRequests()
	for name, secret := range map[string]string{"access token": e.idp.AccessToken, "refresh token": e.idp.RefreshToken,
		"code": reqs[0].Code, "verifier": reqs[0].CodeVerifier, "nonce": q.Query().Get("nonce")} {
		if where := e.leaks(t, secret, e.alexJar, samJar); len(where) > 0 {
			t.Errorf("the %s is in %v", name, where)
		}
	}
	if n := e.server.signIns.len(); n != 0 {
		t.Errorf("%d sign-ins pending after the return", n)
	}
}

// TestRecheckSignInRunning: while a signed-in check reads, the tracker and
// the page that refreshes itself say "Reading the tenant…"; pressing the
// button again, or another editor's sign-in coming back, starts no second
// check (no code redeemed) and neither does another plan's beyond
// MaxChecks. A check that fails ends "did not succeed" in words on the
// tracker, never applied, and the plan is unchanged; one that read nothing
// says so and names the permission it lacked.
func TestRecheckSignInRunning(t *testing.T) {
	e := newRecheckSignInEnv(t, func(s *Server) { s.running = newCheckBounds(1) })
	e.provider.gate, e.provider.started = make(chan struct{}), make(chan struct{}, 4)
	e.provider.read = func() (*plan.TenantCheck, error) { return nil, errors.New("graph: connection reset by peer") }
	sam, _ := e.editor(t)
	samBack := e.idp.Authorize(t, e.startRecheck(t, sam, e.id)) // Sam starts a sign-in too, before Alex's check runs

	progress := "/p/" + e.id + "/progress/tenant-check"
	expectRedirect(t, comeBack(t, e.alex, e.idp.Authorize(t, e.startRecheck(t, e.alex, e.id))), progress)
	<-e.provider.started

	r := e.alex.get(progress)
	if r.status != http.StatusOK || !strings.Contains(r.body, "<h1>Reading the tenant…</h1>") || !strings.Contains(r.body, `http-equiv="refresh"`) {
		t.Fatalf("the progress page while reading: %d %.500s", r.status, r.body)
	}
	if strings.Contains(r.body, "reading the tenant of the plan for  through") || !strings.Contains(r.body, "reading the tenant of the plan for ") {
		t.Errorf("the progress page names no organisation: %.800s", r.body)
	}
	for _, p := range []*planner{e.alex, sam} {
		page := p.get("/p/" + e.id + "/progress")
		if !strings.Contains(page.body, "Reading the tenant…") || strings.Contains(page.body, "Sign in with Microsoft to check the tenant again</button>") {
			t.Errorf("the tracker while reading does not say so, or offers a second sign-in")
		}
	}
	expectRedirect(t, e.alex.post(recheckSignInPath(e.id), nil), progress) // pressed again: no new sign-in
	expectRedirect(t, comeBack(t, sam, samBack), progress)                 // Sam's comes back: not used
	if n := len(e.idp.TokenRequests()); n != 1 {
		t.Errorf("%d codes redeemed while one check reads, want 1", n)
	}
	if n := len(e.idp.AuthorizeRequests()); n != 2 {
		t.Errorf("%d sign-ins went to the identity provider, want Sam's and Alex's", n)
	}

	// Another plan of Alex's: the one slot is taken, so it is refused
	// before its code is redeemed.
	other := newRecheckPlan(t, e)
	r = comeBack(t, e.alex, e.idp.Authorize(t, e.startRecheck(t, e.alex, other)))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "already reading as many tenants") {
		t.Errorf("a check beyond MaxChecks: %d %.300s", r.status, r.body)
	}
	if n := len(e.idp.TokenRequests()); n != 1 {
		t.Errorf("%d codes redeemed, want still 1", n)
	}

	close(e.provider.gate)
	e.server.checks.Wait()
	if n := len(e.provider.checks()); n != 1 {
		t.Fatalf("%d checks ran, want 1", n)
	}
	expectRedirect(t, e.alex.get(progress), "/p/"+e.id+"/progress#tenant")
	tenant := tenantBlock(e.alex.get("/p/" + e.id + "/progress").body)
	if !strings.Contains(tenant, "The tenant check did not succeed") || !strings.Contains(tenant, recheckFailedText) ||
		strings.Contains(tenant, "is applied") || strings.Contains(tenant, "Done") || strings.Contains(tenant, "connection reset") {
		t.Errorf("a failed check on the tracker: %s", tenant)
	}
	if d := readSavedPlan(t, e.api, e.id); d.Revision != 1 {
		t.Errorf("a failed check made revision %d", d.Revision)
	}
	if len(e.logs.lines("tenant re-check failed", "connection reset")) == 0 {
		t.Error("the log does not say why the check failed")
	}

	// A check that read nothing: failed, and why.
	e.provider.gate, e.provider.started = nil, nil
	e.provider.read = func() (*plan.TenantCheck, error) {
		return &plan.TenantCheck{Schema: plan.TenantCheckSchema, ReadAt: "2026-12-07T09:30:00Z", Findings: []plan.Finding{
			{ID: "apple-mdm-push-certificate", Status: plan.FindingUnknown, Title: "Apple push certificate could not be read", Permission: "DeviceManagementServiceConfig.Read.All"}}}, nil
	}
	expectRedirect(t, comeBack(t, e.alex, e.idp.Authorize(t, e.startRecheck(t, e.alex, e.id))), progress)
	e.server.checks.Wait()
	tenant = tenantBlock(e.alex.get("/p/" + e.id + "/progress").body)
	if !strings.Contains(tenant, "Nothing could be read from the tenant") || !strings.Contains(tenant, "lacked the read permission DeviceManagementServiceConfig.Read.All") ||
		strings.Contains(tenant, "is applied") || strings.Contains(tenant, "Done") {
		t.Errorf("a check that read nothing: %s", tenant)
	}
	if d := readSavedPlan(t, e.api, e.id); d.Revision != 1 {
		t.Errorf("a check that read nothing made revision %d", d.Revision)
	}
}

// tenantBlock is the tracker's tenant section.
func tenantBlock(page string) string {
	i := strings.Index(page, `id="tenant"`)
	if i < 0 {
		return ""
	}
	page = page[i:]
	if j := strings.Index(page, "</section>"); j >= 0 {
		page = page[:j]
	}
	return page
}

// newRecheckPlan saves another plan and opens its tracker in Alex's browser.
func newRecheckPlan(t *testing.T, e *recheckSignInEnv) string {
	t.Helper()
	r := e.api.do(t, "POST", "/api/v1/plans", recheckAnswers(t))
	var c createdPlan
	json.Unmarshal([]byte(r.body), &c)
	expectRedirect(t, e.alex.post("/p/"+c.ID+"/progress/key", url.Values{"key": {c.EditKey}}), "/p/"+c.ID+"/progress")
	return c.ID
}

// TestRecheckSignInCreateLimit: the check a signed-in return starts counts
// against --create-limit, like the press that started the sign-in: past
// it, the return is 429 and no code is redeemed.
func TestRecheckSignInCreateLimit(t *testing.T) {
	e := newRecheckSignInEnv(t, func(s *Server) {
		s.limit = 2 // the plan's creation and the press; the check would be the third
		s.creates = s.newCreateLimiter()
	})
	r := comeBack(t, e.alex, e.idp.Authorize(t, e.startRecheck(t, e.alex, e.id)))
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many") {
		t.Fatalf("a return past the create limit: %d %.300s", r.status, r.body)
	}
	if n := len(e.idp.TokenRequests()); n != 0 {
		t.Errorf("%d codes redeemed past the limit", n)
	}
	if n := e.server.rechecks.len(); n != 0 {
		t.Errorf("%d runs remembered for a check that never started", n)
	}
}

// TestRecheckRunsBounded: the runs remembered are bounded in number and
// age, and one runs per plan.
func TestRecheckRunsBounded(t *testing.T) {
	clock := &testClock{}
	rr := newRecheckRuns(2, recheckRunKeep)
	if !rr.start(clock.Now(), "a", "x") || rr.start(clock.Now(), "a", "y") {
		t.Fatal("a second run of one plan started while the first runs")
	}
	rr.end(clock.Now(), "a", false, "applied")
	clock.Advance(1)
	if !rr.start(clock.Now(), "b", "x") {
		t.Fatal("b refused")
	}
	if !rr.start(clock.Now(), "c", "x") || rr.len() != 2 {
		t.Fatalf("c: %d remembered, want the ended a made room", rr.len())
	}
	if _, ok := rr.get(clock.Now(), "a"); ok {
		t.Error("a is still remembered")
	}
	if rr.start(clock.Now(), "d", "x") {
		t.Error("d started with the table full of running checks")
	}
	rr.end(clock.Now(), "b", true, "failed")
	clock.Advance(recheckRunKeep + 1)
	if _, ok := rr.get(clock.Now(), "b"); ok {
		t.Error("an ended run is shown past its keep")
	}
	if !rr.start(clock.Now(), "d", "x") || rr.len() != 2 {
		t.Errorf("d after b expired: %d remembered", rr.len())
	}
}
