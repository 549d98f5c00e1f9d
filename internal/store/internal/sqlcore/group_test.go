package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// fakeBackend records the transactions and statements group commit issues.
type fakeBackend struct {
	mu             sync.Mutex
	txs            [][]string // statements of each transaction, committed or not
	committed      []bool
	failRollbackTo int    // fail this many ROLLBACK TO SAVEPOINT statements
	failCommitWith string // fail the COMMIT of a transaction that ran this statement
}

type fakeQuerier struct {
	b  *fakeBackend
	tx int
}

func (q fakeQuerier) Exec(_ context.Context, sql string, _ ...any) (int64, error) {
	q.b.mu.Lock()
	defer q.b.mu.Unlock()
	q.b.txs[q.tx] = append(q.b.txs[q.tx], sql)
	if sql == `ROLLBACK TO SAVEPOINT grouped` && q.b.failRollbackTo > 0 {
		q.b.failRollbackTo--
		return 0, errors.New("no such savepoint")
	}
	return 0, nil
}
func (fakeQuerier) QueryRow(context.Context, string, ...any) Row        { panic("unused") }
func (fakeQuerier) Query(context.Context, string, ...any) (Rows, error) { panic("unused") }
func (b *fakeBackend) Reader() Querier                                  { panic("unused") }
func (b *fakeBackend) IsUniqueViolation(error) bool                     { return false }
func (b *fakeBackend) SerialWrites() bool                               { return true }
func (b *fakeBackend) WriteTx(ctx context.Context, fn func(Querier) error) error {
	b.mu.Lock()
	b.txs = append(b.txs, nil)
	b.committed = append(b.committed, false)
	n := len(b.txs) - 1
	b.mu.Unlock()
	if err := fn(fakeQuerier{b, n}); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failCommitWith != "" && slices.Contains(b.txs[n], b.failCommitWith) {
		return errors.New("disk I/O error")
	}
	b.committed[n] = true
	return nil
}

// work is a write that records its name and fails when told to.
func work(name string, fail error) func(context.Context, Querier) error {
	return func(ctx context.Context, q Querier) error {
		if ctx.Done() != nil {
			return errors.New("a grouped write got a cancellable context")
		}
		q.Exec(ctx, name)
		return fail
	}
}

// testGroup is a started group whose queued channel receives one value per
// write queued, so that a test knows when writes wait without sleeping.
type testGroup struct {
	*group
	queued chan struct{}
}

func startTestGroup(b Backend, maxBatch int) testGroup {
	g := newGroup(b, maxBatch)
	queued := make(chan struct{}, 1024)
	g.queued = func() { queued <- struct{}{} }
	go g.loop()
	return testGroup{g, queued}
}

// batch runs writes so that all but the first share one batch: the first
// holds the committer until the others are queued.
func batch(t *testing.T, g testGroup, writes map[string]error) map[string]error {
	t.Helper()
	release, running := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- g.do(context.Background(), func(ctx context.Context, q Querier) error {
			close(running)
			<-release
			return nil
		})
	}()
	<-g.queued
	<-running // the committer is busy with the holder
	var mu sync.Mutex
	got := map[string]error{}
	var wg sync.WaitGroup
	for name, fail := range writes {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := g.do(ctx, work(name, fail))
			mu.Lock()
			got[name] = err
			mu.Unlock()
		})
	}
	for range writes {
		<-g.queued // every write waits in the queue
	}
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	return got
}

func TestGroupSharesOneTransaction(t *testing.T) {
	b := &fakeBackend{}
	g := startTestGroup(b, 64)
	defer g.stop()
	errConflict := errors.New("conflict")
	writes := map[string]error{"w1": nil, "w2": errConflict, "w3": nil, "w4": errConflict, "w5": nil}
	got := batch(t, g, writes)
	for name, want := range writes {
		if !errors.Is(got[name], want) && got[name] != want {
			t.Errorf("%s: %v, want %v", name, got[name], want)
		}
	}
	if len(b.txs) != 2 {
		t.Fatalf("%d transactions, want 2 (the holder, then one for the five): %q", len(b.txs), b.txs)
	}
	tx := b.txs[1]
	if !b.committed[1] {
		t.Error("the shared transaction was not committed")
	}
	for name, fail := range writes {
		i := slices.Index(tx, name)
		if i < 1 || tx[i-1] != `SAVEPOINT grouped` {
			t.Errorf("%s did not run in a savepoint: %q", name, tx)
			continue
		}
		next := tx[i+1]
		if fail != nil && next != `ROLLBACK TO SAVEPOINT grouped` {
			t.Errorf("failed write %s not rolled back to its savepoint: %q", name, tx)
		}
		if fail == nil && next != `RELEASE SAVEPOINT grouped` {
			t.Errorf("write %s: then %q, want RELEASE", name, next)
		}
	}
}

func TestGroupMaxBatch(t *testing.T) {
	b := &fakeBackend{}
	g := startTestGroup(b, 2)
	defer g.stop()
	writes := map[string]error{}
	for i := range 5 {
		writes[fmt.Sprint("w", i)] = nil
	}
	batch(t, g, writes)
	for i, tx := range b.txs {
		if n := slices.Index(tx, "RELEASE SAVEPOINT grouped"); n >= 0 && len(tx) > 2*3 {
			t.Errorf("transaction %d holds more than 2 writes: %q", i, tx)
		}
	}
	if len(b.txs) != 1+3 {
		t.Errorf("%d transactions, want 4 (the holder, then 2+2+1)", len(b.txs))
	}
}

// A shared transaction that breaks before COMMIT is rolled back and each
// write runs again alone: one write's failure fails no other.
func TestGroupFallsBackToAlone(t *testing.T) {
	b := &fakeBackend{failRollbackTo: 1}
	g := startTestGroup(b, 64)
	defer g.stop()
	errBad := errors.New("bad write")
	writes := map[string]error{"ok1": nil, "bad": errBad, "ok2": nil}
	got := batch(t, g, writes)
	for name, want := range writes {
		if got[name] != want {
			t.Errorf("%s: %v, want %v", name, got[name], want)
		}
	}
	// holder, the broken batch, then three transactions of one write each.
	if len(b.txs) != 5 || b.committed[1] {
		t.Fatalf("transactions %q committed %v; want the batch uncommitted and then 3 alone", b.txs, b.committed)
	}
	for i := 2; i < 5; i++ {
		if len(b.txs[i]) != 1 || b.committed[i] != (b.txs[i][0] != "bad") {
			t.Errorf("rerun %d: %q committed=%v, want one write alone, committed unless it failed", i, b.txs[i], b.committed[i])
		}
	}
}

// A failed COMMIT is every write's error, with no rerun: the batch may or
// may not be on disk, so none may claim success nor run twice.
func TestGroupCommitFailure(t *testing.T) {
	b := &fakeBackend{failCommitWith: "w1"}
	g := startTestGroup(b, 64)
	defer g.stop()
	got := batch(t, g, map[string]error{"w0": nil, "w1": nil, "w2": nil})
	for name, err := range got {
		if err == nil || err.Error() != "disk I/O error" {
			t.Errorf("%s: %v, want the COMMIT's error", name, err)
		}
	}
	if len(b.txs) != 2 {
		t.Errorf("%d transactions, want 2 (no rerun after a failed COMMIT)", len(b.txs))
	}
}

func TestGroupStopAndCancel(t *testing.T) {
	b := &fakeBackend{}
	g := startGroup(b, 64)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.do(ctx, work("w", nil)); !errors.Is(err, context.Canceled) {
		t.Errorf("do with a canceled context: %v, want context.Canceled", err)
	}
	g.stop()
	g.stop() // twice is fine
	if err := g.do(context.Background(), work("w", nil)); !errors.Is(err, errStopped) {
		t.Errorf("do after stop: %v, want errStopped", err)
	}
	if len(b.txs) != 0 {
		t.Errorf("%d transactions, want none", len(b.txs))
	}
}

// A write whose context ends while it waits in the queue is withdrawn: it
// returns the context's error and never runs.
func TestGroupCancelWhileQueued(t *testing.T) {
	b := &fakeBackend{}
	g := startTestGroup(b, 64)
	defer g.stop()
	release, running := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- g.do(context.Background(), func(ctx context.Context, q Querier) error {
			close(running)
			<-release
			return nil
		})
	}()
	<-g.queued
	<-running
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() { got <- g.do(ctx, work("canceled", nil)) }()
	<-g.queued
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Errorf("do canceled in the queue: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// A later write still commits, alone: the withdrawn one left no trace.
	if err := g.do(context.Background(), work("later", nil)); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, tx := range b.txs {
		if slices.Contains(tx, "canceled") {
			t.Errorf("the withdrawn write ran: %q", b.txs)
		}
	}
	if len(b.txs) != 2 {
		t.Errorf("transactions %q, want the holder's and the later write's", b.txs)
	}
}
