package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

const writers = 32

// start runs fn(i) for i in [0, writers) on goroutines released together, so
// they really race, and waits for them.
func start(fn func(i int)) {
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i := range writers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			fn(i)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
}

func racerAnswers(round string, i int) []byte {
	return fmt.Appendf(nil, `{"round":%q,"writer":%d}`, round, i)
}

// testConcurrentSameRevision: of writers all expecting revision 1, exactly
// one wins and the rest get ErrConflict.
func testConcurrentSameRevision(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	errs := make([]error, writers)
	start(func(i int) {
		_, errs[i] = s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: 1, Answers: racerAnswers("same", i), Ruleset: "r"})
	})
	winner := -1
	conflicts := 0
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("writers %d and %d both succeeded from revision 1", winner, i)
			}
			winner = i
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Errorf("writer %d: unexpected error %v", i, err)
		}
	}
	if winner < 0 || conflicts != writers-1 {
		t.Fatalf("%d conflicts and winner %d; want 1 success and %d ErrConflict", conflicts, winner, writers-1)
	}
	checkGapless(t, s, p.ID, 2)
	got, err := s.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Answers, racerAnswers("same", winner)) {
		t.Errorf("revision 2 holds %q, want the winner's %q", got.Answers, racerAnswers("same", winner))
	}
}

// testConcurrentRetry: writers that re-read and retry on conflict all land,
// each exactly once, with no revision lost or duplicated.
func testConcurrentRetry(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	update(t, s, p.ID, 1) // start from revision 2
	errs := make([]error, writers)
	start(func(i int) {
		for {
			cur, err := s.GetPlan(ctx, p.ID)
			if err != nil {
				errs[i] = err
				return
			}
			_, err = s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: cur.Revision, Answers: racerAnswers("retry", i), Ruleset: "r"})
			if !errors.Is(err, store.ErrConflict) {
				errs[i] = err
				return
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	const final = 1 + 1 + writers
	checkGapless(t, s, p.ID, final)

	seen := make(map[string]int)
	for number := 3; number <= final; number++ {
		rev, err := s.GetRevision(ctx, p.ID, number)
		if err != nil {
			t.Fatalf("GetRevision %d: %v", number, err)
		}
		seen[string(rev.Answers)]++
	}
	for i := range writers {
		if n := seen[string(racerAnswers("retry", i))]; n != 1 {
			t.Errorf("writer %d's answers are in %d revisions, want exactly 1", i, n)
		}
	}
}

// checkGapless fails unless the plan's revisions are exactly 1..latest and
// GetPlan reports latest.
func checkGapless(t *testing.T, s store.Store, id string, latest int) {
	t.Helper()
	ctx := context.Background()
	list, err := s.ListRevisions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != latest {
		t.Errorf("ListRevisions: %d revisions, want %d", len(list), latest)
	}
	for i, r := range list {
		if r.Number != i+1 {
			t.Fatalf("ListRevisions[%d] is revision %d: not gapless", i, r.Number)
		}
	}
	got, err := s.GetPlan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != latest {
		t.Errorf("GetPlan revision %d, want %d", got.Revision, latest)
	}
}

// testConcurrentCreate: racing creates of the same id give one success and
// ErrExists, and do not fail the unrelated creates racing beside them (with
// group commit they may share a transaction).
func testConcurrentCreate(t *testing.T, s store.Store) {
	ctx := context.Background()
	const dupIDs = 8
	id := func(i int) string {
		if i < 2*dupIDs {
			return fmt.Sprintf("dup-%d", i%dupIDs)
		}
		return fmt.Sprintf("unique-%d", i)
	}
	errs := make([]error, writers)
	start(func(i int) {
		_, errs[i] = s.CreatePlan(ctx, store.NewPlan{ID: id(i), EditKeyHash: store.HashKey(id(i)), Answers: racerAnswers("create", i), Ruleset: "r", Plan: []byte{byte(i)}})
	})
	winners := map[string]int{}
	for i, err := range errs {
		switch {
		case err == nil:
			if w, ok := winners[id(i)]; ok {
				t.Errorf("writers %d and %d both created %s", w, i, id(i))
			}
			winners[id(i)] = i
		case errors.Is(err, store.ErrExists) && i < 2*dupIDs:
		default:
			t.Errorf("writer %d (%s): %v", i, id(i), err)
		}
	}
	if len(winners) != dupIDs+writers-2*dupIDs {
		t.Errorf("%d plans created, want %d", len(winners), dupIDs+writers-2*dupIDs)
	}
	for pid, i := range winners {
		got, err := s.GetPlan(ctx, pid)
		if err != nil {
			t.Fatalf("GetPlan %s: %v", pid, err)
		}
		if !bytes.Equal(got.Answers, racerAnswers("create", i)) || !bytes.Equal(got.Plan, []byte{byte(i)}) {
			t.Errorf("%s holds %q / %v, want writer %d's", pid, got.Answers, got.Plan, i)
		}
	}
}

// testConcurrentMixed: every kind of write at once, half of them failing
// in different ways; each gets its own answer.
func testConcurrentMixed(t *testing.T, s store.Store) {
	ctx := context.Background()
	target := newPlan(t, s)
	doomed := newPlan(t, s)
	const kinds = 8
	errs := make([]error, writers)
	start(func(i int) {
		switch i % kinds {
		case 0: // create: succeeds
			_, errs[i] = s.CreatePlan(ctx, store.NewPlan{ID: fmt.Sprintf("mixed-%d", i), EditKeyHash: store.HashKey("k"), Answers: racerAnswers("mixed", i), Ruleset: "r"})
		case 1: // create a taken id: ErrExists
			_, errs[i] = s.CreatePlan(ctx, store.NewPlan{ID: target.ID, EditKeyHash: store.HashKey("k"), Answers: racerAnswers("mixed", i), Ruleset: "r"})
		case 2: // update from 1: one wins, the others ErrConflict
			_, errs[i] = s.UpdatePlan(ctx, store.Update{ID: target.ID, ExpectedRevision: 1, Answers: racerAnswers("mixed", i), Ruleset: "r"})
		case 3: // stale update: ErrConflict
			_, errs[i] = s.UpdatePlan(ctx, store.Update{ID: target.ID, ExpectedRevision: 1 << 40, Answers: racerAnswers("mixed", i), Ruleset: "r"})
		case 4: // draft: succeeds
			errs[i] = s.SaveDraft(ctx, store.Draft{ID: fmt.Sprintf("draft-%d", i), Data: racerAnswers("mixed", i)})
		case 5: // too large: ErrTooLarge
			errs[i] = s.SaveDraft(ctx, store.Draft{ID: fmt.Sprintf("draft-%d", i), Data: make([]byte, store.DefaultMaxDraftBytes+1)})
		case 6: // revoke: one succeeds, the others ErrGone
			errs[i] = s.RevokePlan(ctx, doomed.ID)
		case 7: // update of a missing plan: ErrNotFound
			_, errs[i] = s.UpdatePlan(ctx, store.Update{ID: "missing", ExpectedRevision: 1, Answers: racerAnswers("mixed", i), Ruleset: "r"})
		}
	})
	count := map[string]int{}
	for i, err := range errs {
		kind := i % kinds
		var want []error
		switch kind {
		case 0, 4:
			want = []error{nil}
		case 1:
			want = []error{store.ErrExists}
		case 2:
			want = []error{nil, store.ErrConflict}
		case 3:
			want = []error{store.ErrConflict}
		case 5:
			want = []error{store.ErrTooLarge}
		case 6:
			want = []error{nil, store.ErrGone}
		case 7:
			want = []error{store.ErrNotFound}
		}
		ok := false
		for _, w := range want {
			if (w == nil && err == nil) || (w != nil && errors.Is(err, w)) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("writer %d (kind %d): error %v, want one of %v", i, kind, err, want)
		}
		if err == nil {
			count[fmt.Sprint(kind)]++
		}
	}
	if count["2"] != 1 || count["6"] != 1 {
		t.Errorf("%d updates from revision 1 and %d revokes succeeded, want 1 each", count["2"], count["6"])
	}
	checkGapless(t, s, target.ID, 2)
	_, err := s.GetPlan(ctx, doomed.ID)
	wantErr(t, "GetPlan of the revoked plan", err, store.ErrGone)
	for i := 0; i < writers; i += kinds {
		if _, err := s.GetPlan(ctx, fmt.Sprintf("mixed-%d", i)); err != nil {
			t.Errorf("created plan mixed-%d: %v", i, err)
		}
		if _, err := s.GetDraft(ctx, fmt.Sprintf("draft-%d", i+4)); err != nil {
			t.Errorf("saved draft draft-%d: %v", i+4, err)
		}
	}
}

// testCanceled: a write whose context has ended stores nothing and says so.
func testCanceled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.CreatePlan(ctx, store.NewPlan{ID: "canceled", EditKeyHash: store.HashKey("k"), Answers: answers(1), Ruleset: "r"})
	wantErr(t, "CreatePlan with a canceled context", err, context.Canceled)
	_, err = s.GetPlan(context.Background(), "canceled")
	wantErr(t, "GetPlan after a canceled create", err, store.ErrNotFound)
	// The store still works.
	newPlan(t, s)
}
