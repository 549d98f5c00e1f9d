package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
	"github.com/enrollplan/enrollplan/internal/tenant/fakeidp"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// idpProvider is a SignInProvider that speaks OAuth to the stand-in
// identity provider over HTTP, as internal/tenant's does through MSAL (the
// test in cmd/enrollplan runs that one), without the Graph SDK: what it
// redeems checks with tokenChecker, which says whose token it holds.
type idpProvider struct {
	idp *fakeidp.Server
}

func (p *idpProvider) AuthURL(_ context.Context, cloud, state, challenge, nonce, redirectURI string) (string, error) {
	q := url.Values{"client_id": {fakeidp.ClientID}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"https://graph.microsoft.com/.default openid profile"}, "state": {state}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}, "nonce": {nonce}}
	return p.idp.URL + "/organizations/oauth2/v2.0/authorize?" + q.Encode(), nil
}

type testOAuthError struct{ code, desc string }

func (e *testOAuthError) Error() string                   { return e.code + ": " + e.desc }
func (e *testOAuthError) OAuthError() (code, desc string) { return e.code, e.desc }

func (p *idpProvider) Redeem(ctx context.Context, cloud, code, verifier, nonce, redirectURI string) (TenantChecker, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {fakeidp.ClientID}, "client_secret": {fakeidp.ClientSecret},
		"code": {code}, "code_verifier": {verifier}, "redirect_uri": {redirectURI}, "scope": {"https://graph.microsoft.com/.default openid profile offline_access"}}
	res, err := p.idp.HTTPClient().PostForm(p.idp.URL+"/organizations/oauth2/v2.0/token", form)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Error != "" {
		return nil, &testOAuthError{body.Error, body.Description}
	}
	parts := strings.Split(body.IDToken, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Nonce string }
	json.Unmarshal(claims, &c)
	if c.Nonce != nonce {
		return nil, &testOAuthError{"invalid_id_token", "nonce"}
	}
	return &tokenChecker{token: body.AccessToken, cloud: cloud}, nil
}

func (p *idpProvider) AdminConsentURL(cloud, redirectURI string) (string, error) {
	q := url.Values{"client_id": {fakeidp.ClientID}, "scope": {"https://graph.microsoft.com/.default"}, "redirect_uri": {redirectURI}}
	return p.idp.URL + "/organizations/v2.0/adminconsent?" + q.Encode(), nil
}

func (p *idpProvider) Origins() []string { return []string{p.idp.URL} }

func (p *idpProvider) Permissions() []string {
	return []string{"Organization.Read.All", "DeviceManagementServiceConfig.Read.All", "Policy.Read.All"}
}

// tokenChecker reads "the tenant" with a visitor's token: its finding
// names the cloud, and it remembers the token for the test to compare.
type tokenChecker struct {
	token string
	cloud string
}

var signedInChecks struct {
	sync.Mutex
	tokens []string
}

func (c *tokenChecker) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	signedInChecks.Lock()
	signedInChecks.tokens = append(signedInChecks.tokens, c.token)
	signedInChecks.Unlock()
	f := plan.Finding{ID: "mdm-authority", Status: plan.FindingOK, Title: "Read with a sign-in for " + c.cloud}
	progress(f)
	return &plan.TenantCheck{Schema: plan.TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z",
		Tenant: plan.Tenant{MDMAuthority: "intune", Cloud: c.cloud}, Findings: []plan.Finding{f}}, nil
}

// signInEnv is a server offering Sign in with Microsoft through the
// stand-in identity provider, with its log and database file at hand.
type signInEnv struct {
	idp    *fakeidp.Server
	srv    *httptest.Server
	server *Server
	logs   *logBuffer
	dbPath string
	clock  *testClock
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newSignInEnv(t *testing.T, tune func(*Server)) *signInEnv {
	t.Helper()
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "signin.db")
	db, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	idp := fakeidp.New(t)
	logs := &logBuffer{}
	clock := &testClock{now: time.Now()}
	s := New(Options{Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Store: db, Catalog: cat,
		SessionKeys: []string{strings.Repeat("k", 40)}, SignIn: &idpProvider{idp: idp}, Now: clock.Now})
	if tune != nil {
		tune(s)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &signInEnv{idp: idp, srv: ts, server: s, logs: logs, dbPath: dbPath, clock: clock}
}

// cookieRecorder keeps every Set-Cookie a browser received.
type cookieRecorder struct {
	mu      sync.Mutex
	cookies []string
	next    http.RoundTripper
}

func (c *cookieRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err == nil {
		c.mu.Lock()
		c.cookies = append(c.cookies, res.Header.Values("Set-Cookie")...)
		c.mu.Unlock()
	}
	return res, err
}

func (e *signInEnv) planner(t *testing.T) (*planner, *cookieRecorder) {
	p := newPlanner(t, e.srv.URL)
	rec := &cookieRecorder{next: http.DefaultTransport}
	p.c.Transport = rec
	return p, rec
}

// startSignIn posts step 1's sign-in form and returns where the server
// sent the browser: the stand-in's authorize endpoint.
func startSignIn(t *testing.T, p *planner, cloud string) string {
	t.Helper()
	r := p.post("/auth/signin", url.Values{"tenant.cloud": {cloud}})
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.Contains(loc, "/organizations/oauth2/v2.0/authorize") {
		t.Fatalf("sign-in start: %d to %q: %.300s", r.status, loc, r.body)
	}
	return loc
}

// comeBack follows the identity provider's redirect to the callback.
func comeBack(t *testing.T, p *planner, back *url.URL) resp {
	t.Helper()
	return p.get(back.RequestURI())
}

// leaks reports where s appears: a Set-Cookie, a log line, the database.
func (e *signInEnv) leaks(t *testing.T, s string, recs ...*cookieRecorder) []string {
	t.Helper()
	var where []string
	for _, rec := range recs {
		rec.mu.Lock()
		for _, c := range rec.cookies {
			if strings.Contains(c, s) {
				where = append(where, "Set-Cookie "+c)
			}
		}
		rec.mu.Unlock()
	}
	if strings.Contains(e.logs.String(), s) {
		where = append(where, "the log")
	}
	for _, f := range []string{e.dbPath, e.dbPath + "-wal"} {
		if data, err := os.ReadFile(f); err == nil && bytes.Contains(data, []byte(s)) {
			where = append(where, f)
		}
	}
	return where
}

// TestSignInWithMicrosoft: step 1 offers the sign-in; the server sends the
// browser to the identity provider with a PKCE challenge, state and nonce,
// takes the code back for this browser's draft, redeems it with the
// verifier (the stand-in refuses any other), and the check's findings land
// in that visitor's draft only. The visitor's token is in no cookie, log
// line or database row.
func TestSignInWithMicrosoft(t *testing.T) {
	e := newSignInEnv(t, nil)
	alice, aliceCookies := e.planner(t)
	bob, bobCookies := e.planner(t)
	expectRedirect(t, bob.post("/wizard/new", nil), "/wizard/organisation")
	bob.post("/wizard/organisation", url.Values{"organization": {"Bob's"}, "tenant.mdm_authority": {"configmgr"}})

	step1 := alice.get("/wizard/organisation")
	if !strings.Contains(step1.body, `action="/auth/signin"`) || !strings.Contains(step1.body, "Sign in with Microsoft to check your tenant") {
		t.Fatalf("step 1 does not offer the sign-in: %.500s", step1.body)
	}
	if strings.Contains(step1.body, "Check my tenant") {
		t.Error("step 1 offers the server's own check, which is not configured")
	}
	// Forms may lead to the sign-in page: CSP form-action also governs
	// the redirect that answers POST /auth/signin.
	if csp := step1.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+e.idp.URL) {
		t.Errorf("CSP %q does not let the form lead to the sign-in", csp)
	}

	authURL := startSignIn(t, alice, "gcc-high") // Alice has no draft yet: the sign-in makes it
	q, _ := url.Parse(authURL)
	for _, k := range []string{"state", "code_challenge", "nonce"} {
		if len(q.Query().Get(k)) < 43 {
			t.Errorf("%s %q: want 32 random bytes", k, q.Query().Get(k))
		}
	}
	if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("redirect_uri") != e.srv.URL+"/auth/callback" {
		t.Errorf("authorization URL %s", authURL)
	}
	back := e.idp.Authorize(t, authURL)
	r := comeBack(t, alice, back)
	expectRedirect(t, r, "/wizard/tenant-check")
	e.server.checks.Wait()

	reqs := e.idp.TokenRequests()
	if len(reqs) != 1 || reqs[0].Refused != "" || reqs[0].CodeVerifier == "" {
		t.Fatalf("token requests %+v: want one, with a verifier that matched", reqs)
	}
	signedInChecks.Lock()
	used := slices.Contains(signedInChecks.tokens, e.idp.AccessToken)
	signedInChecks.Unlock()
	if !used {
		t.Fatal("the check did not run with the visitor's token")
	}
	r = alice.get("/wizard/tenant-check")
	if !strings.Contains(r.body, "Read with a sign-in for gcc-high") || strings.Contains(r.body, `http-equiv="refresh"`) {
		t.Fatalf("Alice's progress page: %.600s", r.body)
	}
	if got := checkedValues(alice.get("/wizard/organisation").body, "tenant.cloud"); !slices.Equal(got, []string{"gcc-high"}) {
		t.Errorf("Alice's step 1 cloud %v, want the one she signed in for", got)
	}
	// Bob's draft saw nothing of it.
	if r := bob.get("/wizard/organisation"); strings.Contains(r.body, "Read with a sign-in") || strings.Contains(r.body, "Read from the tenant") {
		t.Fatal("Alice's check landed in Bob's draft")
	}
	if got := checkedValues(bob.get("/wizard/organisation").body, "tenant.mdm_authority"); !slices.Equal(got, []string{"configmgr"}) {
		t.Errorf("Bob's answers changed: %v", got)
	}

	// The scan finds what is there (the finding) and not the tokens.
	if where := e.leaks(t, "Read with a sign-in for gcc-high"); len(where) == 0 {
		t.Fatal("the database scan does not see the findings: it proves nothing")
	}
	for _, secret := range []string{e.idp.AccessToken, e.idp.RefreshToken, reqs[0].Code, reqs[0].CodeVerifier, q.Query().Get("nonce")} {
		if where := e.leaks(t, secret, aliceCookies, bobCookies); len(where) > 0 {
			t.Errorf("%.24s… found in %v", secret, where)
		}
	}
	if e.server.signIns.len() != 0 {
		t.Errorf("%d sign-ins still pending after the return", e.server.signIns.len())
	}

	// The same return again: its state was used.
	if r := comeBack(t, alice, back); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Start again") {
		t.Fatalf("a used state: %d %.300s", r.status, r.body)
	}
}

// TestSignInState: a return whose state this server never issued, one
// issued for another browser's draft, and one older than ten minutes are
// each refused with a page that says to start again (400, never 5xx), and
// nothing is redeemed.
func TestSignInState(t *testing.T) {
	e := newSignInEnv(t, nil)
	alice, _ := e.planner(t)
	mallory, _ := e.planner(t)

	t.Run("unknown", func(t *testing.T) {
		r := alice.get("/auth/callback?code=abc&state=not-ours")
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "This sign-in cannot be finished here") || !strings.Contains(r.body, `action="/auth/signin"`) {
			t.Fatalf("unknown state: %d %.400s", r.status, r.body)
		}
		if r := alice.get("/auth/callback"); r.status != http.StatusBadRequest {
			t.Fatalf("no state at all: %d", r.status)
		}
	})
	t.Run("another browser", func(t *testing.T) {
		// Mallory starts a sign-in and sends Alice the way back: it must
		// not put Mallory's tenant into Alice's draft.
		expectRedirect(t, alice.post("/wizard/new", nil), "/wizard/organisation")
		back := e.idp.Authorize(t, startSignIn(t, mallory, "global"))
		r := comeBack(t, alice, back)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "not started in this browser") {
			t.Fatalf("another browser's state: %d %.400s", r.status, r.body)
		}
		if n := len(e.idp.TokenRequests()); n != 0 {
			t.Fatalf("%d codes redeemed", n)
		}
		if r := alice.get("/wizard/tenant-check"); r.status != http.StatusSeeOther {
			t.Fatalf("a check started for Alice: %d", r.status)
		}
	})
	t.Run("expired", func(t *testing.T) {
		back := e.idp.Authorize(t, startSignIn(t, alice, "global"))
		e.clock.Advance(signInTTL + time.Second)
		r := comeBack(t, alice, back)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "This sign-in has expired") {
			t.Fatalf("an expired sign-in: %d %.400s", r.status, r.body)
		}
		if n := len(e.idp.TokenRequests()); n != 0 {
			t.Fatalf("%d codes redeemed", n)
		}
	})
}

// TestSignInRefusals: consent refused (as consent_required and as
// access_denied), an expired code, a wrong-verifier refusal: each is a page
// in words with what to do, with the admin-consent advice where it
// applies, and never the tenant or client id, an AADSTS code or the
// sign-in host. The log has what the identity provider said, with the
// request id.
func TestSignInRefusals(t *testing.T) {
	e := newSignInEnv(t, nil)
	idpHost := strings.TrimPrefix(e.idp.URL, "https://")
	noIDs := func(t *testing.T, body string) {
		t.Helper()
		for _, bad := range []string{fakeidp.ClientID, fakeidp.Tenant, "AADSTS", "65001", "70008", idpHost, "consent_required", "invalid_grant"} {
			if strings.Contains(body, bad) {
				t.Errorf("the page shows %q", bad)
			}
		}
	}
	for _, tc := range []struct {
		name    string
		refusal fakeidp.Refusal
	}{{"consent required", fakeidp.ConsentRequired}, {"access denied for consent", fakeidp.AccessDeniedConsent}} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := e.planner(t)
			e.idp.RefuseSignIn(tc.refusal)
			r := comeBack(t, p, e.idp.Authorize(t, startSignIn(t, p, "global")))
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "An administrator must approve this app first") {
				t.Fatalf("%d %.500s", r.status, r.body)
			}
			link := e.srv.URL + "/auth/adminconsent?cloud=global"
			for _, want := range []string{link, "Organization.Read.All", "Policy.Read.All", "Global Administrator", "Sign in again", "check-tenant"} {
				if !strings.Contains(r.body, want) {
					t.Errorf("the consent page lacks %q", want)
				}
			}
			noIDs(t, r.body)
			id := pageRequestID(r.body)
			if lines := e.logs.lines("sign-in refused", "AADSTS65001"); len(lines) == 0 || !strings.Contains(lines[len(lines)-1], `"request_id"`) {
				t.Errorf("the log lacks the refusal with its code and request id: %v (page id %q)", lines, id)
			}

			// The administrator follows the link, approves, and comes back
			// to a page that says so; the sign-in then works.
			r = p.get("/auth/adminconsent?cloud=global")
			if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/organizations/v2.0/adminconsent") {
				t.Fatalf("admin consent link: %d to %s", r.status, r.header.Get("Location"))
			}
			r = comeBack(t, p, e.idp.Authorize(t, r.header.Get("Location")))
			if r.status != http.StatusOK || !strings.Contains(r.body, "The app is approved") {
				t.Fatalf("after approval: %d %.400s", r.status, r.body)
			}
			noIDs(t, r.body)
			expectRedirect(t, comeBack(t, p, e.idp.Authorize(t, startSignIn(t, p, "global"))), "/wizard/tenant-check")
			e.server.checks.Wait()
		})
	}
	t.Run("expired code", func(t *testing.T) {
		p, _ := e.planner(t)
		back := e.idp.Authorize(t, startSignIn(t, p, "global"))
		e.idp.Advance(11 * time.Minute) // the code outlives Microsoft's ten minutes, not the server's
		defer e.idp.Advance(-11 * time.Minute)
		r := comeBack(t, p, back)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "This sign-in has expired") || !strings.Contains(r.body, "Sign in again") {
			t.Fatalf("%d %.400s", r.status, r.body)
		}
		noIDs(t, r.body)
	})
	t.Run("declined", func(t *testing.T) {
		p, _ := e.planner(t)
		e.idp.RefuseSignIn(fakeidp.Refusal{Error: "access_denied", Description: "AADSTS65004: User declined to consent to access the app."})
		defer e.idp.RefuseSignIn(fakeidp.Refusal{})
		r := comeBack(t, p, e.idp.Authorize(t, startSignIn(t, p, "global")))
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "The sign-in was cancelled") ||
			!strings.Contains(r.body, "/auth/adminconsent?cloud=global") {
			t.Fatalf("%d %.400s", r.status, r.body)
		}
		noIDs(t, r.body)
	})
}

// TestSignInProblemWords: each refusal Entra words with an AADSTS code
// becomes the page that says what to do, and a missing permission is
// named.
func TestSignInProblemWords(t *testing.T) {
	perms := []string{"Organization.Read.All", "DeviceManagementServiceConfig.Read.All"}
	for _, tc := range []struct{ code, desc, kind, perm string }{
		{"consent_required", "AADSTS65001: The user or administrator has not consented", pages.SignInConsent, ""},
		{"invalid_grant", "AADSTS65001: The user or administrator has not consented", pages.SignInConsent, ""},
		{"access_denied", "AADSTS90094: The grant requires admin permission.", pages.SignInConsent, ""},
		{"access_denied", "AADSTS65004: User declined to consent", pages.SignInDeclined, ""},
		{"access_denied", "", pages.SignInDeclined, ""},
		{"access_denied", "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted", pages.SignInNotAllowed, ""},
		{"access_denied", "AADSTS53003: Access has been blocked by Conditional Access policies.", pages.SignInBlocked, ""},
		{"invalid_request", "AADSTS50020: User account from identity provider does not exist in tenant", pages.SignInWorkAccount, ""},
		{"invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired", pages.SignInExpired, ""},
		{"invalid_grant", "AADSTS54005: OAuth2 Authorization code was already redeemed", pages.SignInExpired, ""},
		{"invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge", pages.SignInFailed, ""},
		{"invalid_client", "AADSTS7000222: The provided client secret keys for app are expired.", pages.SignInSetup, ""},
		{"invalid_client", "AADSTS7000215: Invalid client secret provided.", pages.SignInSetup, ""},
		{"invalid_request", "AADSTS650057: Invalid resource. The client has requested access to a resource which is not listed in the requested permissions: DeviceManagementServiceConfig.Read.All", pages.SignInMissingPermission, "DeviceManagementServiceConfig.Read.All"},
		{"temporarily_unavailable", "AADSTS90033: A transient error has occurred.", pages.SignInUnreachable, ""},
		{"invalid_id_token", "nonce", pages.SignInFailed, ""},
	} {
		kind, perm := signInProblem(tc.code, tc.desc, perms)
		if kind != tc.kind || perm != tc.perm {
			t.Errorf("%s %q: %s %q, want %s %q", tc.code, tc.desc, kind, perm, tc.kind, tc.perm)
		}
	}
	// Every page of a refusal is worded, and names no code.
	e := newSignInEnv(t, nil)
	for kind := range signInStatus {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/auth/callback", nil)
		if err := e.server.renderSignIn(rec, req, kind, "dod", "DeviceManagementServiceConfig.Read.All"); err != nil {
			t.Fatal(err)
		}
		body := rec.Body.String()
		if rec.Code != signInStatus[kind] || !strings.Contains(body, "<h1>"+html.EscapeString(pages.SignInTitle(kind))+"</h1>") || strings.Contains(body, "AADSTS") {
			t.Errorf("%s: %d %.300s", kind, rec.Code, body)
		}
		if kind == pages.SignInMissingPermission && !strings.Contains(body, "DeviceManagementServiceConfig.Read.All") {
			t.Errorf("the missing permission is not named")
		}
		if kind != pages.SignInBusy && !strings.Contains(body, `<option value="dod" selected`) {
			t.Errorf("%s: the form does not keep the cloud", kind)
		}
	}
}

// TestPendingSignInsBounded: sign-ins under way are bounded in number (a
// full table refuses, saying when room comes) and in age (an expired one is
// refused on return and makes room), and a draft has one at a time.
func TestPendingSignInsBounded(t *testing.T) {
	now := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	ps := newPendingSignIns(3, 10*time.Minute)
	for i, d := range []string{"a", "b", "c"} {
		if _, ok := ps.add(now.Add(time.Duration(i)*time.Minute), "state-"+d, &pendingSignIn{draftID: d}); !ok {
			t.Fatalf("sign-in %s refused", d)
		}
	}
	wait, ok := ps.add(now.Add(3*time.Minute), "state-d", &pendingSignIn{draftID: "d"})
	if ok || wait != 7*time.Minute {
		t.Fatalf("a fourth: ok %v, wait %v; want refused until the oldest expires in 7m", ok, wait)
	}
	// A draft's second sign-in replaces its first.
	if _, ok := ps.add(now.Add(4*time.Minute), "state-a2", &pendingSignIn{draftID: "a"}); !ok || ps.len() != 3 {
		t.Fatalf("a draft's new sign-in: ok %v, %d pending", ok, ps.len())
	}
	if p, _ := ps.take(now.Add(4*time.Minute), "state-a"); p != nil {
		t.Fatal("the replaced sign-in can still be finished")
	}
	// Past the age limit, a return is expired, and new sign-ins find room.
	if p, expired := ps.take(now.Add(11*time.Minute+time.Second), "state-b"); p != nil || !expired {
		t.Fatalf("an old sign-in: %v, expired %v", p, expired)
	}
	if _, ok := ps.add(now.Add(13*time.Minute), "state-e", &pendingSignIn{draftID: "e"}); !ok || ps.len() != 2 {
		t.Fatalf("after expiry: ok %v, %d pending (want c gone too, a2 and e left)", ok, ps.len())
	}
	if p, _ := ps.take(now.Add(13*time.Minute), "state-e"); p == nil || p.draftID != "e" {
		t.Fatal("a fresh sign-in cannot be finished")
	}

	// Through HTTP: with room for two, a third visitor is told to wait.
	e := newSignInEnv(t, func(s *Server) { s.signIns = newPendingSignIns(2, signInTTL) })
	for range 2 {
		p, _ := e.planner(t)
		startSignIn(t, p, "global")
	}
	p, _ := e.planner(t)
	r := p.post("/auth/signin", url.Values{"tenant.cloud": {"global"}})
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many sign-ins") {
		t.Fatalf("a third sign-in: %d Retry-After %q %.300s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if e.server.signIns.len() != 2 {
		t.Fatalf("%d pending", e.server.signIns.len())
	}
	e.clock.Advance(signInTTL + time.Second)
	startSignIn(t, p, "global") // room again
	if e.server.signIns.len() != 1 {
		t.Fatalf("%d pending after the others expired", e.server.signIns.len())
	}
}

// TestSignInOff: a server without an app registration for sign-in offers
// none, and its sign-in addresses say so in words.
func TestSignInOff(t *testing.T) {
	e := newEnv(t, 0)
	p := newPlanner(t, e.srv.URL)
	r := p.get("/wizard/organisation")
	if strings.Contains(r.body, "/auth/signin") {
		t.Fatal("step 1 offers a sign-in the server cannot do")
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "form-action 'self'") {
		t.Errorf("CSP %q: forms widened without sign-in", csp)
	}
	for _, path := range []string{"/auth/signin", "/auth/callback?code=x&state=y", "/auth/adminconsent"} {
		if r := p.get(path); r.status != http.StatusNotFound || !strings.Contains(r.body, "check-tenant") {
			t.Errorf("%s: %d %.200s", path, r.status, r.body)
		}
	}
	if r := p.post("/auth/signin", url.Values{"tenant.cloud": {"global"}}); r.status != http.StatusNotFound {
		t.Errorf("POST /auth/signin: %d", r.status)
	}
	var oe oauthError
	if errors.As(errors.New("x"), &oe) {
		t.Fatal("a plain error reads as a refusal")
	}
}
