package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gzipBomb is a gzip stream of n zero bytes: about 1/1000 of n on the wire.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for i := 0; i < n; i += len(zero) {
		if _, err := zw.Write(zero); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Bounds of the bomb, asserted. Every Graph reading answers 190 KB of gzip
// that inflates to 192 MiB. Measured on 2 CPUs, four checks at once: the
// build before the 16 MiB cap and the answer budget (ENROLLPLAN_STORM_BINARY
// at 7ed82ea) peaked at 5,210 MiB; with the cap alone, 279 MiB (16 readings
// × 16 MiB); with the shared budget, 84-117 MiB (24 idle), open files 15 →
// 35.
const (
	bombInflated    = 192 << 20
	bombChecks      = 4
	bombPeakRSS     = 128 << 20
	bombOpenFiles   = 64
	bombWaitForDone = 90 * time.Second
)

// TestCheckBomb starts `enrollplan serve` with the app-only check on and a
// stand-in Graph whose every answer is a gzip bomb, runs four checks at
// once (ENROLLPLAN_MAX_CHECKS), and waits for each to end. Each must end
// (as failed, or done in part: a reading too long to read is "not
// readable"), and the server's peak RSS and open files stay within stated
// bounds.
func TestCheckBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("open files and peak RSS are read from /proc (Linux only)")
	}
	bomb := gzipBomb(t, bombInflated)
	var served atomic.Int64
	gs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	}))
	t.Cleanup(gs.Close)

	p, bin := startCheckServer(t, gs.URL, bombChecks)
	pid := p.cmd.Process.Pid
	filesIdle, rssIdle := openFiles(t, pid), peakRSS(t, pid)

	var wg sync.WaitGroup
	ends := make([]string, bombChecks)
	mostFiles := atomic.Int64{}
	start := time.Now()
	for i := range bombChecks {
		wg.Go(func() {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			req, _ := http.NewRequest("POST", p.base+"/wizard/tenant-check", nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			res, err := c.Do(req) // follows to the progress page
			if err != nil {
				ends[i] = "start failed: " + err.Error()
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			for deadline := time.Now().Add(bombWaitForDone); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if n := int64(openFiles(t, pid)); n > mostFiles.Load() {
					mostFiles.Store(n)
				}
				res, err := c.Get(p.base + "/wizard/tenant-check")
				if err != nil {
					ends[i] = "progress failed: " + err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if !strings.Contains(string(b), `http-equiv="refresh"`) {
					switch {
					case strings.Contains(string(b), "could not be read"):
						ends[i] = "failed"
					case strings.Contains(string(b), "was read"):
						ends[i] = "done"
					default:
						ends[i] = fmt.Sprintf("ended with status %d", res.StatusCode)
					}
					return
				}
			}
			ends[i] = "still running"
		})
	}
	wg.Wait()
	rss := peakRSS(t, pid)
	who := "this build"
	if bin != "" {
		who = bin
	}
	t.Logf("%s: %d checks against a Graph of gzip bombs (%d KB → %d MiB each), %d answers served in %v; ends %v",
		who, bombChecks, len(bomb)>>10, bombInflated>>20, served.Load(), time.Since(start).Round(time.Millisecond), ends)
	t.Logf("open files %d idle → %d at most; peak RSS (VmHWM) %d MiB idle → %d MiB", filesIdle, mostFiles.Load(), rssIdle>>20, rss>>20)
	if bin != "" {
		return
	}
	for i, e := range ends {
		if e != "failed" && e != "done" {
			t.Errorf("check %d: %s, want it ended (failed, or done in part)", i, e)
		}
	}
	if served.Load() == 0 {
		t.Errorf("the stand-in Graph served nothing: the test measured no bomb")
	}
	if rss > bombPeakRSS {
		t.Errorf("peak RSS %d MiB, want under %d MiB", rss>>20, bombPeakRSS>>20)
	}
	if f := mostFiles.Load(); f > bombOpenFiles {
		t.Errorf("%d open files, want at most %d", f, bombOpenFiles)
	}
}
