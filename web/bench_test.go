package web

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kpgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

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
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, benchRequest("POST", path, benchAnswers(b, n.Add(1))))
			if rec.Code/100 != 2 {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
	reportCPU(b, cpu)
}

// BenchmarkCompute is POST /api/v1/plan with answers that differ each time.
func BenchmarkCompute(b *testing.B) { benchPost(b, "/api/v1/plan") }

// BenchmarkSave is POST /api/v1/plans: decode, build the snapshot, store.
func BenchmarkSave(b *testing.B) { benchPost(b, "/api/v1/plans") }

// benchProgressPlans saves n plans through h and returns their ids, edit
// keys and task ids (the same for all: they share the answers' shape).
func benchProgressPlans(b *testing.B, h http.Handler, n int) (ids, keys, tasks []string) {
	b.Helper()
	for i := range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, benchRequest("POST", "/api/v1/plans", benchAnswers(b, int64(1000+i))))
		var c createdPlan
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || rec.Code != http.StatusCreated {
			b.Fatalf("create: %d %v", rec.Code, err)
		}
		ids, keys = append(ids, c.ID), append(keys, c.EditKey)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, benchRequest("GET", "/api/v1/plans/"+ids[0], ""))
	var sp struct {
		Plan json.RawMessage `json:"plan"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sp); err != nil {
		b.Fatal(err)
	}
	tr, err := newTracker(sp.Plan)
	if err != nil {
		b.Fatal(err)
	}
	for id := range tr.Tasks {
		tasks = append(tasks, id)
	}
	slices.Sort(tasks)
	return ids, keys, tasks
}

// BenchmarkProgressPatch is PATCH /api/v1/plans/{id}/progress from 64
// goroutines, each ticking the tasks of a plan of its own in turn with the
// version it last read (as a team does: no conflicts, every patch a write
// with a history row), on SQLite with synchronous=FULL: what the load
// test's progress run is made of.
func BenchmarkProgressPatch(b *testing.B) {
	h, _ := benchServer(b, 0)
	const goroutines = 64
	ids, keys, tasks := benchProgressPlans(b, h, goroutines)
	statuses := []string{"done", "doing"}
	var next atomic.Int64
	b.SetParallelism((goroutines + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		p := int(next.Add(1)-1) % len(ids)
		version, n := 0, 0
		for pb.Next() {
			body := fmt.Sprintf(`{"tasks":{%q:{"status":%q}},"by":"Bench"}`, tasks[n%len(tasks)], statuses[(n/len(tasks))%2])
			n++
			r := benchRequest("PATCH", "/api/v1/plans/"+ids[p]+"/progress", body)
			r.Header.Set("Authorization", "Bearer "+keys[p])
			r.Header.Set("If-Match", fmt.Sprintf(`"p%d"`, version))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
			v, ok := parseProgressVersion(strings.Trim(rec.Header().Get("ETag"), `"`))
			if !ok {
				b.Fatalf("ETag %q", rec.Header().Get("ETag"))
			}
			version = int(v)
		}
	})
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}

// BenchmarkProgressPatchLikeLoad is the load test's progress run in
// process: 64 goroutines tick (plan, task) pairs in the order of a list of
// every task of every plan, each a new task with If-Match "p0", so the
// PATCHes at any one time are mostly of one plan, whose progress grows
// from none to all its tasks.
func BenchmarkProgressPatchLikeLoad(b *testing.B) {
	h, _ := benchServer(b, 0)
	ids, keys, tasks := benchProgressPlans(b, h, 1)
	for len(ids)*len(tasks) < b.N {
		more, moreKeys, _ := benchProgressPlans(b, h, 1)
		ids, keys = append(ids, more...), append(keys, moreKeys...)
	}
	var next atomic.Int64
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(next.Add(1) - 1)
			p, task := n/len(tasks), tasks[n%len(tasks)]
			r := benchRequest("PATCH", "/api/v1/plans/"+ids[p]+"/progress", `{"tasks":{"`+task+`":{"status":"done"}},"by":"Load"}`)
			r.Header.Set("Authorization", "Bearer "+keys[p])
			r.Header.Set("If-Match", `"p0"`)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}

// reportCPU reports the process's CPU time per operation since it was
// at start (see processCPU): the cost that does not depend on how busy
// the machine is.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// snapshotCodecs are the codings BenchmarkSnapshotCodec compares for the
// stored snapshot: the standard library's gzip at the level saves used
// before (BestSpeed), klauspost's gzip at the same level, S2 as saves
// store it now (a stream of 256 KiB blocks, each with a CRC-32C), S2 as
// bare blocks (default and "better") and zstd.
var snapshotCodecs = []struct {
	name string
	enc  func(dst, src []byte) []byte
	dec  func(src []byte) ([]byte, error)
}{
	{"stdgzip-1", func(_, src []byte) []byte {
		return compressBytes(encGzip, stdgzip.BestSpeed, src) // as saves did: a pooled writer
	}, func(src []byte) ([]byte, error) {
		r, err := stdgzip.NewReader(bytes.NewReader(src))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}},
	{"kpgzip-1", func(dst, src []byte) []byte {
		buf := bytes.NewBuffer(dst)
		w := kpgzipWriters.Get().(*kpgzip.Writer)
		defer kpgzipWriters.Put(w)
		w.Reset(buf)
		w.Write(src)
		w.Close()
		return buf.Bytes()
	}, func(src []byte) ([]byte, error) {
		r, err := kpgzip.NewReader(bytes.NewReader(src))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}},
	{"s2-saved", func(_, src []byte) []byte { // the stream saves store: compressSnapshot
		out, err := compressSnapshot(src)
		if err != nil {
			panic(err)
		}
		return out
	}, snapshotJSON},
	{"s2-block", func(dst, src []byte) []byte { return s2.Encode(dst[:cap(dst)], src) }, func(src []byte) ([]byte, error) { return s2.Decode(nil, src) }},
	{"s2-better", func(dst, src []byte) []byte { return s2.EncodeBetter(dst[:cap(dst)], src) }, func(src []byte) ([]byte, error) { return s2.Decode(nil, src) }},
	{"zstd-fastest", zstdEncoder(zstd.SpeedFastest), zstdDecode},
	{"zstd-default", zstdEncoder(zstd.SpeedDefault), zstdDecode},
}

var kpgzipWriters = sync.Pool{New: func() any {
	w, _ := kpgzip.NewWriterLevel(io.Discard, kpgzip.BestSpeed)
	return w
}}

func zstdEncoder(level zstd.EncoderLevel) func(dst, src []byte) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level))
	if err != nil {
		panic(err)
	}
	return func(dst, src []byte) []byte { return enc.EncodeAll(src, dst) }
}

var zstdDecoder, _ = zstd.NewReader(nil)

func zstdDecode(src []byte) ([]byte, error) { return zstdDecoder.DecodeAll(src, nil) }

// BenchmarkSnapshotCodec compresses (enc) and decompresses (dec) the
// snapshot of two examples' plans (their compact JSON) with each codec,
// reporting the stored size and its ratio to the JSON.
func BenchmarkSnapshotCodec(b *testing.B) {
	cat, err := plan.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, example := range []string{"mixed-fleet", "hospital-rollout"} {
		data, err := os.ReadFile("../examples/" + example + ".json")
		if err != nil {
			b.Fatal(err)
		}
		a, err := cat.DecodeAnswers(data)
		if err != nil {
			b.Fatal(err)
		}
		p, err := cat.Build(a)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := plan.WriteCompactJSON(&buf, p); err != nil {
			b.Fatal(err)
		}
		compact := buf.Bytes()
		for _, c := range snapshotCodecs {
			packed := c.enc(nil, compact)
			if got, err := c.dec(packed); err != nil || !bytes.Equal(got, compact) {
				b.Fatalf("%s does not round-trip: %v", c.name, err)
			}
			report := func(b *testing.B) {
				b.SetBytes(int64(len(compact)))
				b.ReportMetric(float64(len(packed)), "stored-B")
				b.ReportMetric(float64(len(compact))/float64(len(packed)), "ratio")
			}
			b.Run(example+"/enc/"+c.name, func(b *testing.B) {
				var dst []byte
				cpu := processCPU()
				for b.Loop() {
					dst = c.enc(dst[:0], compact)
				}
				reportCPU(b, cpu)
				report(b)
			})
			b.Run(example+"/dec/"+c.name, func(b *testing.B) {
				cpu := processCPU()
				for b.Loop() {
					if _, err := c.dec(packed); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
				report(b)
			})
		}
	}
}
