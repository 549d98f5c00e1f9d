package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
)

// cacheEnv is one store with two servers on it: one caching rendered
// bytes (as served), one rendering every request afresh (what a cached
// answer must equal), as two replicas would.
type cacheEnv struct {
	cat            *plan.Catalog
	db             store.Store
	cached, fresh  *Server
	cachedURL, raw string
}

func newCacheEnv(t *testing.T) *cacheEnv {
	t.Helper()
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys := []string{strings.Repeat("k", 40)}
	e := &cacheEnv{cat: cat, db: db,
		cached: New(Options{Store: db, Catalog: cat, SessionKeys: keys}),
		fresh:  New(Options{Store: db, Catalog: cat, SessionKeys: keys, RenderCacheBytes: -1})}
	c := httptest.NewServer(e.cached.Handler())
	f := httptest.NewServer(e.fresh.Handler())
	t.Cleanup(c.Close)
	t.Cleanup(f.Close)
	e.cachedURL, e.raw = c.URL, f.URL
	return e
}

// rawClient leaves Accept-Encoding and decompression to the test.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func fetch(t *testing.T, method, url, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, b}
}

// decoded is an answer's body with its Content-Encoding undone.
func decoded(t *testing.T, a answer) []byte {
	t.Helper()
	var r io.Reader
	switch enc := a.header.Get("Content-Encoding"); enc {
	case "":
		return a.body
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(a.body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(a.body))
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s body does not decompress: %v", a.header.Get("Content-Encoding"), err)
	}
	return b
}

// save stores answers through the API and returns the plan's id and edit key.
func (e *cacheEnv) save(t *testing.T, answers string) createdPlan {
	t.Helper()
	a := fetch(t, "POST", e.cachedURL+"/api/v1/plans", answers)
	if a.status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	var c createdPlan
	if err := json.Unmarshal(a.body, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// sharePaths are every cached representation of a plan's latest revision.
func sharePaths(id string) []string {
	p := "/p/" + id
	return []string{p, p + ".md", p + ".csv", p + ".json", p + "/r/1", p + "/r/1.md", p + "/print", "/api/v1/plans/" + id}
}

func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	return files
}

// TestCachedShareBytesEqualFreshRender: every representation answered
// from the cache (second and later requests) is byte-identical to what a
// server without a cache renders for the same request, for every example
// plan, and the share page and formats read from the snapshot equal those
// rendered from a plan built afresh with the same ruleset.
func TestCachedShareBytesEqualFreshRender(t *testing.T) {
	e := newCacheEnv(t)
	for _, file := range exampleFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c := e.save(t, string(data))
		for _, path := range sharePaths(c.ID) {
			first := fetch(t, "GET", e.cachedURL+path, "")
			second := fetch(t, "GET", e.cachedURL+path, "")
			fresh := fetch(t, "GET", e.raw+path, "")
			if first.status != 200 || second.status != 200 || fresh.status != 200 {
				t.Fatalf("%s %s: statuses %d %d %d", file, path, first.status, second.status, fresh.status)
			}
			if !bytes.Equal(second.body, fresh.body) || !bytes.Equal(first.body, fresh.body) {
				t.Errorf("%s %s: the cached bytes differ from a fresh render", file, path)
			}
			if second.header.Get("ETag") != fresh.header.Get("ETag") || second.header.Get("ETag") == "" {
				t.Errorf("%s %s: ETag %q cached, %q fresh", file, path, second.header.Get("ETag"), fresh.header.Get("ETag"))
			}
			for _, h := range []string{"Content-Type", "Content-Disposition", "Cache-Control", "X-Robots-Tag", "Referrer-Policy"} {
				if second.header.Get(h) != fresh.header.Get(h) {
					t.Errorf("%s %s: %s %q cached, %q fresh", file, path, h, second.header.Get(h), fresh.header.Get(h))
				}
			}
			if cc := second.header.Get("Cache-Control"); cc != "private, no-cache" {
				t.Errorf("%s %s: Cache-Control %q, want private", file, path, cc)
			}
		}

		// The snapshot reads back as the plan it was built into.
		a, err := e.cat.DecodeAnswers(data)
		if err != nil {
			t.Fatal(err)
		}
		// Built on the server's date, as the server builds every plan.
		built, err := e.cat.BuildWith(a, plan.BuildOptions{Today: time.Now().UTC().Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := e.db.GetPlan(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"md", "csv", "json"} {
			want, err := revisionFormatBytes(built, format, sp)
			if err != nil {
				t.Fatal(err)
			}
			if got := fetch(t, "GET", e.cachedURL+"/p/"+c.ID+"."+format, "").body; !bytes.Equal(got, want) {
				t.Errorf("%s .%s from the snapshot differs from the plan built afresh", file, format)
			}
		}
		if sp.Plan == nil {
			t.Fatalf("%s: no snapshot stored", file)
		}
		page, err := e.cached.renderSharePage(context.Background(), sp, built, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := fetch(t, "GET", e.cachedURL+"/p/"+c.ID, "").body; !bytes.Equal(got, page.body) {
			t.Errorf("%s: the share page from the snapshot differs from one of the plan built afresh", file)
		}
	}
	if n, size := e.cached.cache.stats(); n == 0 || size <= 0 || size > DefaultRenderCacheBytes {
		t.Errorf("cache holds %d entries, %d bytes", n, size)
	}
	if n, _ := e.fresh.cache.stats(); n != 0 {
		t.Errorf("a server without a cache holds %d entries", n)
	}
}

// TestRevokedPlanIsGoneEvenWhenCached: once revoked, every cached
// representation answers 410 at once on the server that revoked it, and,
// within its ShareRecheck, on another one (a replica) that had it cached,
// which then forgets it.
func TestRevokedPlanIsGoneEvenWhenCached(t *testing.T) {
	e := newCacheEnv(t)
	c := e.save(t, exampleAnswers(t))
	const bound = 300 * time.Millisecond
	other := New(Options{Store: e.db, Catalog: e.cat, SessionKeys: []string{strings.Repeat("k", 40)}, ShareRecheck: bound})
	otherTS := httptest.NewServer(other.Handler())
	t.Cleanup(otherTS.Close)
	for _, base := range []string{e.cachedURL, otherTS.URL} {
		for _, path := range sharePaths(c.ID) {
			for range 2 { // the second is served from the cache
				if a := fetch(t, "GET", base+path, "", "Accept-Encoding", "br, gzip"); a.status != 200 {
					t.Fatalf("%s before revoking: %d", path, a.status)
				}
			}
		}
	}
	if n, _ := other.cache.stats(); n == 0 {
		t.Fatal("nothing cached on the other server")
	}
	// Revoked through the first server: the other learns it from the store
	// once what it knew is older than its ShareRecheck.
	if a := fetch(t, "DELETE", e.cachedURL+"/api/v1/plans/"+c.ID, "", "Authorization", "Bearer "+c.EditKey); a.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", a.status, a.body)
	}
	revoked := time.Now()
	if n, _ := e.cached.cache.stats(); n != 0 {
		t.Errorf("the revoking server still holds %d entries", n)
	}
	for i, base := range []string{e.cachedURL, otherTS.URL} {
		if i == 1 {
			time.Sleep(bound - time.Since(revoked))
		}
		for _, path := range sharePaths(c.ID) {
			a := fetch(t, "GET", base+path, "", "Accept-Encoding", "br, gzip")
			if a.status != http.StatusGone {
				t.Errorf("%s%s after revoking: %d, want 410", base, path, a.status)
			}
			if bytes.Contains(decoded(t, a), []byte("Contoso")) {
				t.Errorf("%s after revoking still shows the plan", path)
			}
		}
	}
	if n, _ := other.cache.stats(); n != 0 {
		t.Errorf("the other server still holds %d entries of a revoked plan", n)
	}
}

// TestOlderRulesetSnapshotShowsNoticeAndChanges: a revision whose snapshot
// was built with an earlier ruleset is shown as saved, says so in words,
// and lists what today's ruleset would change (a rebuild compared with the
// stored plan), computed once per (id, revision, ruleset).
func TestOlderRulesetSnapshotShowsNoticeAndChanges(t *testing.T) {
	e := newCacheEnv(t)
	a, err := e.cat.DecodeAnswers([]byte(exampleAnswers(t)))
	if err != nil {
		t.Fatal(err)
	}
	old, err := e.cat.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	// What the older edition said: one step worded otherwise, one step it
	// did not have yet.
	const oldRuleset = "2020.1.0"
	old.Ruleset = oldRuleset
	pop := &old.Populations[0]
	if len(pop.Steps) < 2 {
		t.Fatal("the example's first group has fewer than two steps")
	}
	const oldWording = "Enrol the devices the way the 2020 guidance said"
	pop.Steps[0].Title = oldWording
	missing := pop.Steps[len(pop.Steps)-1]
	pop.Steps = pop.Steps[:len(pop.Steps)-1]
	_, snapshot, err := encodePlan(old)
	if err != nil {
		t.Fatal(err)
	}
	data, err := marshalAnswers(a)
	if err != nil {
		t.Fatal(err)
	}
	id, key := "olderrulesetsnapshot01", "k"
	ctx := context.Background()
	if _, err := e.db.CreatePlan(ctx, store.NewPlan{ID: id, EditKeyHash: store.HashKey(key), Answers: data, Ruleset: oldRuleset, Plan: snapshot}); err != nil {
		t.Fatal(err)
	}

	page := fetch(t, "GET", e.cachedURL+"/p/"+id, "")
	if page.status != 200 {
		t.Fatalf("share page: %d", page.status)
	}
	text := pageText(string(page.body))
	notice := "with an earlier edition of the Intune guidance (" + oldRuleset + ") and is shown as it was saved. Today's edition is " + e.cat.Ruleset + "."
	if !strings.Contains(text, notice) {
		t.Errorf("no notice %q in the page", notice)
	}
	if !strings.Contains(text, oldWording) {
		t.Error("the page does not show the plan as it was saved")
	}
	if strings.Contains(text, "reads the same answers") {
		t.Error("a snapshot is described as rebuilt")
	}
	want := plan.DiffPlans(a, a, mustDecode(t, snapshot), mustBuild(t, e.cat, a))
	if len(want) == 0 || !slices.ContainsFunc(want, func(s string) bool { return strings.Contains(s, missing.Title) }) {
		t.Fatalf("DiffPlans does not see the missing step: %q", want)
	}
	if !strings.Contains(text, "What today's edition would change:") {
		t.Error("no list of what today's edition would change")
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the page does not say %q", w)
		}
	}
	// The formats and the API are the snapshot too.
	if md := fetch(t, "GET", e.cachedURL+"/p/"+id+".md", ""); !strings.Contains(string(md.body), oldWording) {
		t.Error("the Markdown is not the snapshot")
	}
	if api := fetch(t, "GET", e.cachedURL+"/api/v1/plans/"+id, ""); !strings.Contains(string(api.body), `"ruleset":"`+oldRuleset+`"`) {
		t.Error("the API's plan is not the snapshot")
	}

	// Computed once per (id, revision, ruleset): a new revision renders
	// revision 1's page again (its list changed), not the comparison.
	k := cacheKey{id: id, rev: 1, ruleset: e.cat.Ruleset, kind: "changes"}
	first, ok := e.cached.cache.get(k, nil)
	if !ok {
		t.Fatal("the comparison is not cached")
	}
	u := store.Update{ID: id, ExpectedRevision: 1, Answers: data, Ruleset: e.cat.Ruleset}
	if _, err := e.cached.updatePlan(ctx, u, mustBuild(t, e.cat, a)); err != nil {
		t.Fatal(err)
	}
	again := fetch(t, "GET", e.cachedURL+"/p/"+id+"/r/1", "")
	if again.header.Get("ETag") == page.header.Get("ETag") {
		t.Error("revision 1's page kept its ETag although its revision list changed")
	}
	if !strings.Contains(pageText(string(again.body)), notice) || !strings.Contains(string(again.body), "Revision 2") {
		t.Error("revision 1's page, rendered again, lost its notice or does not list revision 2")
	}
	if now, _ := e.cached.cache.get(k, nil); fmt.Sprint(now) != fmt.Sprint(first) {
		t.Error("the comparison was computed again")
	}
	// The latest revision was saved with today's ruleset: no notice.
	if latest := fetch(t, "GET", e.cachedURL+"/p/"+id, ""); strings.Contains(pageText(string(latest.body)), "earlier edition") {
		t.Error("the latest revision, saved with today's ruleset, carries the notice")
	}
}

func mustDecode(t *testing.T, snapshot []byte) *plan.Plan {
	t.Helper()
	data, err := snapshotJSON(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func mustBuild(t *testing.T, cat *plan.Catalog, a plan.Answers) *plan.Plan {
	t.Helper()
	p, err := cat.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNotModified: a matching If-None-Match answers 304 without a body, in
// every coding; another ETag, or none, the full answer.
func TestNotModified(t *testing.T) {
	e := newCacheEnv(t)
	c := e.save(t, exampleAnswers(t))
	for _, path := range sharePaths(c.ID) {
		for _, enc := range []string{"", "gzip", "br"} {
			a := fetch(t, "GET", e.cachedURL+path, "", "Accept-Encoding", enc)
			tag := a.header.Get("ETag")
			if a.status != 200 || tag == "" {
				t.Fatalf("%s (%s): %d, ETag %q", path, enc, a.status, tag)
			}
			nm := fetch(t, "GET", e.cachedURL+path, "", "Accept-Encoding", enc, "If-None-Match", tag)
			if nm.status != http.StatusNotModified || len(nm.body) != 0 || nm.header.Get("ETag") != tag {
				t.Errorf("%s (%s) with If-None-Match %s: %d, %d bytes, ETag %q", path, enc, tag, nm.status, len(nm.body), nm.header.Get("ETag"))
			}
			if cc := nm.header.Get("Cache-Control"); cc != "private, no-cache" {
				t.Errorf("%s 304: Cache-Control %q", path, cc)
			}
			if list := fetch(t, "GET", e.cachedURL+path, "", "Accept-Encoding", enc, "If-None-Match", `"nope", `+tag); list.status != http.StatusNotModified {
				t.Errorf("%s: a list holding the ETag answered %d", path, list.status)
			}
			if other := fetch(t, "GET", e.cachedURL+path, "", "Accept-Encoding", enc, "If-None-Match", `"not-this-one"`); other.status != 200 || len(other.body) == 0 {
				t.Errorf("%s with another ETag: %d", path, other.status)
			}
		}
	}
	// The API's ETag is the revision (CONTRACT), so If-Match still takes it.
	if a := fetch(t, "GET", e.cachedURL+"/api/v1/plans/"+c.ID, "", "Accept-Encoding", "gzip"); a.header.Get("ETag") != `"1"` {
		t.Errorf("API ETag %q, want \"1\"", a.header.Get("ETag"))
	}
	// A revoked plan answers 410, whatever the client holds.
	fetch(t, "DELETE", e.cachedURL+"/api/v1/plans/"+c.ID, "", "Authorization", "Bearer "+c.EditKey)
	if a := fetch(t, "GET", e.cachedURL+"/p/"+c.ID, "", "If-None-Match", "*"); a.status != http.StatusGone {
		t.Errorf("revoked, with If-None-Match: %d", a.status)
	}
}

// TestCompressedBodiesDecompressToTheSameBytes: brotli and gzip answers,
// cached or compressed per response, decompress to the identity bytes,
// and say Vary: Accept-Encoding.
func TestCompressedBodiesDecompressToTheSameBytes(t *testing.T) {
	e := newCacheEnv(t)
	c := e.save(t, exampleAnswers(t))
	check := func(method, path, body string) {
		t.Helper()
		plain := fetch(t, method, e.cachedURL+path, body)
		if plain.header.Get("Content-Encoding") != "" {
			t.Fatalf("%s: compressed without Accept-Encoding", path)
		}
		for _, accept := range []string{"gzip", "br", "gzip, deflate, br, zstd", "br;q=0, gzip", "identity", "*"} {
			a := fetch(t, method, e.cachedURL+path, body, "Accept-Encoding", accept)
			if a.status != plain.status {
				t.Fatalf("%s (%s): %d, without: %d", path, accept, a.status, plain.status)
			}
			want := map[string]string{"gzip": "gzip", "br": "br", "gzip, deflate, br, zstd": "br", "br;q=0, gzip": "gzip", "identity": "", "*": "br"}[accept]
			if got := a.header.Get("Content-Encoding"); got != want {
				t.Errorf("%s (Accept-Encoding %q): Content-Encoding %q, want %q", path, accept, got, want)
			}
			if !bytes.Equal(decoded(t, a), plain.body) {
				t.Errorf("%s (%s): the decompressed body differs", path, accept)
			}
			if !slices.Contains(a.header.Values("Vary"), "Accept-Encoding") {
				t.Errorf("%s (%s): Vary %q", path, accept, a.header.Values("Vary"))
			}
			if want != "" && len(a.body) >= len(plain.body) {
				t.Errorf("%s (%s): %d bytes compressed, %d plain", path, accept, len(a.body), len(plain.body))
			}
		}
	}
	for _, path := range sharePaths(c.ID) {
		check("GET", path, "")
	}
	check("POST", "/api/v1/plan", exampleAnswers(t)) // compressed per response
	check("GET", "/", "")
	// A share page is at most 30 KB on the wire with brotli.
	if a := fetch(t, "GET", e.cachedURL+"/p/"+c.ID, "", "Accept-Encoding", "br"); len(a.body) > 30<<10 {
		t.Errorf("share page: %d bytes on the wire with brotli", len(a.body))
	}
}

func TestNegotiateEncoding(t *testing.T) {
	for header, want := range map[string]string{
		"": "", "identity": "", "gzip": "gzip", "x-gzip": "gzip", "br": "br", "gzip, br": "br", "br, gzip": "br",
		"gzip;q=1, br;q=0.5": "gzip", "br;q=0": "", "br;q=0, *": "gzip", "*": "br", "*;q=0": "", "deflate": "",
		"GZIP": "gzip", "br ; q=0.8, gzip ; q=0.8": "br", "gzip;q=bogus": "", "zstd, br;q=0.1": "br",
	} {
		if got := negotiateEncoding(header); got != want {
			t.Errorf("negotiateEncoding(%q) = %q, want %q", header, got, want)
		}
	}
}

// TestRenderCacheBoundAndLRU: the cache never holds more than its bound,
// evicts the least recently used first, and computes a key once however
// many ask for it at the same time.
func TestRenderCacheBoundAndLRU(t *testing.T) {
	c := newRenderCache(1000)
	put := func(id string, size int64) {
		if _, err := c.do(context.Background(), cacheKey{id: id}, nil, func(context.Context) (any, int64, error) { return id, size, nil }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		put(fmt.Sprint(i), 100) // an eighth of the bound at most is kept per entry
	}
	if n, size := c.stats(); n != 10 || size != 1000 {
		t.Fatalf("%d entries, %d bytes", n, size)
	}
	c.get(cacheKey{id: "0"}, nil) // now the most recently used
	put("new", 100)
	if _, ok := c.get(cacheKey{id: "1"}, nil); ok {
		t.Error("the least recently used entry was kept")
	}
	if _, ok := c.get(cacheKey{id: "0"}, nil); !ok {
		t.Error("a recently used entry was evicted")
	}
	put("huge", 500) // past an eighth of the bound: served, not kept
	if _, ok := c.get(cacheKey{id: "huge"}, nil); ok {
		t.Error("an entry past an eighth of the bound was kept")
	}
	c.grow(cacheKey{id: "0"}, "0", 20)
	if _, size := c.stats(); size > 1000 {
		t.Errorf("%d bytes after growing, bound 1000", size)
	}
	c.dropPlan("0")
	if _, ok := c.get(cacheKey{id: "0"}, nil); ok {
		t.Error("dropPlan kept an entry")
	}

	var calls sync.WaitGroup
	var mu sync.Mutex
	computed := 0
	start := make(chan struct{})
	for range 50 {
		calls.Go(func() {
			<-start
			v, err := c.do(context.Background(), cacheKey{id: "shared"}, nil, func(context.Context) (any, int64, error) {
				mu.Lock()
				computed++
				mu.Unlock()
				return "v", 10, nil
			})
			if err != nil || v != "v" {
				t.Error(v, err)
			}
		})
	}
	close(start)
	calls.Wait()
	if computed != 1 {
		t.Errorf("computed %d times for 50 concurrent callers", computed)
	}
}

// TestConcurrentShareViews: many readers of a page and its formats, cold
// and warm, with saves in between, under the race detector.
func TestConcurrentShareViews(t *testing.T) {
	e := newCacheEnv(t)
	c := e.save(t, exampleAnswers(t))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 6 {
				path := sharePaths(c.ID)[(i+j)%len(sharePaths(c.ID))]
				enc := []string{"", "gzip", "br"}[(i+j)%3]
				a := fetch(t, "GET", e.cachedURL+path, "", "Accept-Encoding", enc)
				if a.status != 200 {
					t.Errorf("%s: %d", path, a.status)
					return
				}
				decoded(t, a)
			}
		})
	}
	wg.Go(func() {
		a := fetch(t, "PUT", e.cachedURL+"/api/v1/plans/"+c.ID, strings.Replace(exampleAnswers(t), "Contoso Ltd", "Contoso Group", 1),
			"Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`)
		if a.status != 200 {
			t.Errorf("update: %d %s", a.status, a.body)
		}
	})
	wg.Wait()
	page := fetch(t, "GET", e.cachedURL+"/p/"+c.ID, "")
	if !strings.Contains(string(page.body), "Contoso Group") || !strings.Contains(string(page.body), "Revision 2") {
		t.Error("after the update the share page is not revision 2")
	}
	fresh := fetch(t, "GET", e.raw+"/p/"+c.ID+"/r/1", "")
	if cached := fetch(t, "GET", e.cachedURL+"/p/"+c.ID+"/r/1", ""); !bytes.Equal(cached.body, fresh.body) {
		t.Error("revision 1's cached page does not list revision 2")
	}
}

// TestOldRevisionWithoutSnapshot: a revision saved before snapshots is
// rebuilt with today's ruleset and described as such.
func TestOldRevisionWithoutSnapshot(t *testing.T) {
	e := newCacheEnv(t)
	id := "oldrevisionnosnapshot1"
	if _, err := e.db.CreatePlan(context.Background(), store.NewPlan{ID: id, EditKeyHash: store.HashKey("k"), Answers: []byte(exampleAnswers(t)), Ruleset: "2020.1.0"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range sharePaths(id) {
		cached := fetch(t, "GET", e.cachedURL+path, "")
		fresh := fetch(t, "GET", e.raw+path, "")
		if cached.status != 200 || !bytes.Equal(cached.body, fresh.body) {
			t.Errorf("%s: %d, equal to a fresh render: %v", path, cached.status, bytes.Equal(cached.body, fresh.body))
		}
	}
	page := pageText(string(fetch(t, "GET", e.cachedURL+"/p/"+id, "").body))
	if !strings.Contains(page, "reads the same answers") || strings.Contains(page, "shown as it was saved") {
		t.Error("a rebuilt revision is not described as rebuilt")
	}
}
