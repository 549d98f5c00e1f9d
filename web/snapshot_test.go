package web

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// exampleCompact builds an example's plan and returns it with its compact JSON.
func exampleCompact(t *testing.T, cat *plan.Catalog, file string) (*plan.Plan, []byte) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cat.DecodeAnswers(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := plan.WriteCompactJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	return p, buf.Bytes()
}

// gzipSnapshot is a snapshot as saves stored it before S2: the standard
// library's gzip at BestSpeed.
func gzipSnapshot(t *testing.T, compact []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := stdgzip.NewWriterLevel(&buf, stdgzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(compact)
	zw.Close()
	return buf.Bytes()
}

// TestSnapshotFormats: a save stores an S2 stream that reads back as the
// plan's JSON; snapshots stored before (gzip, or JSON as it is) read as
// they did; a damaged or cut S2 snapshot is refused, never read as
// something else.
func TestSnapshotFormats(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, compact := exampleCompact(t, cat, "../examples/mixed-fleet.json")
	gotCompact, snapshot, err := encodePlan(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotCompact, compact) {
		t.Fatal("encodePlan's JSON is not the plan's compact JSON")
	}
	if !bytes.HasPrefix(snapshot, s2Magic) || len(snapshot) > len(compact)/3 {
		t.Fatalf("snapshot of %d bytes starting % x; want an S2 stream a third of the JSON's %d bytes at most", len(snapshot), snapshot[:min(len(snapshot), 10)], len(compact))
	}
	for name, stored := range map[string][]byte{
		"S2 (saved now)":          snapshot,
		"gzip (saved before S2)":  gzipSnapshot(t, compact),
		"JSON stored as it is":    compact,
		"S2 of an empty document": mustCompress(t, []byte{}),
		"S2 in 1 MiB blocks":      s2Stream(t, compact, maxSnapshotBlock),
	} {
		want := compact
		if name == "S2 of an empty document" {
			want = []byte{}
		}
		got, err := snapshotJSON(stored)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: reads %d bytes, %v; want the %d it holds", name, len(got), err, len(want))
		}
	}

	// A byte changed inside the stream: find one the S2 format alone
	// would decode into other text (so only the checksum can tell), and
	// check it is refused.
	silent := -1
	for i := len(s2Magic) + 8; i < len(snapshot) && silent < 0; i += 97 {
		damaged := bytes.Clone(snapshot)
		damaged[i] ^= 0x01
		r := s2.NewReader(bytes.NewReader(damaged), s2.ReaderIgnoreCRC(), s2.ReaderMaxBlockSize(maxSnapshotBlock))
		if out, err := io.ReadAll(r); err == nil && !bytes.Equal(out, compact) {
			silent = i
			if _, err := snapshotJSON(damaged); err == nil {
				t.Errorf("a snapshot with byte %d changed reads without error", i)
			}
		}
	}
	if silent < 0 {
		t.Error("found no byte whose change S2 decodes silently; the checksum test tested nothing")
	}
	if _, err := snapshotJSON(snapshot[:len(snapshot)-10]); err == nil {
		t.Error("a cut snapshot reads without error")
	}
	if _, err := snapshotJSON(s2Stream(t, bytes.Repeat(compact, 8), 4<<20)); err == nil {
		t.Error("a stream of blocks larger than maxSnapshotBlock reads without error")
	}
}

// s2Stream is an S2 stream of b in blocks of blockSize.
func s2Stream(t *testing.T, b []byte, blockSize int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := s2.NewWriter(&out, s2.WriterConcurrency(1), s2.WriterBlockSize(blockSize))
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func mustCompress(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := compressSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGzipSnapshotServedAsBefore: a revision whose snapshot was saved as
// gzip (before S2) is served from it, as it was: the API's plan is its JSON
// byte for byte and the formats are those of the plan it holds; one whose
// S2 snapshot is damaged is rebuilt from its answers and still served.
func TestGzipSnapshotServedAsBefore(t *testing.T) {
	e := newCacheEnv(t)
	data := []byte(exampleAnswers(t))
	a, err := e.cat.DecodeAnswers(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.cat.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	p.Organization = "Stored as gzip Ltd" // so that only the snapshot can say it
	var buf bytes.Buffer
	if err := plan.WriteCompactJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	compact := buf.Bytes()
	answers, err := marshalAnswers(a)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const id = "gzipsnapshotplan000001"
	if _, err := e.db.CreatePlan(ctx, store.NewPlan{ID: id, EditKeyHash: store.HashKey("k"), Answers: answers, Ruleset: e.cat.Ruleset, Plan: gzipSnapshot(t, compact)}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Plan json.RawMessage `json:"plan"`
	}
	r := fetch(t, "GET", e.raw+"/api/v1/plans/"+id, "")
	if err := json.Unmarshal(r.body, &got); err != nil || !bytes.Equal(got.Plan, bytes.TrimSuffix(compact, []byte("\n"))) {
		t.Errorf("the API's plan of a gzip snapshot (%d, %v) is not its JSON", r.status, err)
	}
	for _, format := range []string{"csv", "json"} {
		want, err := formatBytes(p, format)
		if err != nil {
			t.Fatal(err)
		}
		if r := fetch(t, "GET", e.raw+"/p/"+id+"."+format, ""); r.status != 200 || !bytes.Equal(r.body, want) {
			t.Errorf(".%s of a gzip snapshot: %d, not the plan it holds", format, r.status)
		}
	}

	// A damaged S2 snapshot: the plan is rebuilt from its answers.
	snapshot := mustCompress(t, compact)
	snapshot[len(snapshot)/2] ^= 0x01
	const damaged = "damagedsnapshotplan001"
	if _, err := e.db.CreatePlan(ctx, store.NewPlan{ID: damaged, EditKeyHash: store.HashKey("k"), Answers: answers, Ruleset: e.cat.Ruleset, Plan: snapshot}); err != nil {
		t.Fatal(err)
	}
	r = fetch(t, "GET", e.raw+"/p/"+damaged+".json", "")
	if r.status != 200 || bytes.Contains(r.body, []byte("Stored as gzip Ltd")) || !bytes.Contains(r.body, []byte(a.Organization)) {
		t.Errorf("a damaged snapshot: %d; want the plan rebuilt from its answers", r.status)
	}
}

// TestCodecPoolBound: however many saves compress at once, no more
// writers (and their buffers) exist than the pool's slots; a
// caller past them waits for one to come back, and gets it.
func TestCodecPoolBound(t *testing.T) {
	made := 0
	p := newCodecPool(func() *int { made++; v := made; return &v })
	n := cap(p.slots)
	var out []*int
	for range n {
		out = append(out, p.get())
	}
	got := make(chan *int)
	go func() { got <- p.get() }()
	select {
	case <-got:
		t.Fatalf("a get past the %d slots did not wait", n)
	case <-time.After(50 * time.Millisecond):
	}
	p.put(out[0])
	if v := <-got; v != out[0] || made != n {
		t.Errorf("the waiting get had value %d of %d made, want the one put back (%d of %d)", *v, made, *out[0], n)
	}
}
