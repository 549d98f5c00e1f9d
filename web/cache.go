package web

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRenderCacheBytes bounds the cache of rendered share pages and
// formats when Options.RenderCacheBytes is 0: about a hundred share pages
// of an eight-group plan with their compressed copies.
const DefaultRenderCacheBytes = 32 << 20

// cacheKey names one cached value: a representation of one revision
// (kind "html", "md", "csv", "json", "ics", "print", "api"), a revision's
// plan arranged for progress ("tracker"), what today's
// ruleset would change in it ("changes") or what changed since revision
// N ("diff-from-N", the /changes page's words), as rendered with one
// ruleset.
type cacheKey struct {
	id      string
	rev     int
	ruleset string
	kind    string
	// progress is the progress version a representation shows (the
	// latest revision's page and formats), day the date its tasks were
	// judged past their date on (the page); 0 and "" for the rest.
	progress int64
	day      string
}

// renderCache keeps rendered bytes in memory, least recently used first
// out once their total size passes max. It is safe for concurrent use.
// Concurrent misses of one key compute it once; the others wait for it,
// each no longer than its own request. It never answers whether a plan may
// be shown: callers learn that first (share views from shareInfo, which
// asks the store at least every ShareRecheck; share_live.go).
type renderCache struct {
	max         int64         // 0: nothing is kept (every request renders)
	fillTimeout time.Duration // how long one computation of a key may take

	mu     sync.Mutex
	size   int64
	lru    list.List // of *cacheEntry, most recently used at the front
	items  map[cacheKey]*list.Element
	perID  map[string]int // entries per plan id, so that dropping a plan's finds them cheaply
	flight map[cacheKey]*flight
	fills  map[string]int // computations started, by kind ("diff" for every diff-from-N)
}

// defaultFillTimeout bounds one computation of a cached value (reads, a
// build waiting for its turn, the render): it outlives the client that
// started it, for the others waiting, but not forever.
const defaultFillTimeout = 30 * time.Second

type cacheEntry struct {
	key   cacheKey
	value any
	size  int64
}

// flight is one computation of a key that others may wait for.
type flight struct {
	done  chan struct{}
	value any
	err   error
}

func newRenderCache(max int64) *renderCache {
	return &renderCache{max: max, fillTimeout: defaultFillTimeout, items: map[cacheKey]*list.Element{}, perID: map[string]int{}, flight: map[cacheKey]*flight{}, fills: map[string]int{}}
}

// get returns the value of k if it is cached and still valid, marking it used.
func (c *renderCache) get(k cacheKey, valid func(any) bool) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if valid != nil && !valid(e.value) {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.value, true
}

// do returns the cached value of k when valid is nil or approves it, else
// computes it with fn (once for all concurrent callers of k), caches it at
// the size fn reports, and returns it. Errors are not cached.
//
// fn runs with a context of its own: the caller's values, not its
// cancellation (others may be waiting for the value), and a deadline of
// fillTimeout. A caller waiting for another's computation stops waiting,
// with its ctx's error, when ctx ends.
func (c *renderCache) do(ctx context.Context, k cacheKey, valid func(any) bool, fn func(ctx context.Context) (any, int64, error)) (any, error) {
	fill := func() (any, int64, error) {
		class, _, _ := strings.Cut(k.kind, "-from-") // one count for every diff-from-N
		c.mu.Lock()
		c.fills[class]++
		c.mu.Unlock()
		fillCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fillTimeout)
		defer cancel()
		return fn(fillCtx)
	}
	if c.max <= 0 { // off: every request renders its own (what a cold cache costs)
		v, _, err := fill()
		return v, err
	}
	if v, ok := c.get(k, valid); ok {
		return v, nil
	}
	c.mu.Lock()
	if f, ok := c.flight[k]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err == nil && (valid == nil || valid(f.value)) {
			return f.value, nil
		}
		return c.do(ctx, k, valid, fn) // that computation failed or made a value this caller cannot use
	}
	f := &flight{done: make(chan struct{})}
	c.flight[k] = f
	c.mu.Unlock()

	var size int64
	func() {
		defer func() {
			if v := recover(); v != nil {
				f.err = errPanicked
				c.finish(k, f, 0)
				panic(v)
			}
		}()
		f.value, size, f.err = fill()
	}()
	c.finish(k, f, size)
	return f.value, f.err
}

// errPanicked is what waiters see when the computation they waited for panicked.
var errPanicked = &httpError{status: http.StatusInternalServerError, msg: "rendering failed"}

// finish ends a flight: the value is stored (unless it failed) and the waiters released.
func (c *renderCache) finish(k cacheKey, f *flight, size int64) {
	c.mu.Lock()
	delete(c.flight, k)
	if f.err == nil {
		c.putLocked(k, f.value, size)
	}
	c.mu.Unlock()
	close(f.done)
}

// putLocked stores a value, replacing an older one of the same key, and
// evicts the least recently used entries past the bound. A value larger
// than an eighth of the bound is not kept: one huge plan must not flush
// every other.
func (c *renderCache) putLocked(k cacheKey, v any, size int64) {
	if el, ok := c.items[k]; ok {
		c.removeLocked(el)
	}
	if c.max <= 0 || size > c.max/8 {
		return
	}
	c.items[k] = c.lru.PushFront(&cacheEntry{key: k, value: v, size: size})
	c.perID[k.id]++
	c.size += size
	c.evictLocked()
}

func (c *renderCache) evictLocked() {
	for c.size > c.max {
		el := c.lru.Back()
		if el == nil {
			return
		}
		c.removeLocked(el)
	}
}

func (c *renderCache) removeLocked(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.lru.Remove(el)
	delete(c.items, e.key)
	c.size -= e.size
	if c.perID[e.key.id]--; c.perID[e.key.id] <= 0 {
		delete(c.perID, e.key.id)
	}
}

// grow adds n bytes to the size of k's entry while it still holds v (a
// representation that has just made a compressed copy of itself).
func (c *renderCache) grow(k cacheKey, v any, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok || el.Value.(*cacheEntry).value != v {
		return
	}
	e := el.Value.(*cacheEntry)
	e.size += n
	c.size += n
	if e.size > c.max/8 {
		c.removeLocked(el)
	}
	c.evictLocked()
}

// dropPlan forgets everything cached for a plan (it was revoked).
func (c *renderCache) dropPlan(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.perID[id] == 0 {
		return
	}
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*cacheEntry).key.id == id {
			c.removeLocked(el)
		}
		el = next
	}
}

// stats reports the entries and bytes held (tests, logs).
func (c *renderCache) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.size
}

// filled reports how many values of a kind were computed (rendered) so far.
func (c *renderCache) filled(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fills[kind]
}

// representation is one rendered response, kept whole: the bytes as they
// are, each compressed copy (made once, when a client first asks for that
// coding) and the headers that describe them.
type representation struct {
	body        []byte
	contentType string
	disposition string // Content-Disposition, or ""
	// etag is the validator: a hash of body (sent with a suffix per
	// coding), or, with fixedETag, a value that a contract fixes (the API's
	// "<revision>"), sent as it is for every coding.
	etag      string
	fixedETag bool
	latest    int // a share page: the latest revision its list shows
	// version names what a page was rendered from where its cache key
	// does not (a draft's plan page: planPageVersion).
	version string
	// private: one planner's page (no-store): sent without an ETag, as
	// the other wizard pages are.
	private bool
	// fast: compressed at the level of a response compressed for one
	// request, for a representation sent a few times at most (a
	// planner's page, or any when the cache keeps nothing), where the
	// denser level would cost more CPU than its bytes save.
	fast bool

	mu     sync.Mutex
	coded  map[string][]byte // coding → compressed body
	onGrow func(n int64)     // tells the cache a compressed copy was added
}

// newRepresentation describes body; its ETag is a hash of the bytes, so it
// changes whenever they do.
func newRepresentation(body []byte, contentType string) *representation {
	sum := sha256.Sum256(body)
	return &representation{body: body, contentType: contentType, etag: hex.EncodeToString(sum[:10])}
}

// cost is what the representation holds in memory, as the cache counts it.
func (rep *representation) cost() int64 { return int64(len(rep.body)) + 256 }

// coding is the coding a response will use for a client that accepts
// enc: bodies too small to gain are sent as they are.
func (rep *representation) coding(enc string) string {
	if len(rep.body) < minCompressBytes {
		return encIdentity
	}
	return enc
}

// bytesFor returns the body in a coding, compressing it the first time.
func (rep *representation) bytesFor(enc string) []byte {
	if enc == encIdentity {
		return rep.body
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if b, ok := rep.coded[enc]; ok {
		return b
	}
	var b []byte
	if rep.fast {
		b = compressDynamic(enc, rep.body)
	} else {
		b = compressCached(enc, rep.body)
	}
	if rep.coded == nil {
		rep.coded = map[string][]byte{}
	}
	rep.coded[enc] = b
	if rep.onGrow != nil {
		rep.onGrow(int64(len(b)))
	}
	return b
}

// compressDynamic compresses a fast representation at the levels of a
// response compressed for one request.
func compressDynamic(enc string, body []byte) []byte {
	level := dynamicGzipLevel
	if enc == encBrotli {
		level = dynamicBrotliQuality
	}
	return compressBytes(enc, level, body)
}

// etagFor is the quoted ETag of the body in a coding.
func (rep *representation) etagFor(enc string) string {
	if rep.fixedETag || enc == encIdentity {
		return `"` + rep.etag + `"`
	}
	return `"` + rep.etag + "-" + enc + `"`
}

// matches reports whether an If-None-Match header names this
// representation in any coding (the weak comparison RFC 9110 asks for).
func (rep *representation) matches(ifNoneMatch string) bool {
	for tag := range strings.SplitSeq(ifNoneMatch, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" {
			return true
		}
		opaque, ok := strings.CutPrefix(tag, `"`)
		if opaque, ok = strings.CutSuffix(opaque, `"`); !ok {
			continue
		}
		if opaque == rep.etag {
			return true
		}
		if !rep.fixedETag {
			if base, _, found := strings.Cut(opaque, "-"); found && base == rep.etag {
				return true
			}
		}
	}
	return false
}

// write answers a request with the representation: 304 when the client
// holds it, else the body in the best coding the client accepts, each
// coding compressed only once. Cache-Control and the other headers of
// the route are the caller's.
func (rep *representation) write(w http.ResponseWriter, r *http.Request, status int) {
	h := w.Header()
	h.Set("Content-Type", rep.contentType)
	if rep.disposition != "" {
		h.Set("Content-Disposition", rep.disposition)
	}
	addVary(h, "Accept-Encoding")
	enc := rep.coding(negotiateEncoding(r.Header.Get("Accept-Encoding")))
	if !rep.private {
		h.Set("ETag", rep.etagFor(enc))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && !rep.private && status == http.StatusOK && rep.matches(inm) {
		h.Del("Content-Type")
		h.Del("Content-Disposition")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := rep.bytesFor(enc)
	if enc != encIdentity {
		h.Set("Content-Encoding", enc)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		writeBody(w, body)
	}
}

// cachedRepresentation returns the representation cached under k, or
// renders it with fn and caches it; valid, when set, rejects a cached one
// that no longer fits the request (a share page whose revision list is
// out of date). fn gets the context of the computation (see renderCache.do).
func (s *Server) cachedRepresentation(ctx context.Context, k cacheKey, valid func(*representation) bool, fn func(ctx context.Context) (*representation, error)) (*representation, error) {
	var check func(any) bool
	if valid != nil {
		check = func(v any) bool { return valid(v.(*representation)) }
	}
	v, err := s.cache.do(ctx, k, check, func(ctx context.Context) (any, int64, error) {
		rep, err := fn(ctx)
		if err != nil {
			return nil, 0, err
		}
		rep.onGrow = func(n int64) { s.cache.grow(k, rep, n) }
		if s.cache.max <= 0 {
			rep.fast = true // kept for this request only
		}
		return rep, rep.cost(), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*representation), nil
}
