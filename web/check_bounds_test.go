package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// loopback is the admin network of tests whose clients connect directly.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// heldChecker is a tenant checker whose checks run until release is
// closed, counting the checks started.
type heldChecker struct {
	calls   atomic.Int64
	release chan struct{}
}

func newHeldChecker() *heldChecker { return &heldChecker{release: make(chan struct{})} }

func (c *heldChecker) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	c.calls.Add(1)
	select {
	case <-c.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f := plan.Finding{ID: "mdm-authority", Status: plan.FindingOK, Title: "The MDM authority is Intune"}
	return &plan.TenantCheck{Schema: plan.TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z", Tenant: plan.Tenant{MDMAuthority: "intune"}, Findings: []plan.Finding{f}}, nil
}

// TestAppCheckOnlyForAdminNetworks: the server's own credentials are
// offered only to clients in the admin networks, by the address the
// trusted-proxies logic settles on; anyone else sees no button, and a
// start answers 404 and creates nothing.
func TestAppCheckOnlyForAdminNetworks(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name    string
		admins  []netip.Prefix
		proxies []netip.Prefix
		from    string // X-Forwarded-For, "" for none
		offered bool
	}{
		{"an admin behind the proxy", []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}, proxies, "10.20.3.4", true},
		{"a visitor behind the proxy", []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}, proxies, "198.51.100.1", false},
		{"no admin networks", nil, proxies, "10.20.3.4", false},
		{"a forged X-Forwarded-For without trusted proxies", []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}, nil, "10.20.3.4", false},
		// The proxy itself is in the admin networks, but the client's
		// address cannot be settled: nobody's, not the proxy's.
		{"an unreadable X-Forwarded-For", loopback, proxies, "not-an-address", false},
		{"an admin on the machine itself", loopback, nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ck := &countingChecker{}
			e := newTestServer(t, func(o *Options) {
				o.TenantChecker, o.AdminNetworks, o.TrustedProxies = ck, tc.admins, tc.proxies
			}, nil)
			p := newPlanner(t, e.srv.URL)
			if tc.from != "" {
				p.c.Transport = fromAddr{&tc.from}
			}
			page := p.get("/wizard/organisation").body
			if strings.Contains(page, "Check my tenant") != tc.offered {
				t.Errorf("step 1 offers the check: %t, want %t", !tc.offered, tc.offered)
			}
			drafts := e.fault.savedDrafts.Load()
			r := p.post("/wizard/tenant-check", nil)
			if tc.offered {
				expectRedirect(t, r, "/wizard/tenant-check")
				e.server.checks.Wait()
				if ck.calls.Load() != 1 {
					t.Fatalf("%d checks, want 1", ck.calls.Load())
				}
				return
			}
			if r.status != http.StatusNotFound || !strings.Contains(r.body, "check-tenant") || r.header.Get("Set-Cookie") != "" {
				t.Fatalf("start: %d, cookie %q, want a plain 404: %.300s", r.status, r.header.Get("Set-Cookie"), r.body)
			}
			if ck.calls.Load() != 0 || e.fault.savedDrafts.Load() != drafts {
				t.Fatalf("a refused start still ran %d checks, saved %d drafts", ck.calls.Load(), e.fault.savedDrafts.Load()-drafts)
			}
		})
	}
}

// TestOneCheckPerDraft: eight starts of one draft arriving together run
// one check (they used to run eight); each planner lands on the progress
// page.
func TestOneCheckPerDraft(t *testing.T) {
	ck := newHeldChecker()
	e := newTestServer(t, func(o *Options) { o.TenantChecker, o.AdminNetworks, o.MaxChecks = ck, loopback, 16 }, nil)
	t.Cleanup(func() { e.server.checks.Wait() })
	defer close(ck.release)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")

	const n = 8
	var wg sync.WaitGroup
	go_ := make(chan struct{})
	statuses := make([]int, n)
	locations := make([]string, n)
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/wizard/tenant-check", nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			<-go_
			res, err := p.c.Do(req)
			if err != nil {
				statuses[i] = -1
				return
			}
			res.Body.Close()
			statuses[i], locations[i] = res.StatusCode, res.Header.Get("Location")
		})
	}
	close(go_)
	wg.Wait()
	for i := range n {
		if statuses[i] != http.StatusSeeOther || locations[i] != "/wizard/tenant-check" {
			t.Errorf("start %d: %d to %q, want 303 to the progress page", i, statuses[i], locations[i])
		}
	}
	if got := ck.calls.Load(); got != 1 {
		t.Fatalf("%d simultaneous starts of one draft ran %d checks, want 1", n, got)
	}
	if r := p.get("/wizard/tenant-check"); !strings.Contains(r.body, "Reading through Microsoft Graph") {
		t.Fatalf("progress: %.300s", r.body)
	}
}

// TestOneCheckPerDraftAcrossReplicas: a replica that finds the draft's
// check running starts none of its own.
func TestOneCheckPerDraftAcrossReplicas(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var replicas [2]*Server
	var urls [2]string
	var checkers [2]*heldChecker
	for i := range replicas {
		checkers[i] = newHeldChecker()
		replicas[i] = New(Options{Store: db, Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}, TenantChecker: checkers[i], AdminNetworks: loopback})
		ts := httptest.NewServer(replicas[i].Handler())
		t.Cleanup(ts.Close)
		t.Cleanup(func() { close(checkers[i].release); replicas[i].checks.Wait() })
		urls[i] = ts.URL
	}
	p := newPlanner(t, urls[0]) // the cookie jar keeps cookies per host, not port: both replicas get it
	expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
	expectRedirect(t, p.post("/wizard/tenant-check", nil), "/wizard/tenant-check")
	p.base = urls[1]
	expectRedirect(t, p.post("/wizard/tenant-check", nil), "/wizard/tenant-check")
	if a, b := checkers[0].calls.Load(), checkers[1].calls.Load(); a != 1 || b != 0 {
		t.Fatalf("checks: %d on the first replica, %d on the second; want 1 and 0", a, b)
	}
}

// TestMaxChecksAtOnce: past MaxChecks running checks, a start is refused
// with 429, Retry-After and words saying when to try again, and starts
// nothing; once a check ends, a start runs again.
func TestMaxChecksAtOnce(t *testing.T) {
	ck := newHeldChecker()
	e := newTestServer(t, func(o *Options) { o.TenantChecker, o.AdminNetworks, o.MaxChecks = ck, loopback, 2 }, nil)
	released := false
	t.Cleanup(func() {
		if !released {
			close(ck.release)
		}
		e.server.checks.Wait()
	})
	var planners []*planner
	for range 3 {
		p := newPlanner(t, e.srv.URL)
		expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
		planners = append(planners, p)
	}
	for _, p := range planners[:2] {
		expectRedirect(t, p.post("/wizard/tenant-check", nil), "/wizard/tenant-check")
	}
	r := planners[2].post("/wizard/tenant-check", nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "30" || !strings.Contains(r.body, "Try again in 30 seconds") {
		t.Fatalf("a third check with 2 at once: %d, Retry-After %q: %.400s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if ck.calls.Load() != 2 {
		t.Fatalf("%d checks running, want 2", ck.calls.Load())
	}
	// The refused planner's draft holds no check: the progress page sends
	// them back to step 1.
	expectRedirect(t, planners[2].get("/wizard/tenant-check"), "/wizard/organisation")

	close(ck.release)
	released = true
	e.server.checks.Wait()
	expectRedirect(t, planners[2].post("/wizard/tenant-check", nil), "/wizard/tenant-check")
	e.server.checks.Wait()
	if ck.calls.Load() != 3 {
		t.Fatalf("after the others ended: %d checks, want 3", ck.calls.Load())
	}
}

// checkerFunc is a TenantChecker from a function.
type checkerFunc func(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error)

func (f checkerFunc) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	return f(ctx, progress)
}

// TestFailedCheckNeverSaysDone: the progress page says "Done" only when
// the check read something. A check that failed, or whose every reading
// came back unknown, says what happened and fills in nothing.
func TestFailedCheckNeverSaysDone(t *testing.T) {
	unknown := func(id, perm string) plan.Finding {
		return plan.Finding{ID: id, Status: plan.FindingUnknown, Title: "Could not read " + id, Permission: perm}
	}
	ok := plan.Finding{ID: "mdm-authority", Status: plan.FindingOK, Title: "The MDM authority is Intune"}
	result := func(fs ...plan.Finding) *plan.TenantCheck {
		return &plan.TenantCheck{Schema: plan.TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z", Tenant: plan.Tenant{MDMAuthority: "intune"}, Findings: fs}
	}
	refused := []plan.Finding{unknown("organization", "Organization.Read.All"), unknown("subscribed-skus", "Organization.Read.All")}
	for _, tc := range []struct {
		name   string
		check  checkerFunc
		want   []string
		filled bool // step 1 says it was read from the tenant
	}{
		{"the sign-in failed", func(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
			return nil, errors.New("AADSTS7000215: invalid client secret for tenant 72f988bf-86f1-41af-91ab-2d7cd011db47")
		}, []string{"The tenant could not be read", "Try again in a few minutes"}, false},
		{"every reading refused", func(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
			return result(refused...), errors.New("nothing could be read from the tenant (permission)")
		}, []string{"Nothing could be read from the tenant", "Organization.Read.All"}, false},
		{"every reading unknown, no error", func(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
			return result(refused...), nil
		}, []string{"Nothing could be read from the tenant"}, false},
		{"no findings at all", func(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
			return result(), nil
		}, []string{"The tenant could not be read"}, false},
		{"the checker panicked", func(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
			panic("a reading the mapping cannot handle")
		}, []string{"The tenant could not be read"}, false},
		{"some readings made", func(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
			return result(ok, refused[0]), nil
		}, []string{"Done, in part: 1 of 2 readings were made", "The MDM authority is Intune"}, true},
		{"every reading made", func(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
			return result(ok), nil
		}, []string{"Done: the answers of step 1 are filled in"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestServer(t, func(o *Options) { o.TenantChecker, o.AdminNetworks = tc.check, loopback }, nil)
			p := newPlanner(t, e.srv.URL)
			expectRedirect(t, p.post("/wizard/new", nil), "/wizard/organisation")
			expectRedirect(t, p.post("/wizard/tenant-check", nil), "/wizard/tenant-check")
			e.server.checks.Wait()
			r := p.get("/wizard/tenant-check")
			if r.status != http.StatusOK {
				t.Fatalf("progress: %d", r.status)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.body, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			if !tc.filled && strings.Contains(r.body, "Done") {
				t.Errorf("a check that read nothing says Done: %.800s", r.body)
			}
			for _, leak := range []string{"AADSTS", "72f988bf", "panic"} {
				if strings.Contains(r.body, leak) {
					t.Errorf("the page shows %q", leak)
				}
			}
			if strings.Contains(r.body, `http-equiv="refresh"`) || !strings.Contains(r.body, "Back to step 1") {
				t.Errorf("a finished check still refreshes, or offers no way back")
			}
			if got := strings.Contains(p.get("/wizard/organisation").body, "Read from the tenant"); got != tc.filled {
				t.Errorf("step 1 filled in from the check: %t, want %t", got, tc.filled)
			}
		})
	}
}
