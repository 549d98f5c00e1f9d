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
