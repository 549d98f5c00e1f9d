package web

import (
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestCheckStormGoroutines: 120 cookieless starts of "Check my tenant" at
// once, with checks that never end on their own, leave at most
// ENROLLPLAN_MAX_CHECKS checks running and the server's goroutines within
// a stated bound of where they were (issue 16: "goroutines … bounded and
// measured in a test"; before the bound, every start left a check — and
// its goroutines — running). cmd/enrollplan's TestCheckStorm measures the
// open files and the Graph requests of the same storm in a real process.
func TestCheckStormGoroutines(t *testing.T) {
	const starts, maxChecks = 120, 4
	// A check holds one goroutine here; the server's own per-check work
	// (the claim, its deadline) may add a couple more. Connections are
	// closed after each answer, so none of theirs should stay.
	const bound = maxChecks*3 + 8
	ck := newHeldChecker()
	e := newTestServer(t, func(o *Options) {
		o.TenantChecker, o.AdminNetworks, o.MaxChecks, o.CreateLimit = ck, loopback, maxChecks, 10_000
	}, nil)
	released := false
	t.Cleanup(func() {
		if !released {
			close(ck.release)
		}
		e.server.checks.Wait()
	})
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	settle := func() int { // the count once goroutines of finished requests have gone
		n := runtime.NumGoroutine()
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
			runtime.Gosched()
			time.Sleep(20 * time.Millisecond)
			if m := runtime.NumGoroutine(); m >= n {
				break
			} else {
				n = m
			}
		}
		return runtime.NumGoroutine()
	}
	before := settle()

	statuses := make([]int, starts)
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i := range starts {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/wizard/tenant-check", nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			<-begin
			res, err := client.Do(req)
			if err != nil {
				t.Errorf("start %d: %v", i, err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(begin)
	wg.Wait()
	client.CloseIdleConnections()
	after := settle()

	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	t.Logf("%d starts: %v; %d checks running; goroutines %d → %d (bound +%d)", starts, counts, ck.calls.Load(), before, after, bound)
	if n := ck.calls.Load(); n < 1 || n > maxChecks {
		t.Errorf("%d checks running, want 1 to %d", n, maxChecks)
	}
	if counts[http.StatusSeeOther]+counts[http.StatusTooManyRequests] != starts {
		t.Errorf("answers %v: want only 303 (started) and 429 (try again)", counts)
	}
	if after-before > bound {
		t.Errorf("goroutines %d → %d under the storm: %d more, want at most %d", before, after, after-before, bound)
	}
	close(ck.release)
	released = true
	e.server.checks.Wait()
}
