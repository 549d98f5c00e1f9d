package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// TestEditLinkChangesNothingCrossSite: following an edit link, even one
// with its key, only shows a page; the post that opens the plan is refused
// from another site (issue "Hardening", M4).
func TestEditLinkChangesNothingCrossSite(t *testing.T) {
	e := newEnv(t, 0)
	c := e.create(t)
	p := newPlanner(t, e.srv.URL)
	path, key, _ := strings.Cut(strings.TrimPrefix(c.EditURL, e.srv.URL), "#key=")
	if r := p.get(path + "?key=" + key); r.status != 200 || !strings.Contains(r.body, "Open for editing") {
		t.Fatalf("an older link with ?key= shows the page: %d", r.status)
	}
	if r := p.get("/wizard/plan"); strings.Contains(r.body, "Step 6 of 6") {
		t.Fatal("a GET of the edit link loaded the plan into the draft")
	}
	form := url.Values{"key": {key}}
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site post of the edit form: %d, want 403", res.StatusCode)
	}
}

// TestRequestIDsAreTheServers: a client's X-Request-Id is never trusted:
// the id a 500 page quotes and the log lines of that request carry is one
// the server made (random hex, revealing nothing of the host), and the
// client's value reaches neither (L4).
func TestRequestIDsAreTheServers(t *testing.T) {
	e := newTestServer(t, nil, nil)
	e.fault.failWith("GetPlan", errors.New("the database is on fire"))
	const clientID = "client-chosen-id-4242"
	r := e.do(t, "GET", "/p/AAAAAAAAAAAAAAAAAAAAAA/edit", "", "X-Request-Id", clientID)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("a failing store: %d, want 500", r.status)
	}
	id := pageRequestID(r.body)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Fatalf("the 500 page quotes request id %q, want the server's 16 hex digits: %.400s", id, r.body)
	}
	if strings.Contains(r.body, clientID) || strings.Contains(e.log.String(), clientID) {
		t.Fatal("the client's request id reached the page or the log")
	}
	if got := e.log.lines("request_id="+id, "request failed", "the database is on fire"); len(got) != 1 {
		t.Fatalf("want the failure logged once under the page's id %s, log:\n%s", id, e.log)
	}
	if got := e.log.lines("request_id="+id, "msg=request ", "status=500"); len(got) != 1 {
		t.Fatalf("want the access line under the same id %s, log:\n%s", id, e.log)
	}
	// Two requests never share an id.
	r2 := e.do(t, "GET", "/p/AAAAAAAAAAAAAAAAAAAAAA/edit", "", "X-Request-Id", clientID)
	if id2 := pageRequestID(r2.body); id2 == "" || id2 == id {
		t.Fatalf("second request's id %q (first %q)", id2, id)
	}
}

// TestHeadAndAllow: HEAD is answered like GET, and a 405 says what is
// allowed (L2).
func TestHeadAndAllow(t *testing.T) {
	e := newEnv(t, 0)
	for _, path := range []string{"/healthz", "/", "/wizard/organisation"} {
		if r := e.do(t, "HEAD", path, ""); r.status >= 400 {
			t.Errorf("HEAD %s: %d", path, r.status)
		}
	}
	r := e.do(t, "DELETE", "/healthz", "")
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" {
		t.Fatalf("DELETE /healthz: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
}

// TestRateKey: the create limit counts an address, never its port, and an
// IPv6 client by its /64 (L1).
func TestRateKey(t *testing.T) {
	for remote, want := range map[string]string{
		"203.0.113.7:51000":          "203.0.113.7",
		"203.0.113.7:51001":          "203.0.113.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:1":   "2001:db8:1:2::/64",
		"[::ffff:198.51.100.9]:8080": "198.51.100.9",
		"not an address":             "not an address",
	} {
		req, _ := http.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		if got := rateKey(req); got != want {
			t.Errorf("rateKey(%q) = %q, want %q", remote, got, want)
		}
	}
}

// fromAddr sends a client's requests as if from addr, through a proxy the
// server trusts (the create limit counts per client address).
type fromAddr struct{ addr *string }

func (f fromAddr) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", *f.addr)
	return http.DefaultTransport.RoundTrip(r)
}

// countingChecker is a tenant checker that answers at once and counts the
// checks started.
type countingChecker struct{ calls atomic.Int64 }

func (c *countingChecker) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	c.calls.Add(1)
	f := plan.Finding{ID: "mdm-authority", Status: plan.FindingOK, Title: "The MDM authority is Intune"}
	return &plan.TenantCheck{Schema: plan.TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z", Tenant: plan.Tenant{MDMAuthority: "intune"}, Findings: []plan.Finding{f}}, nil
}

// TestCreateLimitCoversEveryPath: every request that creates a draft, a
// plan or a revision, or starts a tenant check, counts against the one
// per-client budget (H2): each path spends it (the next create from that
// address is refused), and once it is spent each path answers 429 with the
// error page and Retry-After, and creates nothing.
func TestCreateLimitCoversEveryPath(t *testing.T) {
	type row struct {
		name  string
		setup func(t *testing.T, e *testServer, p *planner, addr *string) // from an address of its own
		do    func(t *testing.T, e *testServer, p *planner, addr string) resp
	}
	var planID, editKey string
	createPlan := func(t *testing.T, e *testServer, p *planner, addr *string) {
		r := e.do(t, "POST", "/api/v1/plans", exampleAnswers(t), "X-Forwarded-For", *addr)
		var c createdPlan
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &c) != nil {
			t.Fatalf("setup: create: %d %s", r.status, r.body)
		}
		planID, editKey = c.ID, c.EditKey
	}
	rows := []row{
		{"POST /wizard/new", nil, func(t *testing.T, e *testServer, p *planner, addr string) resp { return p.post("/wizard/new", nil) }},
		{"POST /wizard/organisation, no draft yet", nil, func(t *testing.T, e *testServer, p *planner, addr string) resp {
			return p.post("/wizard/organisation", orgForm())
		}},
		{"POST /wizard/tenant-check/upload, no draft yet", nil, func(t *testing.T, e *testServer, p *planner, addr string) resp {
			return p.upload("check.json", uploadedCheck)
		}},
		{"POST /wizard/tenant-check (Check my tenant)", nil, func(t *testing.T, e *testServer, p *planner, addr string) resp {
			return p.post("/wizard/tenant-check", nil)
		}},
		{"POST /wizard/save", func(t *testing.T, e *testServer, p *planner, addr *string) { walkToPlan(t, p) },
			func(t *testing.T, e *testServer, p *planner, addr string) resp { return p.post("/wizard/save", nil) }},
		{"POST /p/{id}/edit", createPlan, func(t *testing.T, e *testServer, p *planner, addr string) resp {
			return p.post("/p/"+planID+"/edit", url.Values{"key": {editKey}})
		}},
		{"POST /api/v1/plans", nil, func(t *testing.T, e *testServer, p *planner, addr string) resp {
			return e.do(t, "POST", "/api/v1/plans", exampleAnswers(t), "X-Forwarded-For", addr)
		}},
		{"PUT /api/v1/plans/{id}", createPlan, func(t *testing.T, e *testServer, p *planner, addr string) resp {
			body := strings.Replace(exampleAnswers(t), "Contoso Ltd", "Contoso Group", 1)
			return e.do(t, "PUT", "/api/v1/plans/"+planID, body, "X-Forwarded-For", addr, "Authorization", "Bearer "+editKey, "If-Match", `"1"`)
		}},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			ck := &countingChecker{}
			e := newTestServer(t, func(o *Options) {
				o.CreateLimit = 1
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
				o.TenantChecker = ck
				o.AdminNetworks = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")} // every address here may use the server's check
			}, nil)
			addr := "198.51.100.1"
			p := newPlanner(t, e.srv.URL)
			p.c.Transport = fromAddr{&addr}
			if tc.setup != nil {
				tc.setup(t, e, p, &addr)
			}

			// Spent elsewhere: this path is refused and creates nothing.
			addr = "203.0.113.1"
			if r := e.do(t, "POST", "/api/v1/plans", exampleAnswers(t), "X-Forwarded-For", addr); r.status != http.StatusCreated {
				t.Fatalf("spending the budget: %d", r.status)
			}
			drafts, created, checks := e.fault.savedDrafts.Load(), e.fault.created.Load(), ck.calls.Load()
			r := tc.do(t, e, p, addr)
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "wait a minute") {
				t.Fatalf("past the budget: %d, Retry-After %q: %.300s", r.status, r.header.Get("Retry-After"), r.body)
			}
			if r.header.Get("Set-Cookie") != "" || e.fault.savedDrafts.Load() != drafts || e.fault.created.Load() != created || ck.calls.Load() != checks {
				t.Fatalf("a refused request still created something: drafts %d→%d, plans/revisions %d→%d, checks %d→%d",
					drafts, e.fault.savedDrafts.Load(), created, e.fault.created.Load(), checks, ck.calls.Load())
			}

			// A fresh budget: this path spends it.
			addr = "203.0.113.2"
			if r := tc.do(t, e, p, addr); r.status >= 400 {
				t.Fatalf("within the budget: %d %.300s", r.status, r.body)
			}
			if r := e.do(t, "POST", "/api/v1/plans", exampleAnswers(t), "X-Forwarded-For", addr); r.status != http.StatusTooManyRequests {
				t.Fatalf("after %s, another create from the same address: %d, want 429 (the path did not count)", tc.name, r.status)
			}
		})
	}
}
