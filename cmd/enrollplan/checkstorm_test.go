package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/config"
)

// TestServerCredentialsOnlyOnPurpose: credentials in the server's
// environment serve the command line only, unless the operator sets
// ENROLLPLAN_TENANT_CHECK_APP=1 (and the start-up log says so); with it,
// the server needs explicit credentials and never falls back to others.
func TestServerCredentialsOnlyOnPurpose(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	creds := map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	c, err := serverChecker(config.Config{}, env(creds), log, nil)
	if err != nil || c != nil {
		t.Fatalf("credentials without the switch: checker %v, %v; want none", c, err)
	}
	if !strings.Contains(logs.String(), "ENROLLPLAN_TENANT_CHECK_APP=1") || !strings.Contains(logs.String(), "check-tenant only") {
		t.Errorf("the start-up log does not say the credentials are left to the command line: %s", logs.String())
	}
	logs.Reset()
	if c, err := serverChecker(config.Config{}, env(nil), log, nil); c != nil || err != nil || logs.Len() != 0 {
		t.Errorf("no credentials, no switch: %v %v %q", c, err, logs.String())
	}

	on := config.Config{TenantCheckApp: true, AdminNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, MaxChecks: 4}
	// Only an Azure CLI sign-in or a managed identity would be left: refused.
	_, err = serverChecker(on, env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"}), log, nil)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "ENROLLPLAN_GRAPH_TOKEN") {
		t.Errorf("the switch without explicit credentials: %v, want a usage error naming them", err)
	}
	for name, m := range map[string]map[string]string{"client secret": creds, "token": {"ENROLLPLAN_GRAPH_TOKEN": "x"}} {
		logs.Reset()
		if c, err := serverChecker(on, env(m), log, nil); c == nil || err != nil {
			t.Errorf("%s: %v %v", name, c, err)
		}
		if !strings.Contains(logs.String(), "10.0.0.0/8") {
			t.Errorf("%s: the log does not name the admin networks: %s", name, logs.String())
		}
	}
}

// TestServeWithoutSwitchHidesCheck: a server started with credentials but
// without ENROLLPLAN_TENANT_CHECK_APP=1 offers no "Check my tenant", and a
// start answers 404 with a plain page.
func TestServeWithoutSwitchHidesCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	p := startServe(t, []string{"ENROLLPLAN_GRAPH_TOKEN=x", "ENROLLPLAN_ADMIN_NETWORKS=127.0.0.0/8", "ENROLLPLAN_GRAPH_URL=http://127.0.0.1:9"},
		"--db", t.TempDir()+"/plain.db")
	if _, _, body, err := httpDo("GET", p.base+"/wizard/organisation", ""); err != nil || strings.Contains(body, "Check my tenant") {
		t.Fatalf("step 1 offers the server's check without the switch (%v)", err)
	}
	status, _, body, err := httpDo("POST", p.base+"/wizard/tenant-check", "", "Sec-Fetch-Site", "same-origin")
	if err != nil || status != http.StatusNotFound || !strings.Contains(body, "check-tenant") {
		t.Fatalf("start: %d %v: %.300s", status, err, body)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !strings.Contains(p.logs.String(), "not used by the wizard") {
		t.Errorf("the start-up log does not say the credentials are left to the command line:\n%s", p.logs.String())
	}
}

// hangingGraph stands in for Microsoft Graph and answers nothing: every
// request waits until the test ends (or the server gives up on it). It
// counts the requests in flight and the most at once.
type hangingGraph struct {
	stop     chan struct{}
	arrived  chan struct{} // one send per request, never blocking
	total    atomic.Int64
	inFlight atomic.Int64
	most     atomic.Int64
}

func (g *hangingGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.total.Add(1)
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case g.arrived <- struct{}{}:
	default:
	}
	select {
	case <-g.stop:
	case <-r.Context().Done():
	}
}

// startCheckServer starts `enrollplan serve` with the app-only check on
// for 127.0.0.0/8, at most maxChecks at once, a token for Graph at graphURL
// and a create limit no test reaches; or, with ENROLLPLAN_STORM_BINARY,
// that other build the same way (bin is then its path, for reporting).
func startCheckServer(t *testing.T, graphURL string, maxChecks int) (p *proc, bin string) {
	env := []string{"ENROLLPLAN_SESSION_KEYS=" + strings.Repeat("k", 32),
		"ENROLLPLAN_TENANT_CHECK_APP=1", "ENROLLPLAN_ADMIN_NETWORKS=127.0.0.0/8", fmt.Sprintf("ENROLLPLAN_MAX_CHECKS=%d", maxChecks),
		"ENROLLPLAN_GRAPH_TOKEN=check-token", "ENROLLPLAN_GRAPH_URL=" + graphURL}
	args := []string{"--db", t.TempDir() + "/checks.db", "--create-limit", "1000"}
	if bin = os.Getenv("ENROLLPLAN_STORM_BINARY"); bin != "" {
		// Older builds offered the check to anyone when AZURE_* were set;
		// the token still wins the sign-in, so nothing leaves the machine.
		env = append(env, "AZURE_TENANT_ID=t", "AZURE_CLIENT_ID=c", "AZURE_CLIENT_SECRET=s")
		return startServeBinary(t, bin, env, args...), bin
	}
	return startServe(t, env, args...), ""
}

// openFiles counts the open file descriptors of process pid.
func openFiles(t *testing.T, pid int) int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("open files: %v", err)
	}
	return len(entries)
}

// Bounds of the storm, asserted. With ENROLLPLAN_MAX_CHECKS=4 and 4
// readings in flight per check, Graph sees at most 16 requests at once;
// the process holds a listener, the database (3 files with WAL), the
// standard streams, the poller and those 16 connections. Five runs on 2
// CPUs: 16 Graph requests, open files 16 idle → 32, peak RSS 24 MiB idle →
// 28-30 MiB. The build before these bounds (7ed82ea), measured the same
// way: 120 checks started, 484 Graph requests, open files 15 → 500, peak
// RSS 56 MiB. The bounds sit between, with room for a busy machine.
const (
	stormStarts       = 120
	stormMaxChecks    = 4
	stormGraphBound   = stormMaxChecks * 4
	stormOpenFiles    = 64
	stormPeakRSSLimit = 48 << 20
)

// TestCheckStorm starts `enrollplan serve` with the app-only check on for
// 127.0.0.0/8 and a stand-in Graph that never answers, then fires 120
// starts of "Check my tenant" at once from one address, each without a
// cookie (so each would make its own draft). At most ENROLLPLAN_MAX_CHECKS
// checks run, the rest are told when to try again, and the Graph requests
// in flight, the open files and the peak RSS stay within stated bounds.
//
// ENROLLPLAN_STORM_BINARY measures another build the same way (an older
// commit, for comparison), reporting without asserting.
func TestCheckStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("open files and peak RSS are read from /proc (Linux only)")
	}
	graph := &hangingGraph{stop: make(chan struct{}), arrived: make(chan struct{}, 1024)}
	gs := httptest.NewServer(graph)
	// The server is killed first (Cleanup runs last-registered first), then
	// the stand-in lets its requests go.
	t.Cleanup(gs.Close)
	t.Cleanup(func() { close(graph.stop) })

	p, bin := startCheckServer(t, gs.URL, stormMaxChecks)
	pid := p.cmd.Process.Pid
	filesIdle, rssIdle := openFiles(t, pid), peakRSS(t, pid)

	// Each start on a connection of its own, closed after the answer, as
	// many clients would: the files the server keeps are its own doing.
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	type answer struct {
		status     int
		retryAfter string
		body       string
		err        error
	}
	answers := make([]answer, stormStarts)
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i := range stormStarts {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", p.base+"/wizard/tenant-check", nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			<-begin
			res, err := client.Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			answers[i] = answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), body: string(b)}
		})
	}
	start := time.Now()
	close(begin)
	wg.Wait()
	took := time.Since(start)

	counts := map[int]int{}
	for _, a := range answers {
		if a.err != nil {
			t.Errorf("a start failed: %v", a.err)
			continue
		}
		counts[a.status]++
		if bin == "" && a.status == http.StatusTooManyRequests && (a.retryAfter == "" || !strings.Contains(a.body, "Try again in")) {
			t.Errorf("a refused start says not when to try again: Retry-After %q: %.300s", a.retryAfter, a.body)
		}
	}
	started := counts[http.StatusSeeOther]

	// Wait for the started checks to reach Graph (4 readings each), so that
	// what is measured next is the storm's steady state.
	want := started * 4
	timeout := time.After(30 * time.Second)
	for got := 0; got < want; got++ {
		select {
		case <-graph.arrived:
		case <-timeout:
			t.Fatalf("only %d of %d Graph requests arrived", got, want)
		}
	}
	// One more round of starts: the bound still holds, and the answers of
	// the storm are behind us.
	if status, _, _, err := httpDo("POST", p.base+"/wizard/tenant-check", "", "Sec-Fetch-Site", "same-origin"); err != nil || (bin == "" && status != http.StatusTooManyRequests) {
		t.Errorf("a start after the storm: %d %v, want 429", status, err)
	}
	files, rss := openFiles(t, pid), peakRSS(t, pid)
	inFlight, most, total := graph.inFlight.Load(), graph.most.Load(), graph.total.Load()

	who := "this build"
	if bin != "" {
		who = bin
	}
	t.Logf("%s: %d starts at once in %v: %d started, %d refused (429), other %v", who, stormStarts, took.Round(time.Millisecond), started, counts[http.StatusTooManyRequests], counts)
	t.Logf("Graph requests: %d in flight, %d at most, %d in all; open files %d idle → %d; peak RSS (VmHWM) %d MiB idle → %d MiB",
		inFlight, most, total, filesIdle, files, rssIdle>>20, rss>>20)
	if bin != "" {
		return
	}
	if started < 1 || started > stormMaxChecks {
		t.Errorf("%d checks started, want 1 to %d (ENROLLPLAN_MAX_CHECKS)", started, stormMaxChecks)
	}
	if started+counts[http.StatusTooManyRequests] != stormStarts {
		t.Errorf("answers %v: want only 303 (started) and 429 (try again)", counts)
	}
	if most > stormGraphBound {
		t.Errorf("%d Graph requests at once, want at most %d (%d checks of 4 readings)", most, stormGraphBound, stormMaxChecks)
	}
	if files > stormOpenFiles {
		t.Errorf("%d open files under the storm, want at most %d", files, stormOpenFiles)
	}
	if rss > stormPeakRSSLimit {
		t.Errorf("peak RSS %d MiB, want under %d MiB", rss>>20, stormPeakRSSLimit>>20)
	}
}
