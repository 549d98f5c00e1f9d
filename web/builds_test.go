package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// buildWatch counts the plans a server builds through its bound and, once
// gated, holds each build until released.
type buildWatch struct {
	calls    atomic.Int64
	gated    atomic.Bool
	inflight atomic.Int64
	peak     atomic.Int64
	entered  chan struct{} // a gated build started
	waited   chan struct{} // a gated build waits for a slot
	release  chan struct{} // closed: gated builds go on
}

// watchBuilds wraps s's build function; use it as newTestServer's tune.
func watchBuilds(w *buildWatch) func(*Server) {
	w.entered, w.waited, w.release = make(chan struct{}, 256), make(chan struct{}, 256), make(chan struct{})
	return func(s *Server) {
		build := s.buildPlan
		s.buildPlan = func(a plan.Answers) (*plan.Plan, error) {
			w.calls.Add(1)
			if w.gated.Load() {
				n := w.inflight.Add(1)
				defer w.inflight.Add(-1)
				for p := w.peak.Load(); n > p && !w.peak.CompareAndSwap(p, n); p = w.peak.Load() {
				}
				w.entered <- struct{}{}
				<-w.release
			}
			return build(a)
		}
		s.onBuildWait = func() {
			if w.gated.Load() {
				w.waited <- struct{}{}
			}
		}
	}
}

// TestEveryBuildGoesThroughTheBound: each page and action that computes a
// plan, in the wizard and on share links, builds it through the one bound
// ("one plan built per CPU at a time", README).
func TestEveryBuildGoesThroughTheBound(t *testing.T) {
	w := &buildWatch{}
	e := newTestServer(t, nil, watchBuilds(w))
	p := newPlanner(t, e.srv.URL)
	walkToPlan(t, p)
	if r := p.upload("check.json", uploadedCheck); r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.status)
	}
	// A revision saved before snapshots: every view of it is rebuilt.
	id, err := store.NewID()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fault.CreatePlan(context.Background(), store.NewPlan{ID: id, EditKeyHash: store.HashKey("k"), Answers: []byte(exampleAnswers(t)), Ruleset: "2025.1.1"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		do   func() resp
	}{
		{"step 1 with a tenant check", func() resp { return p.get("/wizard/organisation") }},
		{"step 3", func() resp { return p.get("/wizard/review") }},
		{"step 3 post", func() resp {
			return p.post("/wizard/review", url.Values{"populations[0].method": {"ios-ade"}, "populations[1].method": {"windows-autopilot"}})
		}},
		{"step 4", func() resp { return p.get("/wizard/prerequisites") }},
		{"step 4 post with an error", func() resp { return p.post("/wizard/prerequisites", url.Values{"baseline_custom": {"complience"}}) }},
		{"step 6", func() resp { return p.get("/wizard/plan") }},
		{"step 6 download", func() resp { return p.get("/wizard/plan.md") }},
		{"step 6 print", func() resp { return p.get("/wizard/print") }},
		{"save", func() resp { return p.post("/wizard/save", nil) }},
		{"share page without a snapshot", func() resp { return p.get("/p/" + id) }},
		{"share format without a snapshot", func() resp { return p.get("/p/" + id + ".csv") }},
		{"share print without a snapshot", func() resp { return p.get("/p/" + id + "/print") }},
		{"API read without a snapshot", func() resp { return p.get("/api/v1/plans/" + id) }},
	} {
		before := w.calls.Load()
		if r := tc.do(); r.status >= 400 && r.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %.300s", tc.name, r.status, r.body)
		}
		if w.calls.Load() == before {
			t.Errorf("%s built its plan outside the bound", tc.name)
		}
	}
}

// TestConcurrentStepsStayWithinTheBound: many planners' steps at once
// never run more builds than the bound; the others queue.
func TestConcurrentStepsStayWithinTheBound(t *testing.T) {
	w := &buildWatch{}
	e := newTestServer(t, nil, watchBuilds(w))
	p := newPlanner(t, e.srv.URL)
	walkToPlan(t, p)
	bound := cap(e.server.builds)
	n := 4 * bound

	w.gated.Store(true)
	var released sync.Once
	release := func() { released.Do(func() { close(w.release) }) }
	t.Cleanup(release)
	statuses := make(chan int, n)
	var reqs sync.WaitGroup
	for range n {
		reqs.Go(func() { statuses <- p.get("/wizard/review").status })
	}
	allDone := make(chan struct{})
	go func() { reqs.Wait(); close(allDone) }()

	// Each request either builds or waits for a slot: exactly bound build.
	building := 0
	for seen := 0; seen < n; seen++ {
		select {
		case <-w.entered:
			if building++; building > bound {
				t.Fatalf("%d builds ran at once; the bound is %d", building, bound)
			}
		case <-w.waited:
		case <-allDone:
			t.Fatalf("the requests finished with %d of %d building or waiting: they built outside the bound", seen, n)
		case <-time.After(30 * time.Second):
			t.Fatalf("after %d of %d requests, nothing more built or waited", seen, n)
		}
	}
	if building != bound {
		t.Fatalf("%d builds ran while %d requests waited; want the bound, %d", building, n-building, bound)
	}
	release()
	<-allDone
	close(statuses)
	for st := range statuses {
		if st != http.StatusOK {
			t.Fatalf("a queued step answered %d", st)
		}
	}
	if got := w.peak.Load(); got > int64(bound) {
		t.Fatalf("%d builds at once, bound %d", got, bound)
	}
}

// TestBuildWaiterGivesUpWithItsRequest: a step waiting for a build slot
// stops waiting when its request ends, and builds nothing.
func TestBuildWaiterGivesUpWithItsRequest(t *testing.T) {
	w := &buildWatch{}
	e := newTestServer(t, nil, watchBuilds(w))
	p := newPlanner(t, e.srv.URL)
	walkToPlan(t, p)
	for range cap(e.server.builds) { // every slot taken
		e.server.builds <- struct{}{}
	}
	t.Cleanup(func() {
		for range cap(e.server.builds) {
			<-e.server.builds
		}
	})
	w.gated.Store(true)
	t.Cleanup(func() { close(w.release) })
	before := w.calls.Load()

	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/wizard/review", nil).WithContext(ctx)
	u, _ := url.Parse(e.srv.URL)
	for _, c := range p.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.server.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}()
	select {
	case <-w.waited:
	case <-done:
		t.Fatal("the step answered without waiting for a build slot")
	case <-time.After(30 * time.Second):
		t.Fatal("the step never waited for a build slot")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the step kept waiting after its request ended")
	}
	if got := w.calls.Load() - before; got != 0 {
		t.Fatalf("%d plans built for a request that had gone", got)
	}
	if len(e.log.lines("level=ERROR")) > 0 || len(e.log.lines("client went away", "path=/wizard/review")) != 1 {
		t.Fatalf("want the departure logged as such, not as a fault:\n%s", e.log)
	}
}

// TestChangesAreCached: /changes builds its two revisions once; asking
// again serves the same words without building.
func TestChangesAreCached(t *testing.T) {
	w := &buildWatch{}
	e := newTestServer(t, nil, watchBuilds(w))
	c := e.create(t)
	body := strings.Replace(exampleAnswers(t), `"devices": 250`, `"devices": 300`, 1)
	if r := e.do(t, "PUT", "/api/v1/plans/"+c.ID, body, "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`); r.status != http.StatusOK {
		t.Fatalf("revision 2: %d %s", r.status, r.body)
	}
	path := "/p/" + c.ID + "/changes?from=1&to=2"
	before := w.calls.Load()
	first := e.do(t, "GET", path, "")
	if first.status != http.StatusOK || !strings.Contains(first.body, "300") {
		t.Fatalf("changes: %d %.400s", first.status, first.body)
	}
	if got := w.calls.Load() - before; got != 2 {
		t.Fatalf("the first view built %d plans, want the pair", got)
	}
	second := e.do(t, "GET", path, "")
	if got := w.calls.Load() - before; got != 2 {
		t.Fatalf("asking again built %d more plans, want none", got-2)
	}
	if second.status != http.StatusOK || second.body != first.body {
		t.Fatalf("the second view differs: %d", second.status)
	}
	// A revision saved since shows in the list of a cached comparison.
	if r := e.do(t, "PUT", "/api/v1/plans/"+c.ID, exampleAnswers(t), "Authorization", "Bearer "+c.EditKey, "If-Match", `"2"`); r.status != http.StatusOK {
		t.Fatalf("revision 3: %d", r.status)
	}
	before = w.calls.Load() // the update built its own snapshot
	if third := e.do(t, "GET", path, ""); !strings.Contains(third.body, `<option value="3"`) {
		t.Fatalf("the cached comparison's page does not list revision 3: %.600s", third.body)
	}
	if got := w.calls.Load() - before; got != 0 {
		t.Fatalf("a new revision made the cached comparison build again (%d plans)", got)
	}
}

// TestCacheFillHasADeadline: a computation that hangs ends at the cache's
// fill deadline, for its caller and those waiting for it.
func TestCacheFillHasADeadline(t *testing.T) {
	c := newRenderCache(1000)
	c.fillTimeout = 50 * time.Millisecond
	_, err := c.do(context.Background(), cacheKey{id: "hangs"}, nil, func(ctx context.Context) (any, int64, error) {
		<-ctx.Done()
		return nil, 0, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a hanging fill ended with %v, want its deadline", err)
	}
}

// TestCacheWaiterHonoursItsContext: a request waiting for another's
// computation of the same key stops waiting when its own context ends,
// and the computation goes on for the others.
func TestCacheWaiterHonoursItsContext(t *testing.T) {
	c := newRenderCache(1000)
	k := cacheKey{id: "slow"}
	started, release := make(chan struct{}), make(chan struct{})
	first := make(chan any, 1)
	go func() {
		v, _ := c.do(context.Background(), k, nil, func(context.Context) (any, int64, error) {
			close(started)
			<-release
			return "v", 1, nil
		})
		first <- v
	}()
	<-started
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	waiter := make(chan error, 1)
	go func() {
		_, err := c.do(ctx, k, nil, func(context.Context) (any, int64, error) {
			t.Error("a second computation of a key in flight")
			return nil, 0, nil
		})
		waiter <- err
	}()
	select {
	case err := <-waiter:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the waiter got %v, want its context's end", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter kept waiting after its context ended")
	}
	once.Do(func() { close(release) })
	if v := <-first; v != "v" {
		t.Fatalf("the computation was lost: %v", v)
	}
	if v, ok := c.get(k, nil); !ok || v != "v" {
		t.Fatal("the computation was not cached")
	}
}

// TestReadyzTimesOut: a database that hangs makes /readyz answer 503
// within its timeout, not hang with it.
func TestReadyzTimesOut(t *testing.T) {
	e := newTestServer(t, nil, nil)
	if r := e.do(t, "GET", "/readyz", ""); r.status != http.StatusOK {
		t.Fatalf("a live database: %d", r.status)
	}
	e.fault.pingHangs.Store(true)
	client := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	res, err := client.Get(e.srv.URL + "/readyz")
	if err != nil {
		t.Fatalf("/readyz hung with the database: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a hanging database: %d, want 503", res.StatusCode)
	}
	if took := time.Since(start); took > defaultReadyTimeout+2*time.Second {
		t.Fatalf("/readyz took %v, its timeout is %v", took, defaultReadyTimeout)
	}
}
