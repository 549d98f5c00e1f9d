package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostileInput sends generated hostile requests to a running server:
// mutated answers and forms, malformed encodings, random paths, garbage and
// tampered cookies, huge headers, truncated bodies and disconnects. No
// answer may be a 5xx, no request may hang, memory stays bounded, and no
// client fault is logged as a server error (issue "Hardening", item 7).
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile-input run skipped in -short mode")
	}
	dbs := map[string][]string{"sqlite": {"--db", t.TempDir() + "/hostile.db"}}
	if pg := os.Getenv("ENROLLPLAN_TEST_POSTGRES_URL"); pg != "" {
		dbs["postgres"] = []string{"--db", pg}
	}
	for name, args := range dbs {
		t.Run(name, func(t *testing.T) {
			env := []string{"ENROLLPLAN_SESSION_KEYS=" + strings.Repeat("k", 32)}
			p := startServe(t, env, args...)
			n := hostileRun(t, p.base, 1200, 7)
			t.Logf("%s: %d requests, peak RSS %d MiB", name, n, peakRSS(t, p.cmd.Process.Pid)>>20)
			if rss := peakRSS(t, p.cmd.Process.Pid); rss > 150<<20 {
				t.Errorf("peak RSS %d MiB, want under 150 MiB", rss>>20)
			}
			p.mu.Lock()
			logs := p.logs.String()
			p.mu.Unlock()
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, `"level":"ERROR"`) {
					t.Errorf("a client fault was logged as a server error: %s", line)
				}
			}
		})
	}
}

// hostileRun sends n requests from 8 workers and fails the test on any 5xx
// or timeout. It returns how many requests it sent.
func hostileRun(t *testing.T, base string, n int, seed uint64) int {
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base = strings.TrimSuffix(base, "/")
	valid := mustRead(t, "../../examples/northwind.json")
	var sent atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := range jobs {
				kind, req := hostileRequest(r, base, valid, i)
				if req == nil {
					hostileRaw(r, base, i, fail)
					sent.Add(1)
					continue
				}
				res, err := client.Do(req)
				sent.Add(1)
				if err != nil {
					if strings.Contains(err.Error(), "Timeout") || strings.Contains(err.Error(), "deadline") {
						fail("%s %s %s: hung: %v", kind, req.Method, req.URL.Path, err)
					}
					continue // the server may close a connection on garbage
				}
				io.Copy(io.Discard, io.LimitReader(res.Body, 4<<20))
				res.Body.Close()
				if res.StatusCode >= 500 {
					fail("%s %s %s: %d", kind, req.Method, truncate(req.URL.String(), 120), res.StatusCode)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	return int(sent.Load())
}

var wizardPosts = []string{"/wizard/organisation", "/wizard/devices", "/wizard/review", "/wizard/method", "/wizard/reset", "/wizard/prerequisites", "/wizard/rollout", "/wizard/save", "/wizard/reload", "/wizard/new"}

// hostileRequest makes request i; nil means a raw-socket case.
func hostileRequest(r *rand.Rand, base string, valid []byte, i int) (string, *http.Request) {
	same := func(req *http.Request) *http.Request {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return req
	}
	switch i % 10 {
	case 0, 1: // mutated answers to the JSON API
		body := mutateAnswers(r, valid)
		path := []string{"/api/v1/plan", "/api/v1/plans"}[r.IntN(2)]
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", []string{"application/json", "text/plain", "application/json; charset=utf-8", ""}[r.IntN(4)])
		return "answers", req
	case 2: // PUT and DELETE with bad keys, ids and revisions
		id := randomID(r)
		req, _ := http.NewRequest([]string{http.MethodPut, http.MethodDelete}[r.IntN(2)], base+"/api/v1/plans/"+url.PathEscape(id), bytes.NewReader(mutateAnswers(r, valid)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+randomText(r, 40))
		req.Header.Set("If-Match", []string{`"1"`, `"2147483648"`, `"9223372036854775807"`, `"-1"`, `x`, `"1e9"`}[r.IntN(6)])
		return "update", req
	case 3, 4: // malformed form encodings, in the body or the query
		path := wizardPosts[r.IntN(len(wizardPosts))]
		body := malformedForm(r)
		target := base + path
		if r.IntN(3) == 0 {
			target += "?" + malformedForm(r)
		}
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			return "form", nil
		}
		req.URL.RawQuery = strings.TrimPrefix(strings.TrimPrefix(target, base+path), "?") // sent as is, malformed or not
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if r.IntN(2) == 0 {
			req.Header.Set("Cookie", "__enrollplan="+randomText(r, 200))
		}
		return "form", same(req)
	case 5: // random paths and revision numbers
		paths := []string{"/p/" + randomID(r), "/p/" + randomID(r) + ".md", "/p/" + randomID(r) + "/r/" + strconv.FormatUint(r.Uint64(), 10),
			"/p/" + randomID(r) + "/r/2147483648.json", "/p/%zz", "/wizard/" + randomText(r, 12), "/static/" + randomText(r, 20),
			"/p/" + randomID(r) + "/edit?key=" + randomText(r, 30), "/p/" + randomID(r) + "/changes?from=x&to=99999999999999999999", "/" + strings.Repeat("a/", 500)}
		req, _ := http.NewRequest([]string{http.MethodGet, http.MethodHead, http.MethodOptions, "PATCH"}[r.IntN(4)], base+"/", nil)
		req.URL.Opaque = ""
		u, err := url.Parse(base + paths[r.IntN(len(paths))])
		if err != nil {
			u, _ = url.Parse(base + "/p/x")
		}
		req.URL = u
		return "path", req
	case 6: // garbage and tampered cookies on every wizard page
		req, _ := http.NewRequest(http.MethodGet, base+"/wizard/"+[]string{"organisation", "devices", "method", "plan", "rollout", "print", "plan.md"}[r.IntN(7)], nil)
		req.Header.Set("Cookie", "__enrollplan="+[]string{randomText(r, 300), "MTIzNDU2Nzg5MA==|x|y", strings.Repeat("A", 4000), "%00%ff"}[r.IntN(4)])
		return "cookie", req
	case 7: // huge headers
		req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
		req.Header.Set("X-Big", strings.Repeat("x", 1<<10*(1+r.IntN(900))))
		req.Header.Set("X-Request-Id", randomText(r, 500))
		req.Header.Set("X-Forwarded-For", randomText(r, 100))
		return "header", req
	case 8: // cross-site posts must be refused, never crash
		req, _ := http.NewRequest(http.MethodPost, base+wizardPosts[r.IntN(len(wizardPosts))], strings.NewReader("a=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		return "cross-site", req
	}
	return "raw", nil
}

// hostileRaw sends a truncated, badly chunked or abandoned request on a raw
// connection; the server must neither crash nor answer 5xx.
func hostileRaw(r *rand.Rand, base string, i int, fail func(string, ...any)) {
	u, _ := url.Parse(base)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	path := []string{"/api/v1/plan", "/wizard/devices", "/api/v1/plans"}[r.IntN(3)]
	ctype := map[string]string{"/wizard/devices": "application/x-www-form-urlencoded"}[path]
	if ctype == "" {
		ctype = "application/json"
	}
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nSec-Fetch-Site: same-origin\r\n", path, u.Host, ctype)
	switch i % 3 {
	case 0: // truncated body, then hang up
		fmt.Fprintf(conn, "%sContent-Length: 5000\r\n\r\n{\"schema\":", head)
		return
	case 1: // bad chunk sizes
		fmt.Fprintf(conn, "%sTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", head)
	default: // a body that stops, then the rest never comes
		fmt.Fprintf(conn, "%sContent-Length: 100\r\n\r\n{\"a\":", head)
		time.Sleep(200 * time.Millisecond)
		return
	}
	buf := make([]byte, 64)
	n, _ := io.ReadFull(conn, buf[:12])
	if n == 12 && strings.HasPrefix(string(buf[:12]), "HTTP/1.1 5") {
		fail("raw %s: %s", path, buf[:12])
	}
}

func mutateAnswers(r *rand.Rand, valid []byte) []byte {
	var m map[string]any
	json.Unmarshal(valid, &m)
	switch r.IntN(8) {
	case 0:
		m[randomText(r, 10)] = randomText(r, 50)
	case 1:
		m["populations"] = []any{map[string]any{"platform": randomText(r, 8), "devices": r.Float64() * 1e12}}
	case 2:
		return []byte(strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200))
	case 3:
		var b strings.Builder
		b.WriteString(`{"schema":"enrollplan.answers/v1",`)
		for k := range 20000 {
			fmt.Fprintf(&b, `"k%d":%d,`, k, k)
		}
		b.WriteString(`"organization":"x"}`)
		return []byte(b.String())
	case 4:
		return []byte(`{"schema":"enrollplan.answers/v1","organization":"x","populations":[{"platform":"ios","ownership":"corporate","devices":` + strings.Repeat("9", 400000) + `}]}`)
	case 5:
		m["rollout"] = map[string]any{"waves": []any{map[string]any{"name": "w", "group": "g", "start": randomText(r, 10), "populations": []any{randomText(r, 5)}}}}
	case 6:
		b := bytes.Clone(valid)
		return b[:r.IntN(len(b))]
	default:
		m["organization"] = strings.Repeat("<script>&", 3000)
	}
	out, _ := json.Marshal(m)
	return out
}

func malformedForm(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return "populations[0].name=%zz"
	case 1:
		return "action=add&populations[0].devices=12%"
	case 2:
		return "a=1;b=2;populations[0].name=x"
	case 3:
		var b strings.Builder
		for k := range 12000 {
			fmt.Fprintf(&b, "f%d=%d&", k, k)
		}
		return b.String()
	case 4:
		return "populations[999999999999].name=x&rollout.waves[-1].name=y&populations[0].devices=99999999999999999999"
	}
	return url.Values{"organization": {randomText(r, 5000)}, "tenant.mdm_authority": {randomText(r, 10)}, "action": {"remove-" + randomText(r, 3)}}.Encode()
}

func randomText(r *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:@/?#[]% \"<>\\^`{|}"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randomID(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return randomText(r, 1+r.IntN(40))
	}
	return fmt.Sprintf("%032x", r.Uint64())
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS(t *testing.T, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Logf("peak RSS unknown: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
