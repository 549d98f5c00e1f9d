package web

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// A share view used to ask the database, on every request, whether the
// plan was revoked, which revision is its latest and which progress
// version it is at: a third of a cached view's CPU, and a round trip per
// view to a database that several replicas share. Now a server keeps what
// the store last said about each plan it showed, and trusts it for
// ShareRecheck (DefaultShareRecheck, one second): within that, views need
// no round trip; after it, the next view asks again.
//
// So a plan revoked, given a new revision or ticked through another
// replica is seen by this one within ShareRecheck: no view that starts
// more than ShareRecheck after the change committed is answered from what
// this server knew before it. Through this server, the change is seen at
// once: every write of a plan through the server's store forgets what it
// knew of that plan (liveStore), so the replica that revokes a link never
// serves it again. A per-plan check every ShareRecheck was chosen over a
// generation counter that every write bumps: it needs no schema, and
// progress patches of different plans do not all take the lock of one
// counter row. A revoked plan stays revoked (its id is never reused), so
// that answer is kept until the entry is evicted.

// DefaultShareRecheck is how long a server trusts what the store said about
// a shared plan when Options.ShareRecheck is 0.
const DefaultShareRecheck = time.Second

// maxLivePlans bounds the plans a server remembers; beyond it, one is
// forgotten (and asked about again on its next view).
const maxLivePlans = 16384

// liveShares is what the store last said about each recently viewed plan.
// Safe for concurrent use.
type liveShares struct {
	ttl time.Duration // ≤ 0: every view asks the store

	mu sync.Mutex
	m  map[string]*livePlan
	// writes counts the writes of any plan through this server; an entry
	// made or written since a store read began has a later count than
	// the read (so an entry forgotten and made again still refuses it).
	writes uint64
}

type livePlan struct {
	info     store.PlanInfo
	progress int64     // the progress version of the latest revision
	checked  time.Time // when the store was asked (before it answered); zero while being asked
	gone     bool      // revoked: for good
	// writes is liveShares.writes when the entry was made or the plan
	// last written through this server: an answer read before is not kept.
	writes uint64
}

func newLiveShares(ttl time.Duration) *liveShares {
	return &liveShares{ttl: ttl, m: map[string]*livePlan{}}
}

// get returns what is known of id while it is fresh: the plan's latest
// revision and progress version, or gone.
func (l *liveShares) get(id string) (info store.PlanInfo, progress int64, gone, ok bool) {
	if l.ttl <= 0 {
		return store.PlanInfo{}, 0, false, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[id]
	switch {
	case e == nil:
		return store.PlanInfo{}, 0, false, false
	case e.gone:
		return store.PlanInfo{}, 0, true, true
	case e.checked.IsZero() || time.Now().Sub(e.checked) >= l.ttl:
		return store.PlanInfo{}, 0, false, false
	}
	return e.info, e.progress, false, true
}

// begin is called before the store is asked about id: it returns the
// time of asking and the plan's write count, which put compares.
func (l *liveShares) begin(id string) (time.Time, uint64) {
	now := time.Now()
	if l.ttl <= 0 {
		return now, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[id]
	if e == nil {
		l.makeRoomLocked()
		e = &livePlan{writes: l.writes}
		l.m[id] = e
	}
	return now, e.writes
}

// put keeps the store's answer about id, asked at asked, unless the plan
// was written through this server since begin returned writes.
func (l *liveShares) put(id string, asked time.Time, writes uint64, info store.PlanInfo, progress int64) {
	if l.ttl <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[id]
	if e == nil || e.writes != writes || e.gone || (!e.checked.IsZero() && e.checked.After(asked)) {
		return
	}
	e.info, e.progress, e.checked = info, progress, asked
}

// abandon forgets the entry begin made for id when the store's answer was
// neither the plan nor its revocation (not found, a failure), so that
// asking after ids that do not exist fills no room. (An entry made again
// later starts at the writes of that time, so forgetting loses nothing.)
func (l *liveShares) abandon(id string) {
	if l.ttl <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.m[id]; e != nil && !e.gone && e.checked.IsZero() {
		delete(l.m, id)
	}
}

// revoked records that id was revoked.
func (l *liveShares) revoked(id string) {
	if l.ttl <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[id]
	if e == nil {
		l.makeRoomLocked()
		e = &livePlan{writes: l.writes}
		l.m[id] = e
	}
	e.gone = true
}

// forget drops what is known of id (it was written, or a page showed a
// newer revision than the one known): its next view asks the store.
func (l *liveShares) forget(id string) {
	if l.ttl <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	if e := l.m[id]; e != nil && !e.gone {
		e.writes = l.writes
		e.checked = time.Time{}
	}
}

// makeRoomLocked forgets some plan when the map is full: whichever the
// map yields first, as good as any (the next view of it asks again).
func (l *liveShares) makeRoomLocked() {
	for id := range l.m {
		if len(l.m) < maxLivePlans {
			return
		}
		delete(l.m, id)
	}
}

// shareInfo is the revocation check of a share view: the plan's latest
// revision and progress version as this server last learned them within
// ShareRecheck, else as the store says now. ErrGone when revoked (the
// plan's cached bytes are dropped then), ErrNotFound.
func (s *Server) shareInfo(r *http.Request, id string) (store.PlanInfo, int64, error) {
	info, progress, gone, ok := s.live.get(id)
	if gone {
		return store.PlanInfo{}, 0, store.ErrGone
	}
	if ok {
		return info, progress, nil
	}
	asked, writes := s.live.begin(id)
	info, err := s.planInfo(r, id)
	if err == nil {
		var p store.Progress
		if p, err = s.store.GetProgress(r.Context(), id); err == nil {
			progress = p.Version
		}
	}
	switch {
	case errors.Is(err, store.ErrGone):
		s.live.revoked(id)
		s.cache.dropPlan(id)
		return store.PlanInfo{}, 0, err
	case err != nil:
		s.live.abandon(id)
		return store.PlanInfo{}, 0, err
	}
	s.live.put(id, asked, writes, info, progress)
	return info, progress, nil
}

// liveStore is the server's store: every write of a plan through it makes
// the server forget what it knew of that plan (liveShares), so that this
// server's own next view of it asks the store.
type liveStore struct {
	store.Store
	live *liveShares
}

func (l liveStore) UpdatePlan(ctx context.Context, u store.Update) (store.Plan, error) {
	defer l.live.forget(u.ID)
	return l.Store.UpdatePlan(ctx, u)
}

func (l liveStore) RevokePlan(ctx context.Context, id string) error {
	err := l.Store.RevokePlan(ctx, id)
	if err == nil || errors.Is(err, store.ErrGone) {
		l.live.revoked(id)
	} else {
		l.live.forget(id)
	}
	return err
}

func (l liveStore) PatchProgress(ctx context.Context, p store.ProgressPatch) (store.Progress, error) {
	defer l.live.forget(p.PlanID)
	return l.Store.PatchProgress(ctx, p)
}
