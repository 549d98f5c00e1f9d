package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// worstBodies are answers bodies just under the 1 MiB body limit, each the
// worst of its kind for the answers parser (issue "Hardening", H1).
func worstBodies() map[string][]byte {
	const limit = 1<<20 - 64
	fill := func(head, item, tail string) []byte {
		var b bytes.Buffer
		b.WriteString(head)
		for b.Len()+len(item)+len(tail) < limit {
			b.WriteString(item)
		}
		b.WriteString(tail)
		return b.Bytes()
	}
	const head = `{"schema":"enrollplan.answers/v1","organization":"x",`
	// Unknown keys, many per population: the error list grew to 10-30 MB.
	var pops strings.Builder
	pops.WriteString(head + `"populations":[`)
	for i := 0; pops.Len() < limit-2000; i++ {
		if i > 0 {
			pops.WriteString(",")
		}
		pops.WriteString("{")
		for j := range 60 {
			fmt.Fprintf(&pops, `"unknown_%d_%d":1,`, i, j)
		}
		pops.WriteString(`"platform":"ios"}`)
	}
	pops.WriteString("]}")
	// The same, kept under the parser's 50,000-value budget, so that it is
	// parsed whole and bound: the most errors a body can make.
	var within strings.Builder
	within.WriteString(head + `"populations":[`)
	for i := range 600 {
		if i > 0 {
			within.WriteString(",")
		}
		within.WriteString("{")
		for j := range 60 {
			fmt.Fprintf(&within, `"unknown_key_%03d_%02d":1,`, i, j)
		}
		within.WriteString(`"platform":"ios"}`)
	}
	within.WriteString("]}")
	var strs strings.Builder
	strs.WriteString(head + `"baseline":[`)
	for i := range 1000 {
		if i > 0 {
			strs.WriteString(",")
		}
		strs.WriteString("[")
		for j := range 45 {
			if j > 0 {
				strs.WriteString(",")
			}
			fmt.Fprintf(&strs, `"string-%04d-%02d-xxx"`, i, j)
		}
		strs.WriteString("]")
	}
	strs.WriteString("]}")
	return map[string][]byte{
		"unknown keys":   []byte(pops.String()),
		"unknown, <50k":  []byte(within.String()),
		"strings, <50k":  []byte(strs.String()),
		"duplicate keys": fill(head, `"organization":"x",`, `"baseline":[]}`),
		"short unknowns": fill(head, `"k":1,`, `"baseline":[]}`),
		"huge number":    fill(head+`"populations":[{"platform":"ios","ownership":"corporate","devices":`, "9", `}]}`),
		"deep lists":     append(append([]byte(head+`"baseline":`), bytes.Repeat([]byte("["), limit/2-len(head))...), bytes.Repeat([]byte("]"), limit/2-len(head))...),
		"long lists":     fill(head+`"baseline":[`, `[1,2],`, `1]}`),
	}
}

// peakRSSLimit is the bound README.md states. Nine runs on 2 CPUs (Go 1.26)
// peaked at 104, 107, 108, 109, 112, 114, 116, 126 and 128 MiB: the spread
// is when the garbage collector runs relative to the 16 parses. On a machine
// busy with other builds (as in CI, where packages test in parallel) one run
// reached 151 MiB. The bound is that worst run plus about 10%, so a real
// regression (the parser before its work budget peaked at 685 MiB) fails
// while GC timing and a busy machine do not.
const peakRSSLimit = 170 << 20

// TestPeakRSSWorstCaseBodies starts `enrollplan serve`, fires 16 worst-case
// 1 MiB bodies at once at POST /api/v1/plan (unknown keys, duplicate keys,
// a huge number, deep and long lists), three times over, and reports the
// server's peak resident set (VmHWM); it must stay under peakRSSLimit.
//
// ENROLLPLAN_RSS_BINARY measures another build the same way instead (for
// comparing with an older commit; see .ci/rss.sh), reporting without a limit.
func TestPeakRSSWorstCaseBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("peak RSS is read from /proc (Linux only)")
	}
	bin := os.Getenv("ENROLLPLAN_RSS_BINARY")
	var p *proc
	env := []string{"ENROLLPLAN_SESSION_KEYS=" + strings.Repeat("k", 32)}
	if bin != "" {
		p = startServeBinary(t, bin, env, "--db", t.TempDir()+"/rss.db")
	} else {
		p = startServe(t, env, "--db", t.TempDir()+"/rss.db")
	}
	pid := p.cmd.Process.Pid
	idle := peakRSS(t, pid)

	bodies := worstBodies()
	var kinds []string
	for k := range bodies {
		kinds = append(kinds, k)
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	type result struct {
		kind   string
		status int
		bytes  int64
		err    error
		took   time.Duration
	}
	var results []result
	var mu sync.Mutex
	const concurrent, rounds = 16, 3
	start := time.Now()
	for round := range rounds {
		var wg sync.WaitGroup
		for i := range concurrent {
			kind := kinds[(i+round)%len(kinds)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				res, err := client.Post(p.base+"/api/v1/plan", "application/json", bytes.NewReader(bodies[kind]))
				r := result{kind: kind, err: err}
				if err == nil {
					r.status = res.StatusCode
					r.bytes, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				r.took = time.Since(t0)
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	peak := peakRSS(t, pid)

	byKind := map[string][]result{}
	for _, r := range results {
		byKind[r.kind] = append(byKind[r.kind], r)
	}
	for _, k := range kinds {
		var statuses []string
		var most int64
		var slowest time.Duration
		for _, r := range byKind[k] {
			if r.err != nil {
				statuses = append(statuses, "error: "+r.err.Error())
				continue
			}
			statuses = append(statuses, fmt.Sprint(r.status))
			most, slowest = max(most, r.bytes), max(slowest, r.took)
		}
		t.Logf("%-15s %7d-byte body: %s; largest answer %d bytes; slowest %v", k, len(bodies[k]), strings.Join(statuses, " "), most, slowest.Round(time.Millisecond))
		if bin == "" {
			for _, r := range byKind[k] {
				if r.err != nil || r.status >= 500 {
					t.Errorf("%s: %v %d", k, r.err, r.status)
				}
			}
		}
	}
	who := "this build"
	if bin != "" {
		who = bin
	}
	t.Logf("peak RSS (VmHWM) of %s: %d MiB after %d rounds of %d concurrent worst-case bodies (%d MiB idle; %v in all)",
		who, peak>>20, rounds, concurrent, idle>>20, time.Since(start).Round(time.Millisecond))
	if bin == "" && peak > peakRSSLimit {
		t.Errorf("peak RSS %d MiB, want under %d MiB (README.md)", peak>>20, peakRSSLimit>>20)
	}
}

// startServeBinary is startServe with a given binary.
func startServeBinary(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	binOnce.Do(func() { binPath = bin })
	if binPath != bin {
		t.Fatalf("the test binary already built %s", binPath)
	}
	return startServe(t, env, args...)
}
