package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
	"github.com/enrollplan/enrollplan/internal/tenant"
	"github.com/enrollplan/enrollplan/internal/tenant/fakegraph"
	"github.com/enrollplan/enrollplan/internal/tenant/fakeidp"
	"github.com/enrollplan/enrollplan/web"
)

// doneStore tells when a draft is saved with its check finished, so the
// test waits for the background check without sleeping.
type doneStore struct {
	store.Store
	mu    sync.Mutex
	saved [][]byte
	done  chan string // draft ids, one per finished check
	// rechecked is told the plan id each time a re-check records progress.
	rechecked chan string
}

func (d *doneStore) PatchProgress(ctx context.Context, p store.ProgressPatch) (store.Progress, error) {
	got, err := d.Store.PatchProgress(ctx, p)
	if err == nil && p.By == "Tenant check" && d.rechecked != nil {
		d.rechecked <- p.PlanID
	}
	return got, err
}

func (d *doneStore) SaveDraft(ctx context.Context, dr store.Draft) error {
	err := d.Store.SaveDraft(ctx, dr)
	d.mu.Lock()
	d.saved = append(d.saved, dr.Data)
	d.mu.Unlock()
	if err == nil && (bytes.Contains(dr.Data, []byte(`"state":"done"`)) || bytes.Contains(dr.Data, []byte(`"state":"failed"`))) {
		d.done <- dr.ID
	}
	return err
}

// browser is a visitor's browser: cookies of its own, redirects taken one
// at a time, every Set-Cookie kept.
type browser struct {
	t       *testing.T
	c       *http.Client
	mu      sync.Mutex
	cookies []string
}

func newBrowser(t *testing.T, idp *fakeidp.Server) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t}
	b.c = &http.Client{Jar: jar, Transport: b.record(idp.Client().Transport),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (b *browser) record(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		res, err := next.RoundTrip(r)
		if err == nil {
			b.mu.Lock()
			b.cookies = append(b.cookies, res.Header.Values("Set-Cookie")...)
			b.mu.Unlock()
		}
		return res, err
	})
}

type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(method, u string, form url.Values) page {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req, _ = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	} else {
		req, _ = http.NewRequest(method, u, nil)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(res.Body)
	return page{res.StatusCode, res.Header.Get("Location"), body.String()}
}

// signInE2E is the real "Sign in with Microsoft": the server as serve wires
// it (signInProvider, internal/tenant's MSAL client and Checker) against the
// stand-in identity provider and the stand-in Graph.
type signInE2E struct {
	idp    *fakeidp.Server
	graph  *fakegraph.Server
	swap   *fakegraph.TokenSwap
	base   string
	store  *doneStore
	dbPath string
	logs   *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func newSignInE2E(t *testing.T) *signInE2E {
	t.Helper()
	e := &signInE2E{idp: fakeidp.New(t), graph: fakegraph.New(t), logs: &syncBuffer{}}
	e.swap = &fakegraph.TokenSwap{Want: e.idp.AccessToken}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env := map[string]string{"ENROLLPLAN_SIGNIN_CLIENT_ID": fakeidp.ClientID, "ENROLLPLAN_SIGNIN_CLIENT_SECRET": fakeidp.ClientSecret,
		"ENROLLPLAN_GRAPH_URL": e.graph.Root()}
	provider, err := signInProvider("", func(k string) string { return env[k] }, log,
		tenant.DelegatedConfig{AuthorityURL: e.idp.URL, HTTPClient: e.idp.HTTPClient(), Transport: e.swap})
	if err != nil || provider == nil {
		t.Fatalf("provider %v, %v", provider, err)
	}
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	e.dbPath = filepath.Join(t.TempDir(), "enrollplan.db")
	db, err := sqlite.Open(context.Background(), e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.store = &doneStore{Store: db, done: make(chan string, 16), rechecked: make(chan string, 16)}
	srv := web.New(web.Options{Log: log, Store: e.store, Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}, SignIn: provider})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.base = ts.URL
	e.idp.RedirectURIs = []string{ts.URL + "/auth/callback"}
	return e
}

// signIn takes a browser from step 1's button through the identity
// provider and back, returning the server's answer to the return.
func (e *signInE2E) signIn(t *testing.T, b *browser, cloud string) page {
	t.Helper()
	start := b.do("POST", e.base+"/auth/signin", url.Values{"tenant.cloud": {cloud}})
	if start.status != http.StatusSeeOther {
		t.Fatalf("sign-in start: %d %.300s", start.status, start.body)
	}
	at := b.do("GET", start.location, nil) // the identity provider
	if at.status != http.StatusFound {
		t.Fatalf("authorize: %d %.300s", at.status, at.body)
	}
	return b.do("GET", at.location, nil) // back at /auth/callback
}

// leaks reports where s is: a Set-Cookie, the log, the database file.
func (e *signInE2E) leaks(s string, browsers ...*browser) []string {
	var where []string
	for _, b := range browsers {
		b.mu.Lock()
		for _, c := range b.cookies {
			if strings.Contains(c, s) {
				where = append(where, "Set-Cookie")
			}
		}
		b.mu.Unlock()
	}
	if strings.Contains(e.logs.String(), s) {
		where = append(where, "log")
	}
	e.store.mu.Lock()
	for _, d := range e.store.saved {
		if bytes.Contains(d, []byte(s)) {
			where = append(where, "a saved draft")
		}
	}
	e.store.mu.Unlock()
	for _, f := range []string{e.dbPath, e.dbPath + "-wal"} {
		if data, err := os.ReadFile(f); err == nil && bytes.Contains(data, []byte(s)) {
			where = append(where, filepath.Base(f))
		}
	}
	return where
}

// TestSignInWithMicrosoftEndToEnd: a visitor signs in with Microsoft
// through the real MSAL-based provider (authority /organizations of the
// cloud they chose, PKCE S256 with the verifier checked by the identity
// provider, state, nonce) and the real Checker reads the stand-in Graph
// with the visitor's own delegated token; the findings fill that visitor's
// step 1 only. No token, code or verifier is in a cookie, the log or the
// database.
func TestSignInWithMicrosoftEndToEnd(t *testing.T) {
	e := newSignInE2E(t)
	alice, bob := newBrowser(t, e.idp), newBrowser(t, e.idp)
	if r := bob.do("POST", e.base+"/wizard/organisation", url.Values{"organization": {"Bob's"}, "tenant.mdm_authority": {"configmgr"},
		"tenant.admin_role": {"other"}, "tenant.cloud": {"global"}}); r.status != http.StatusSeeOther {
		t.Fatalf("Bob's step 1: %d", r.status)
	}

	r := e.signIn(t, alice, "gcc")
	if r.status != http.StatusSeeOther || r.location != "/wizard/tenant-check" {
		t.Fatalf("return: %d to %q: %.500s", r.status, r.location, r.body)
	}
	<-e.store.done

	auth := e.idp.AuthorizeRequests()
	tok := e.idp.TokenRequests()
	if len(auth) != 1 || len(tok) != 1 || tok[0].Refused != "" {
		t.Fatalf("authorize %d, token %+v", len(auth), tok)
	}
	q := auth[0].Query()
	sum := sha256.Sum256([]byte(tok[0].CodeVerifier))
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Errorf("the verifier sent (%q) is not the one the challenge was made from", tok[0].CodeVerifier)
	}
	if auth[0].Path != "/organizations/oauth2/v2.0/authorize" || q.Get("state") == "" || q.Get("nonce") == "" ||
		!strings.Contains(q.Get("scope"), "https://graph.microsoft.com/DeviceManagementServiceConfig.Read.All") || strings.Contains(q.Get("scope"), ".default") {
		t.Errorf("authorization request %s", auth[0].String())
	}
	if e.swap.Carried.Load() == 0 || e.swap.Refused.Load() != 0 {
		t.Fatalf("Graph requests with the visitor's token: %d, without: %d", e.swap.Carried.Load(), e.swap.Refused.Load())
	}

	done := alice.do("GET", e.base+"/wizard/tenant-check", nil)
	if done.status != http.StatusOK || strings.Contains(done.body, `http-equiv="refresh"`) || !strings.Contains(done.body, "MDM authority") {
		t.Fatalf("Alice's progress: %d %.600s", done.status, done.body)
	}
	step1 := alice.do("GET", e.base+"/wizard/organisation", nil).body
	if !strings.Contains(step1, "Read from the tenant on") || !strings.Contains(step1, `value="gcc" checked`) && !strings.Contains(step1, `checked value="gcc"`) {
		t.Errorf("Alice's step 1 is not filled from her tenant (GCC kept): %.300s", step1[strings.Index(step1, "tenant-check"):])
	}
	if b := bob.do("GET", e.base+"/wizard/organisation", nil).body; strings.Contains(b, "Read from the tenant") {
		t.Fatal("Alice's findings reached Bob's draft")
	}

	if len(e.leaks("Intune")) == 0 {
		t.Fatal("the scan does not find the findings in the database: it proves nothing")
	}
	for name, secret := range map[string]string{"access token": e.idp.AccessToken, "refresh token": e.idp.RefreshToken,
		"code": tok[0].Code, "verifier": tok[0].CodeVerifier, "client secret": fakeidp.ClientSecret} {
		if where := e.leaks(secret, alice, bob); len(where) > 0 {
			t.Errorf("the %s is in %v", name, where)
		}
	}
	if !strings.Contains(e.logs.String(), "signed in with Microsoft") {
		t.Error("the log does not record the sign-in")
	}
}

// TestSignInEndToEndRefusals: with the real provider, consent refused, a
// code that expired and a code redeemed twice each end on a page in words
// (no ids, no AADSTS code, no sign-in host), and the log keeps what the
// identity provider said.
func TestSignInEndToEndRefusals(t *testing.T) {
	e := newSignInE2E(t)
	host := strings.TrimPrefix(e.idp.URL, "https://")
	clean := func(t *testing.T, body string) {
		t.Helper()
		for _, bad := range []string{fakeidp.ClientID, fakeidp.Tenant, "AADSTS", host} {
			if strings.Contains(body, bad) {
				t.Errorf("the page shows %q", bad)
			}
		}
	}

	t.Run("consent refused", func(t *testing.T) {
		b := newBrowser(t, e.idp)
		e.idp.RefuseSignIn(fakeidp.ConsentRequired)
		defer e.idp.RefuseSignIn(fakeidp.Refusal{})
		r := e.signIn(t, b, "global")
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "An administrator must approve this app first") ||
			!strings.Contains(r.body, "/auth/adminconsent?cloud=global") || !strings.Contains(r.body, "DeviceManagementServiceConfig.Read.All") {
			t.Fatalf("%d %.600s", r.status, r.body)
		}
		clean(t, r.body)
		if !strings.Contains(e.logs.String(), "AADSTS65001") {
			t.Error("the log lacks the identity provider's answer")
		}
	})
	t.Run("expired code", func(t *testing.T) {
		b := newBrowser(t, e.idp)
		start := b.do("POST", e.base+"/auth/signin", url.Values{"tenant.cloud": {"global"}})
		at := b.do("GET", start.location, nil)
		e.idp.Advance(11 * time.Minute)
		defer e.idp.Advance(-11 * time.Minute)
		r := b.do("GET", at.location, nil)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "This sign-in has expired") {
			t.Fatalf("%d %.400s", r.status, r.body)
		}
		clean(t, r.body)
	})
	t.Run("wrong client secret", func(t *testing.T) {
		b := newBrowser(t, e.idp)
		secret := e.idp.ClientSecret
		e.idp.ClientSecret = "rotated"
		defer func() { e.idp.ClientSecret = secret }()
		r := e.signIn(t, b, "global")
		if r.status != http.StatusBadGateway || !strings.Contains(r.body, "refused this server's app registration") {
			t.Fatalf("%d %.400s", r.status, r.body)
		}
		clean(t, r.body)
	})
}

// TestSignInProviderConfig: the provider is there only with a client id
// and one credential; half a configuration stops the server with words.
func TestSignInProviderConfig(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if p, err := signInProvider("", env(nil), log, tenant.DelegatedConfig{}); p != nil || err != nil {
		t.Fatalf("nothing set: %v %v", p, err)
	}
	for name, m := range map[string]map[string]string{
		"secret without id": {"ENROLLPLAN_SIGNIN_CLIENT_SECRET": "s"},
		"id alone":          {"ENROLLPLAN_SIGNIN_CLIENT_ID": "c"},
		"both credentials":  {"ENROLLPLAN_SIGNIN_CLIENT_ID": "c", "ENROLLPLAN_SIGNIN_CLIENT_SECRET": "s", "ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH": "/x"},
		"bad graph url":     {"ENROLLPLAN_SIGNIN_CLIENT_ID": "c", "ENROLLPLAN_SIGNIN_CLIENT_SECRET": "s", "ENROLLPLAN_GRAPH_URL": "http://example.com"},
	} {
		var ue usageError
		if _, err := signInProvider("", env(m), log, tenant.DelegatedConfig{}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "ENROLLPLAN_") {
			t.Errorf("%s: %v, want a usage error naming the variable", name, err)
		}
	}
	if _, err := signInProvider("", env(map[string]string{"ENROLLPLAN_SIGNIN_CLIENT_ID": "c", "ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH": filepath.Join(t.TempDir(), "none.pem")}), log, tenant.DelegatedConfig{}); err == nil {
		t.Error("a missing certificate file was accepted")
	}
	p, err := signInProvider("https://plans.example", env(map[string]string{"ENROLLPLAN_SIGNIN_CLIENT_ID": "c", "ENROLLPLAN_SIGNIN_CLIENT_SECRET": "s"}), log, tenant.DelegatedConfig{})
	if err != nil || p == nil {
		t.Fatalf("%v %v", p, err)
	}
	if o := strings.Join(p.Origins(), " "); !strings.Contains(o, "https://login.microsoftonline.com") || !strings.Contains(o, "https://login.microsoftonline.us") {
		t.Errorf("origins %s", o)
	}
}

// TestRecheckSignInEndToEnd: from a saved plan's tracker, whoever holds the
// edit link signs in through the real MSAL-based provider, and the real
// Checker reads the stand-in Graph with their own token; what it read
// becomes revision 2 of the plan (the push certificate, which the plan
// says is missing, read in place and recorded done with the date of the
// reading), and the tracker says so. No token, code or verifier is in a
// cookie, the log or the database.
func TestRecheckSignInEndToEnd(t *testing.T) {
	e := newSignInE2E(t)
	answers, err := os.ReadFile("../../examples/mixed-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(e.base+"/api/v1/plans", "application/json", bytes.NewReader(answers))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID      string `json:"id"`
		EditKey string `json:"edit_key"`
	}
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || created.ID == "" {
		t.Fatalf("create: %d", res.StatusCode)
	}
	tracker := e.base + "/p/" + created.ID + "/progress"
	alex := newBrowser(t, e.idp)
	if r := alex.do("POST", tracker+"/key", url.Values{"key": {created.EditKey}}); r.status != http.StatusSeeOther {
		t.Fatalf("edit key: %d", r.status)
	}
	if page := alex.do("GET", tracker, nil); !strings.Contains(page.body, "Sign in with Microsoft to check the tenant again") {
		t.Fatal("the tracker does not offer the sign-in")
	}

	start := alex.do("POST", tracker+"/tenant-check/signin", url.Values{})
	if start.status != http.StatusSeeOther {
		t.Fatalf("sign-in start: %d %.300s", start.status, start.body)
	}
	at := alex.do("GET", start.location, nil) // the identity provider
	back := alex.do("GET", at.location, nil)  // /auth/callback
	if back.status != http.StatusSeeOther || back.location != "/p/"+created.ID+"/progress/tenant-check" {
		t.Fatalf("return: %d to %q: %.400s", back.status, back.location, back.body)
	}
	if id := <-e.store.rechecked; id != created.ID {
		t.Fatalf("progress recorded for %s", id)
	}
	if e.swap.Carried.Load() == 0 || e.swap.Refused.Load() != 0 {
		t.Fatalf("Graph requests with the visitor's token: %d, without: %d", e.swap.Carried.Load(), e.swap.Refused.Load())
	}

	var doc struct {
		Revision int `json:"revision"`
		Answers  struct {
			Tenant struct {
				ApplePush *bool `json:"apple_mdm_push_certificate"`
			} `json:"tenant"`
		} `json:"answers"`
	}
	res, err = http.Get(e.base + "/api/v1/plans/" + created.ID)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if doc.Revision != 2 || doc.Answers.Tenant.ApplePush == nil || !*doc.Answers.Tenant.ApplePush {
		t.Fatalf("after the re-check: revision %d, push certificate %v", doc.Revision, doc.Answers.Tenant.ApplePush)
	}

	// The browser follows "Reading the tenant…" as its refresh would,
	// until it leads back to the tracker.
	progress := alex.do("GET", e.base+back.location, nil)
	for i := 0; progress.status == http.StatusOK && i < 10000; i++ {
		if !strings.Contains(progress.body, "Reading the tenant") {
			t.Fatalf("the progress page: %.300s", progress.body)
		}
		progress = alex.do("GET", e.base+back.location, nil)
	}
	if progress.status != http.StatusSeeOther {
		t.Fatalf("the progress page after the reading: %d", progress.status)
	}
	page := alex.do("GET", tracker, nil).body
	if !strings.Contains(page, "signed in with Microsoft, and is applied: it is revision 2 of the plan") || !strings.Contains(page, "Read as in place from the tenant on") {
		t.Errorf("the tracker does not say what the re-check did: %.600s", page[strings.Index(page, `id="tenant"`):])
	}

	tok := e.idp.TokenRequests()
	if len(tok) != 1 {
		t.Fatalf("token requests %+v", tok)
	}
	for name, secret := range map[string]string{"access token": e.idp.AccessToken, "refresh token": e.idp.RefreshToken,
		"code": tok[0].Code, "verifier": tok[0].CodeVerifier, "client secret": fakeidp.ClientSecret} {
		if where := e.leaks(secret, alex); len(where) > 0 {
			t.Errorf("the %s is in %v", name, where)
		}
	}
}
