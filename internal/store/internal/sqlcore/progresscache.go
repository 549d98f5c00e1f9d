package sqlcore

import (
	"container/list"
	"context"
	"maps"
	"sync"

	"github.com/enrollplan/enrollplan/internal/store"
)

// Reading a plan's whole progress is a row per task (a few microseconds
// each through pure-Go SQLite), and PatchProgress needs the whole progress
// twice: the web layer reads it to merge what a patch leaves out, and the
// patch applies to it inside the write transaction, where SQLite's single
// writer does it for everyone in turn. With a plan of 200 ticked tasks that
// was two thirds of a PATCH's CPU. So the store keeps the progress it last
// read or committed per plan, and a read checks only the header row's
// version against it: a version names one committed state for good (every
// patch that changes something bumps it, under the plan's row lock, and
// RevokePlan deletes the header with the plan, whose id is never reused),
// so a cached progress whose version is the header's is exactly what a
// full read would return, also when another process or replica wrote the
// version.
//
// Only what is known committed is cached: a full read outside a write
// transaction, or a patch's result once its COMMIT succeeded. A patch
// later in the same (group commit) transaction sees an earlier one's
// uncommitted result through the transaction's txMemo instead.

// progressCacheBytes bounds the memory the cache holds, as estimated by
// progressSize: about 40 plans with every one of 200 tasks ticked and
// noted, several hundred with a few. Least recently used plans go first.
const progressCacheBytes = 8 << 20

// progressCache is the cache; safe for concurrent use. The maps of a
// cached Progress are never changed (progress.Apply copies what it
// changes), and callers get copies (cloneProgress), so they may change
// theirs.
type progressCache struct {
	mu    sync.Mutex
	max   int64
	bytes int64
	lru   *list.List // of *cachedProgress, most recently used first
	byID  map[string]*list.Element
}

type cachedProgress struct {
	pr   store.Progress
	size int64
}

func newProgressCache(max int64) *progressCache {
	return &progressCache{max: max, lru: list.New(), byID: map[string]*list.Element{}}
}

// get returns the cached progress of planID if it is at version.
func (c *progressCache) get(planID string, version int64) (store.Progress, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[planID]
	if !ok || e.Value.(*cachedProgress).pr.Version != version {
		return store.Progress{}, false
	}
	c.lru.MoveToFront(e)
	return e.Value.(*cachedProgress).pr, true
}

// put caches pr, a committed state, unless a later version of the plan is
// cached already (two patches' callers may return out of order). pr's
// maps must not change afterwards.
func (c *progressCache) put(pr store.Progress) {
	if pr.Version == 0 {
		return // nothing recorded: a read of the header says so on its own
	}
	size := progressSize(pr)
	if size > c.max/4 {
		return // a huge progress would push out everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[pr.PlanID]; ok {
		old := e.Value.(*cachedProgress)
		if old.pr.Version >= pr.Version {
			return
		}
		c.bytes += size - old.size
		old.pr, old.size = pr, size
		c.lru.MoveToFront(e)
	} else {
		c.byID[pr.PlanID] = c.lru.PushFront(&cachedProgress{pr: pr, size: size})
		c.bytes += size
	}
	for c.bytes > c.max {
		last := c.lru.Back()
		old := last.Value.(*cachedProgress)
		c.lru.Remove(last)
		delete(c.byID, old.pr.PlanID)
		c.bytes -= old.size
	}
}

// drop forgets a plan's progress (it was revoked).
func (c *progressCache) drop(planID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[planID]; ok {
		c.lru.Remove(e)
		delete(c.byID, planID)
		c.bytes -= e.Value.(*cachedProgress).size
	}
}

// progressSize estimates the memory pr holds: map slots, structs and text.
func progressSize(pr store.Progress) int64 {
	n := int64(256)
	for id, t := range pr.Tasks {
		n += int64(112 + len(id) + len(t.Status) + len(t.Note) + len(t.By))
	}
	for w, pops := range pr.Enrolled {
		n += int64(64 + len(w))
		for p, e := range pops {
			n += int64(96 + len(p) + len(e.By))
		}
	}
	return n
}

// cloneProgress copies pr's maps, so that a caller changing them cannot
// change the cache.
func cloneProgress(pr store.Progress) store.Progress {
	pr.Tasks = maps.Clone(pr.Tasks)
	enrolled := make(map[string]map[string]store.EnrolledCount, len(pr.Enrolled))
	for w, pops := range pr.Enrolled {
		enrolled[w] = maps.Clone(pops)
	}
	pr.Enrolled = enrolled
	return pr
}

// txMemo is what the writes of one transaction learn for the writes after
// them in the same transaction (group commit runs many in one): the
// progress each patch left, not yet committed and so not yet for the
// cache. A write that fails leaves nothing in it (its savepoint is rolled
// back); a transaction that fails takes its memo with it. Once the
// transaction has committed, whoever ran it calls committed, which hands
// the progress to the cache before any writer hears back, so the next
// patch of the plan, in the next batch, finds it there.
type txMemo struct {
	progress map[string]store.Progress
	cache    *progressCache // nil: nothing to hand on (tests)
}

type txMemoKey struct{}

// get returns the progress of planID a write of this transaction left, if
// it is at version; a nil memo (outside a write) holds none.
func (m *txMemo) get(planID string, version int64) (store.Progress, bool) {
	if m == nil {
		return store.Progress{}, false
	}
	pr, ok := m.progress[planID]
	return pr, ok && pr.Version == version
}

// put notes the progress a write left; a nil memo forgets it.
func (m *txMemo) put(pr store.Progress) {
	if m != nil {
		m.progress[pr.PlanID] = pr
	}
}

func newTxMemo(cache *progressCache) *txMemo {
	return &txMemo{progress: map[string]store.Progress{}, cache: cache}
}

// committed hands what the transaction's writes left to the cache: it is
// committed now.
func (m *txMemo) committed() {
	if m.cache == nil {
		return
	}
	for _, pr := range m.progress {
		m.cache.put(pr)
	}
}

// withMemo gives ctx the memo of the transaction it writes in.
func withMemo(ctx context.Context, m *txMemo) context.Context {
	return context.WithValue(ctx, txMemoKey{}, m)
}

// memoOf returns the transaction's memo; nil outside a write.
func memoOf(ctx context.Context) *txMemo {
	m, _ := ctx.Value(txMemoKey{}).(*txMemo)
	return m
}
