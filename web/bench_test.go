package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// The handler benchmarks run the whole route table in process (no
// sockets), with request logging to io.Discard, so that a CPU profile
// (go test -bench X -cpuprofile) shows the server's own work per request:
// what the load test's numbers are made of.

func benchServer(b *testing.B, cacheBytes int64) (http.Handler, string) {
	b.Helper()
	cat, err := plan.Load()
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewJSONHandler(io.Discard, nil)) // as served: one JSON line per request
	s := New(Options{Log: log, Store: db, Catalog: cat, SessionKeys: []string{strings.Repeat("k", 40)}, RenderCacheBytes: cacheBytes})
	h := s.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, benchRequest("POST", "/api/v1/plans", benchAnswers(b, 0)))
	if rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var c createdPlan
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		b.Fatal(err)
	}
	return h, c.ID
}

var benchTemplate = func() string {
	data, err := os.ReadFile("../examples/mixed-fleet.json")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

// benchAnswers are the load test's answers with a counter in the name.
func benchAnswers(b *testing.B, n int64) string {
	return strings.Replace(benchTemplate, `"Contoso Ltd"`, fmt.Sprintf(`"Load test org %d"`, n), 1)
}

func benchRequest(method, path, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	r.RemoteAddr = "127.0.0.1:1234"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func benchGet(b *testing.B, cacheBytes int64, suffix, accept string) {
	h, id := benchServer(b, cacheBytes)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := benchRequest("GET", "/p/"+id+suffix, "")
			if accept != "" {
				r.Header.Set("Accept-Encoding", accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d", rec.Code)
			}
		}
	})
}

// BenchmarkShareWarm is GET /p/{id} from the cache, as a browser asks.
func BenchmarkShareWarm(b *testing.B) { benchGet(b, 0, "", "br, gzip") }

// BenchmarkShareCold is GET /p/{id} without a cache: every view renders
// from the snapshot and compresses.
func BenchmarkShareCold(b *testing.B) { benchGet(b, -1, "", "br, gzip") }

// BenchmarkShareColdIdentity is the cold render without compression.
func BenchmarkShareColdIdentity(b *testing.B) { benchGet(b, -1, "", "") }

func benchPost(b *testing.B, path string) {
	h, _ := benchServer(b, 0)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, benchRequest("POST", path, benchAnswers(b, n.Add(1))))
			if rec.Code/100 != 2 {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkCompute is POST /api/v1/plan with answers that differ each time.
func BenchmarkCompute(b *testing.B) { benchPost(b, "/api/v1/plan") }

// BenchmarkSave is POST /api/v1/plans: decode, build the snapshot, store.
func BenchmarkSave(b *testing.B) { benchPost(b, "/api/v1/plans") }
