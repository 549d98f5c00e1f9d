package sqlcore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// errStopped answers writes that arrive after Stop.
var errStopped = errors.New("store: closed")

// group is group commit: one goroutine takes the writes waiting for it,
// runs each in its own savepoint of one shared transaction, and commits
// them with a single COMMIT, so with SQLite's synchronous=FULL they share
// one fsync. A writer's call returns only after that COMMIT, so success
// still means on disk.
//
// No timer: a batch is whatever queued while the previous one was
// committing, so a lone writer waits for nothing and a crowd shares the
// cost of the commit. A writer whose work fails (ErrConflict, ErrExists, a
// constraint) has its savepoint rolled back and gets its error; the others
// are unaffected. If the shared transaction itself breaks before COMMIT
// (a savepoint cannot be rolled back, say), it is rolled back and every
// write of the batch is run again in a transaction of its own, so one
// write's failure never fails another. A failed COMMIT is reported to
// every write of the batch: it may or may not have reached the disk, just
// as when a lone transaction's COMMIT fails.
type group struct {
	b        Backend
	maxBatch int
	// cache receives what a committed transaction's writes left in its
	// txMemo (nil in tests of the group alone).
	cache *progressCache

	mu      sync.Mutex
	queue   []*groupReq // writes waiting for a batch, oldest first
	stopped bool        // set by stop: do refuses new writes

	wake     chan struct{} // buffered 1: the queue may hold writes
	quit     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	// queued, if set (tests only), is called after do has queued a write:
	// once it has been called n times, n writes wait in the queue, so a
	// test can fill a batch without sleeping.
	queued func()

	// batches and writes count what loop committed, for tests and
	// operators: writes/batches is the mean batch size.
	batches, writes atomic.Int64
}

type groupReq struct {
	ctx context.Context // without cancellation: see Store.write
	fn  func(ctx context.Context, q Querier) error
	err chan error // buffered: the committer never blocks on a writer
}

func startGroup(b Backend, maxBatch int) *group {
	g := newGroup(b, maxBatch)
	go g.loop()
	return g
}

// newGroup is startGroup without starting the committer (tests set hooks
// first).
func newGroup(b Backend, maxBatch int) *group {
	return &group{
		b:        b,
		maxBatch: maxBatch,
		wake:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// do queues fn and waits for its batch to commit. A ctx that ends before
// the write is taken into a batch returns ctx.Err() with nothing written;
// once taken, the write runs to the end and do reports how it went.
func (g *group) do(ctx context.Context, fn func(ctx context.Context, q Querier) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &groupReq{ctx: context.WithoutCancel(ctx), fn: fn, err: make(chan error, 1)}
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return errStopped
	}
	g.queue = append(g.queue, r)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	if g.queued != nil {
		g.queued()
	}
	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		if g.withdraw(r) {
			return ctx.Err()
		}
		return <-r.err // already taken: it runs to the end
	}
}

// withdraw removes r from the queue, reporting false when a batch has
// already taken it.
func (g *group) withdraw(r *groupReq) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.Index(g.queue, r)
	if i < 0 {
		return false
	}
	g.queue = slices.Delete(g.queue, i, i+1)
	return true
}

// stop refuses new writes, lets the queued ones commit and waits for the
// committer to end.
func (g *group) stop() {
	g.stopOnce.Do(func() {
		g.mu.Lock()
		g.stopped = true
		g.mu.Unlock()
		close(g.quit)
	})
	<-g.done
}

// take moves up to maxBatch of the oldest queued writes into batch.
func (g *group) take(batch []*groupReq) []*groupReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := min(len(g.queue), g.maxBatch)
	batch = append(batch[:0], g.queue[:n]...)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:]) // drop references to taken writes
	g.queue = g.queue[:rest]
	return batch
}

// loop commits batches: whatever queued while the previous batch was
// committing, up to maxBatch at a time. After stop it commits what is still
// queued (stop sets stopped before closing quit, so nothing queues after
// that last drain) and ends.
func (g *group) loop() {
	defer close(g.done)
	batch := make([]*groupReq, 0, g.maxBatch)
	for {
		stopping := false
		select {
		case <-g.wake:
		case <-g.quit:
			stopping = true
		}
		for {
			batch = g.take(batch)
			if len(batch) == 0 {
				break
			}
			g.commit(batch)
			g.batches.Add(1)
			g.writes.Add(int64(len(batch)))
			clear(batch) // drop references to finished writes
		}
		if stopping {
			return
		}
	}
}

// alone runs one write in a transaction of its own.
func (g *group) alone(r *groupReq) error {
	memo := newTxMemo(g.cache)
	err := g.b.WriteTx(r.ctx, func(q Querier) error { return r.fn(withMemo(r.ctx, memo), q) })
	if err == nil {
		memo.committed()
	}
	return err
}

func (g *group) commit(batch []*groupReq) {
	if len(batch) == 1 {
		batch[0].err <- g.alone(batch[0])
		return
	}
	ctx := context.Background()
	results := make([]error, len(batch))
	reachedCommit := false
	var memo *txMemo
	err := g.b.WriteTx(ctx, func(q Querier) error {
		memo = newTxMemo(g.cache) // one per transaction: what its writes left for the later ones
		for i, r := range batch {
			if _, err := q.Exec(ctx, `SAVEPOINT grouped`); err != nil {
				return err
			}
			if err := r.fn(withMemo(r.ctx, memo), q); err != nil {
				results[i] = err
				if _, err := q.Exec(ctx, `ROLLBACK TO SAVEPOINT grouped`); err != nil {
					return err
				}
			}
			if _, err := q.Exec(ctx, `RELEASE SAVEPOINT grouped`); err != nil {
				return err
			}
		}
		reachedCommit = true
		return nil
	})
	switch {
	case err == nil:
		memo.committed() // before any writer hears back
		for i, r := range batch {
			r.err <- results[i]
		}
	case reachedCommit:
		// COMMIT failed: the outcome is the batch's, as it would be a
		// lone transaction's.
		for _, r := range batch {
			r.err <- err
		}
	default:
		// Rolled back before COMMIT: nothing of the batch is stored, so
		// each write may safely run again, on its own.
		for _, r := range batch {
			r.err <- g.alone(r)
		}
	}
}
