package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// createFromDraft creates plan id from draftID.
func createFromDraft(s store.Store, id, draftID string) error {
	_, err := s.CreatePlan(context.Background(), store.NewPlan{ID: id, EditKeyHash: store.HashKey("key-" + id),
		Answers: answers(1), Ruleset: "r", DraftID: draftID})
	return err
}

// wantDraftSaved fails unless err is ErrDraftSaved naming plan planID.
func wantDraftSaved(t *testing.T, what string, err error, draftID, planID string) {
	t.Helper()
	wantErr(t, what, err, store.ErrDraftSaved)
	var ds *store.DraftSavedError
	if !errors.As(err, &ds) {
		t.Fatalf("%s: %v is not a *store.DraftSavedError", what, err)
	}
	if ds.DraftID != draftID || ds.PlanID != planID {
		t.Errorf("%s: names draft %q plan %q, want draft %q plan %q", what, ds.DraftID, ds.PlanID, draftID, planID)
	}
}

// testDraftPlan: one live plan per draft. A second plan from the same draft
// is refused naming the first, and stores nothing; plans without a draft
// are unconstrained; revoking the plan frees the draft.
func testDraftPlan(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := createFromDraft(s, "p1", "draft-1"); err != nil {
		t.Fatalf("CreatePlan from draft-1: %v", err)
	}
	wantDraftSaved(t, "CreatePlan p2 from draft-1", createFromDraft(s, "p2", "draft-1"), "draft-1", "p1")
	_, err := s.GetPlan(ctx, "p2")
	wantErr(t, "GetPlan of the refused p2", err, store.ErrNotFound)
	if err := createFromDraft(s, "p2", "draft-2"); err != nil {
		t.Fatalf("CreatePlan p2 from draft-2: %v", err)
	}
	for _, id := range []string{"n1", "n2", "n3"} {
		if err := createFromDraft(s, id, ""); err != nil {
			t.Fatalf("CreatePlan %s without a draft: %v", id, err)
		}
	}
	// The same create again (a retry) is ErrExists: the id is taken.
	wantErr(t, "CreatePlan p1 from draft-1 again", createFromDraft(s, "p1", "draft-1"), store.ErrExists)
	wantErr(t, "CreatePlan p1 from draft-3", createFromDraft(s, "p1", "draft-3"), store.ErrExists)
	if err := createFromDraft(s, "p3", "draft-3"); err != nil {
		t.Fatalf("draft-3, named by a refused create, is still free: %v", err)
	}

	if err := s.RevokePlan(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if err := createFromDraft(s, "p4", "draft-1"); err != nil {
		t.Fatalf("CreatePlan from draft-1 after its plan was revoked: %v", err)
	}
	wantDraftSaved(t, "CreatePlan p5 from draft-1", createFromDraft(s, "p5", "draft-1"), "draft-1", "p4")
	wantErr(t, "CreatePlan reusing the revoked id", createFromDraft(s, "p1", "draft-9"), store.ErrExists)
	if err := createFromDraft(s, "p9", "draft-9"); err != nil {
		t.Fatalf("draft-9, named by a refused create, is still free: %v", err)
	}

	wantErr(t, "CreatePlan with a long draft id", createFromDraft(s, "px", strings.Repeat("d", store.MaxIDBytes+1)), store.ErrTooLarge)
	for _, bad := range []string{"\xff", "a\x00b"} {
		if err := createFromDraft(s, "px", bad); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("CreatePlan with draft id %q: %v, want a store error", bad, err)
		}
	}
	_, err = s.GetPlan(ctx, "px")
	wantErr(t, "GetPlan of px after refusals", err, store.ErrNotFound)
}

// testConcurrentDraftPlan: writers saving one draft as plans of their own
// ids at once make exactly one plan; every other is told which.
func testConcurrentDraftPlan(t *testing.T, s store.Store) {
	for round := range 3 {
		draftID := fmt.Sprint("race-draft-", round)
		id := func(i int) string { return fmt.Sprintf("race-%d-%d", round, i) }
		errs := make([]error, writers)
		start(func(i int) { errs[i] = createFromDraft(s, id(i), draftID) })
		winner := ""
		for i, err := range errs {
			if err == nil {
				if winner != "" {
					t.Fatalf("round %d: %s and %s both made from %s", round, winner, id(i), draftID)
				}
				winner = id(i)
			}
		}
		if winner == "" {
			t.Fatalf("round %d: no plan made: %v", round, errs[0])
		}
		for i, err := range errs {
			if err != nil {
				wantDraftSaved(t, fmt.Sprintf("round %d writer %d", round, i), err, draftID, winner)
			}
		}
	}
}
