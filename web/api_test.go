package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// countingStore counts calls, to prove malformed ids never reach the database.
type countingStore struct {
	store.Store
	calls  atomic.Int64
	mu     sync.Mutex
	drafts [][]byte // every draft saved, for tests that look for leaks
}

func (c *countingStore) SaveDraft(ctx context.Context, d store.Draft) error {
	c.mu.Lock()
	c.drafts = append(c.drafts, d.Data)
	c.mu.Unlock()
	return c.Store.SaveDraft(ctx, d)
}

func (c *countingStore) GetPlan(ctx context.Context, id string) (store.Plan, error) {
	c.calls.Add(1)
	return c.Store.GetPlan(ctx, id)
}

type testEnv struct {
	srv   *httptest.Server
	store *countingStore
}

func newEnv(t *testing.T, limit int) *testEnv {
	t.Helper()
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cs := &countingStore{Store: db}
	s := New(Options{Store: cs, Catalog: cat, CreateLimit: limit, SessionKeys: []string{strings.Repeat("k", 40)}})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &testEnv{srv: ts, store: cs}
}

func exampleAnswers(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("../examples/mixed-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (e *testEnv) do(t testing.TB, method, path, body string, headers ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

func (e *testEnv) create(t testing.TB) createdPlan {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/plans", exampleAnswers(t))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestComputePlan(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, "POST", "/api/v1/plan", exampleAnswers(t))
	if r.status != 200 || !strings.HasPrefix(r.body, `{"schema":"enrollplan.plan/v1"`) {
		t.Fatalf("compact JSON by default: %d %s", r.status, r.body[:min(200, len(r.body))])
	}
	if r := e.do(t, "POST", "/api/v1/plan?pretty=1", exampleAnswers(t)); !strings.Contains(r.body, `"schema": "enrollplan.plan/v1"`) {
		t.Fatalf("?pretty=1 indents: %s", r.body[:min(200, len(r.body))])
	}
	bad := strings.Replace(exampleAnswers(t), `"platform": "ios"`, `"platform": "palmos"`, 1)
	r = e.do(t, "POST", "/api/v1/plan", bad)
	var body struct{ Errors []fieldError }
	json.Unmarshal([]byte(r.body), &body)
	if r.status != 422 || len(body.Errors) == 0 || body.Errors[0].Field != "populations[0].platform" || !strings.Contains(body.Errors[0].Message, "palmos") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestPlanLifecycle(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, "POST", "/api/v1/plans", exampleAnswers(t))
	if r.status != 201 {
		t.Fatalf("create %d %s", r.status, r.body)
	}
	var c createdPlan
	json.Unmarshal([]byte(r.body), &c)
	if c.Revision != 1 || !store.ValidID(c.ID) || len(c.EditKey) < 40 || c.URL != e.srv.URL+"/p/"+c.ID || !strings.HasPrefix(c.EditURL, e.srv.URL+"/p/"+c.ID+"/edit") {
		t.Fatalf("created: %+v", c)
	}
	if loc := r.header.Get("Location"); loc != e.srv.URL+"/api/v1/plans/"+c.ID {
		t.Fatalf("Location %q", loc)
	}
	// The tracker link carries the same key in its fragment, and opens the tracker.
	if c.TrackerURL != e.srv.URL+"/p/"+c.ID+"/progress#key="+c.EditKey {
		t.Fatalf("tracker_url %q", c.TrackerURL)
	}
	if tr := e.do(t, "GET", strings.TrimPrefix(strings.Split(c.TrackerURL, "#")[0], e.srv.URL), ""); tr.status != 200 {
		t.Fatalf("the tracker page answers %d", tr.status)
	}

	r = e.do(t, "GET", "/api/v1/plans/"+c.ID, "")
	if r.status != 200 || r.header.Get("ETag") != `"1"` || !strings.Contains(r.body, `"answers"`) || !strings.Contains(r.body, `"plan"`) {
		t.Fatalf("get %d %v", r.status, r.header)
	}
	if strings.Contains(r.body, c.EditKey) {
		t.Fatal("the edit key is shown again")
	}

	put := func(key, ifMatch, body string) resp {
		h := []string{}
		if key != "" {
			h = append(h, "Authorization", "Bearer "+key)
		}
		if ifMatch != "" {
			h = append(h, "If-Match", ifMatch)
		}
		return e.do(t, "PUT", "/api/v1/plans/"+c.ID, body, h...)
	}
	changed := strings.Replace(exampleAnswers(t), "Contoso Ltd", "Contoso Group", 1)
	if r = put("", `"1"`, changed); r.status != 401 {
		t.Fatalf("no key: %d", r.status)
	}
	if r = put("wrong-key", `"1"`, changed); r.status != 403 {
		t.Fatalf("wrong key: %d", r.status)
	}
	if r = put(c.EditKey, "", changed); r.status != 428 {
		t.Fatalf("no If-Match: %d", r.status)
	}
	if r = put(c.EditKey, `"1"`, `{"schema":"enrollplan.answers/v1"}`); r.status != 422 {
		t.Fatalf("bad answers: %d", r.status)
	}
	if r = put(c.EditKey, `"1"`, changed); r.status != 200 || r.header.Get("ETag") != `"2"` || !strings.Contains(r.body, "Contoso Group") {
		t.Fatalf("update: %d %s", r.status, r.body[:min(200, len(r.body))])
	}
	if r = put(c.EditKey, `"1"`, changed); r.status != 412 {
		t.Fatalf("stale: %d", r.status)
	}

	// Share link: HTML, formats, revisions, capability headers.
	share := strings.TrimPrefix(c.URL, e.srv.URL)
	r = e.do(t, "GET", share, "")
	if r.status != 200 || !strings.Contains(r.body, "Contoso Group") || !strings.Contains(r.body, "Revision 1") {
		t.Fatalf("share %d", r.status)
	}
	for k, v := range map[string]string{"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow", "Cache-Control": "private, no-cache"} {
		if r.header.Get(k) != v {
			t.Errorf("share header %s = %q, want %q", k, r.header.Get(k), v)
		}
	}
	for ext, want := range map[string]string{".md": "# Intune enrollment plan: Contoso Group", ".csv": "phase,population,actor,task,source", ".json": `"enrollplan.plan/v1"`} {
		r = e.do(t, "GET", share+ext, "")
		if r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("share%s: %d", ext, r.status)
		}
	}
	if page := e.do(t, "GET", share, ""); !strings.Contains(page.body, `href="/p/`+c.ID+`/print"`) {
		t.Error("the latest revision's share page has no Print link")
	}
	if pr := e.do(t, "GET", share+"/print", ""); pr.status != 200 || !strings.Contains(pr.body, "Contoso Group") || strings.Contains(pr.body, "site-header") {
		t.Errorf("share print view: %d", pr.status)
	}
	r = e.do(t, "GET", share+"/r/1", "")
	if r.status != 200 || !strings.Contains(r.body, "Contoso Ltd") || !strings.Contains(r.body, "revision 1 of 2") {
		t.Fatalf("revision 1: %d", r.status)
	}
	if !strings.Contains(r.body, `href="/p/`+c.ID+`/r/1/print"`) || strings.Contains(r.body, `href="/p/`+c.ID+`/print"`) {
		t.Error("an older revision does not offer its own print view")
	}
	if pr := e.do(t, "GET", share+"/r/1/print", ""); pr.status != 200 || !strings.Contains(pr.body, "Contoso Ltd") || strings.Contains(pr.body, "Contoso Group") {
		t.Errorf("revision 1's print view: %d, or it prints another revision", pr.status)
	}
	if r = e.do(t, "GET", share+"/r/9", ""); r.status != 404 {
		t.Fatalf("missing revision: %d", r.status)
	}

	// Revoke: 204, then 410 everywhere.
	if r = e.do(t, "DELETE", "/api/v1/plans/"+c.ID, "", "Authorization", "Bearer wrong"); r.status != 403 {
		t.Fatalf("delete wrong key: %d", r.status)
	}
	if r = e.do(t, "DELETE", "/api/v1/plans/"+c.ID, "", "Authorization", "Bearer "+c.EditKey); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	for _, p := range []string{share, share + ".md", share + "/r/1", "/api/v1/plans/" + c.ID} {
		if r = e.do(t, "GET", p, ""); r.status != 410 {
			t.Errorf("GET %s after revoke: %d", p, r.status)
		}
	}
	if r = put(c.EditKey, `"2"`, changed); r.status != 410 {
		t.Errorf("PUT after revoke: %d", r.status)
	}
}

func TestMalformedIDsNeverReachTheDatabase(t *testing.T) {
	e := newEnv(t, 0)
	before := e.store.calls.Load()
	for _, p := range []string{"/p/short", "/p/" + strings.Repeat("a", 23), "/p/AAAAAAAAAAAAAAAAAAAAA!", "/api/v1/plans/x", "/p/AAAAAAAAAAAAAAAAAAAAAA.exe", "/p/AAAAAAAAAAAAAAAAAAAA%2F/r/1"} {
		if r := e.do(t, "GET", p, ""); r.status != 404 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if n := e.store.calls.Load() - before; n != 0 {
		t.Fatalf("%d database reads for malformed ids", n)
	}
	if r := e.do(t, "GET", "/p/AAAAAAAAAAAAAAAAAAAAAA", ""); r.status != 404 {
		t.Fatalf("unknown id: %d", r.status)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	e := newEnv(t, 0)
	r := e.do(t, "POST", "/api/v1/plans", exampleAnswers(t), "Sec-Fetch-Site", "cross-site")
	if r.status != 403 {
		t.Fatalf("cross-site POST: %d", r.status)
	}
	r = e.do(t, "POST", "/api/v1/plan", exampleAnswers(t), "Origin", "https://evil.example")
	if r.status != 403 {
		t.Fatalf("foreign Origin: %d", r.status)
	}
	r = e.do(t, "POST", "/api/v1/plan", exampleAnswers(t), "Sec-Fetch-Site", "same-origin")
	if r.status != 200 {
		t.Fatalf("same-origin POST: %d", r.status)
	}
}

func TestCreateRateLimit(t *testing.T) {
	e := newEnv(t, 3)
	for i := 0; i < 3; i++ {
		e.create(t)
	}
	r := e.do(t, "POST", "/api/v1/plans", exampleAnswers(t))
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("4th create: %d Retry-After=%q", r.status, r.header.Get("Retry-After"))
	}
	// A spoofed X-Forwarded-For does not buy a new quota without trusted proxies.
	r = e.do(t, "POST", "/api/v1/plans", exampleAnswers(t), "X-Forwarded-For", "203.0.113.9")
	if r.status != 429 {
		t.Fatalf("spoofed XFF got %d", r.status)
	}
	// Computing a plan is not limited.
	if r = e.do(t, "POST", "/api/v1/plan", exampleAnswers(t)); r.status != 200 {
		t.Fatalf("compute: %d", r.status)
	}
}

// TestConcurrentUpdates: 32 writers with the same If-Match: one wins, the
// rest get 412, nothing is lost and revisions stay gapless.
func TestConcurrentUpdates(t *testing.T) {
	e := newEnv(t, 0)
	c := e.create(t)
	var wg sync.WaitGroup
	var ok, stale atomic.Int64
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.Replace(exampleAnswers(t), "Contoso Ltd", fmt.Sprintf("Writer %d", i), 1)
			r := e.do(t, "PUT", "/api/v1/plans/"+c.ID, body, "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`)
			switch r.status {
			case 200:
				ok.Add(1)
			case 412:
				stale.Add(1)
			default:
				t.Errorf("unexpected %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || stale.Load() != 31 {
		t.Fatalf("ok=%d stale=%d, want 1 and 31", ok.Load(), stale.Load())
	}
	revs, err := e.store.ListRevisions(context.Background(), c.ID)
	if err != nil || len(revs) != 2 || revs[0].Number != 1 || revs[1].Number != 2 {
		t.Fatalf("revisions %v %v", revs, err)
	}
}

// TestMalformedRequestsNeverFail5xx throws hostile input at every route.
func TestMalformedRequestsNeverFail5xx(t *testing.T) {
	e := newEnv(t, 0)
	c := e.create(t)
	big := `{"schema":"enrollplan.answers/v1","organization":"` + strings.Repeat("x", MaxBody) + `"}`
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	auth := []string{"Authorization", "Bearer " + c.EditKey, "If-Match", `"1"`}
	cases := []struct {
		method, path, body, ctype string
		headers                   []string
		want                      int
	}{
		{"POST", "/api/v1/plan", "", "application/json", nil, 422},
		{"POST", "/api/v1/plan", "{", "application/json", nil, 422},
		{"POST", "/api/v1/plan", "null", "application/json", nil, 422},
		{"POST", "/api/v1/plan", "[]", "application/json", nil, 422},
		{"POST", "/api/v1/plan", `"answers"`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", "12", "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"populations":"all"}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"populations":[{"devices":1e999}]}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"populations":[{"devices":-1}]}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"populations":[{"devices":99999999999999999999999}]}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"populations":[{"devices":true}]}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"tenant":{"entra_premium":"yes"}}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"baseline":[1,2,3]}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"rollout":{"waves":[{"start":"2027-13-45"}]}}`, "application/json", nil, 422},
		{"POST", "/api/v1/plan", deep, "application/json", nil, 422},
		{"POST", "/api/v1/plan", `{"a":` + strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 201), "application/json", nil, 422},
		{"POST", "/api/v1/plan", "\xff\xfe\x00", "application/json", nil, 422},
		{"POST", "/api/v1/plan", exampleAnswers(t) + "garbage", "application/json", nil, 422},
		{"POST", "/api/v1/plan", big, "application/json", nil, 413},
		{"POST", "/api/v1/plan", exampleAnswers(t), "text/plain", nil, 415},
		{"POST", "/api/v1/plan", exampleAnswers(t), "", nil, 415},
		{"POST", "/api/v1/plan", exampleAnswers(t), "application/x-www-form-urlencoded", nil, 415},
		{"POST", "/api/v1/plan", exampleAnswers(t), "application/json; charset=\"", nil, 415},
		{"POST", "/api/v1/plans", "{}", "text/xml", nil, 415},
		{"POST", "/api/v1/plans", big, "application/json", nil, 413},
		{"PUT", "/api/v1/plans/" + c.ID, "{}", "application/json", auth, 422},
		{"PUT", "/api/v1/plans/" + c.ID, exampleAnswers(t), "application/json", []string{"Authorization", "Bearer " + c.EditKey, "If-Match", "banana"}, 412},
		{"PUT", "/api/v1/plans/" + c.ID, exampleAnswers(t), "application/json", []string{"Authorization", "Bearer " + c.EditKey, "If-Match", `"99999999999999999999"`}, 412},
		{"PUT", "/api/v1/plans/" + c.ID, exampleAnswers(t), "application/json", []string{"Authorization", "Basic Zm9vOmJhcg=="}, 401},
		{"PUT", "/api/v1/plans/" + c.ID, exampleAnswers(t), "text/plain", auth, 415},
		{"PUT", "/api/v1/plans/../../etc/passwd", "{}", "application/json", auth, 404},
		{"DELETE", "/api/v1/plans/" + strings.Repeat("Z", 22), "", "", auth, 404},
		{"GET", "/api/v1/plans/%00", "", "", nil, 404},
		{"GET", "/p/" + c.ID + ".pdf", "", "", nil, 404},
		{"GET", "/p/" + c.ID + "/r/-1", "", "", nil, 404},
		{"GET", "/p/" + c.ID + "/r/99999999999999999999999", "", "", nil, 404},
		{"GET", "/p/" + c.ID + "/r/abc.md", "", "", nil, 404},
		{"PATCH", "/api/v1/plans/" + c.ID, "{}", "application/json", nil, 405},
		{"GET", "/api/v1/plan", "", "", nil, 405},
		{"GET", "/nowhere", "", "", nil, 404},
	}
	if len(cases) < 30 {
		t.Fatal("the table must hold at least 30 malformed requests")
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 40)]+" "+tc.ctype, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			for i := 0; i+1 < len(tc.headers); i += 2 {
				req.Header.Set(tc.headers[i], tc.headers[i+1])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 || res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %.200s", res.StatusCode, tc.want, b)
			}
			if strings.HasPrefix(tc.path, "/api/") && res.StatusCode != 405 && !strings.Contains(string(b), `"errors"`) {
				t.Fatalf("API error without an errors list: %.200s", b)
			}
		})
	}
}

func TestHealthAndSecurityHeaders(t *testing.T) {
	e := newEnv(t, 0)
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.do(t, "GET", p, ""); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	r := e.do(t, "GET", "/", "")
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

// TestAnswersStoredUnescaped: stored answers keep "<" and "&" as written
// instead of growing sixfold through \u003c escapes (issue "Hardening", H2).
func TestAnswersStoredUnescaped(t *testing.T) {
	e := newEnv(t, 0)
	body := strings.Replace(exampleAnswers(t), `"Contoso Ltd"`, `"Contoso <R&D> Ltd"`, 1)
	r := e.do(t, "POST", "/api/v1/plans", body)
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil || r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = e.do(t, "GET", "/api/v1/plans/"+c.ID, "")
	if !strings.Contains(r.body, `"organization":"Contoso <R&D> Ltd"`) || strings.Contains(r.body, `\u003c`) {
		t.Fatalf("stored answers escaped: %s", r.body[:min(300, len(r.body))])
	}
}
