package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// testRevisionNotes: each revision keeps its own change note and name, as
// given (non-ASCII included, up to the bounds in characters, not bytes),
// and every read returns them; a revision saved without them has none.
func testRevisionNotes(t *testing.T, s store.Store) {
	ctx := context.Background()
	longNote := strings.Repeat("é", store.MaxRevisionNote) // twice as many bytes
	longBy := strings.Repeat("ø", store.MaxProgressBy)
	np := store.NewPlan{ID: "noted", EditKeyHash: store.HashKey("k"), Answers: answers(1), Ruleset: "r",
		Note: "First draft for the Zürich office", By: "Ana Ruiz"}
	created, err := s.CreatePlan(ctx, np)
	if err != nil {
		t.Fatalf("CreatePlan with a note: %v", err)
	}
	if created.Note != np.Note || created.By != np.By {
		t.Errorf("CreatePlan returned note %q by %q, want %q by %q", created.Note, created.By, np.Note, np.By)
	}
	want := []store.Plan{created}
	for _, u := range []store.Update{
		{Note: "", By: ""}, // neither
		{Note: longNote, By: longBy},
		{Note: "Kiosks wait for wave 3", By: ""},
	} {
		u.ID, u.ExpectedRevision, u.Answers, u.Ruleset = np.ID, len(want), answers(len(want)+1), "r"
		p, err := s.UpdatePlan(ctx, u)
		if err != nil {
			t.Fatalf("UpdatePlan to %d with note %.20q: %v", len(want)+1, u.Note, err)
		}
		if p.Note != u.Note || p.By != u.By {
			t.Errorf("UpdatePlan returned note %.20q by %q, want %.20q by %q", p.Note, p.By, u.Note, u.By)
		}
		want = append(want, p)
	}
	latest, err := s.GetPlan(ctx, np.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalPlan(t, "GetPlan", latest, want[len(want)-1])
	for i, w := range want {
		got, err := s.GetRevision(ctx, np.ID, i+1)
		if err != nil {
			t.Fatalf("GetRevision %d: %v", i+1, err)
		}
		equalPlan(t, fmt.Sprint("GetRevision ", i+1), got, w)
	}
	list, err := s.ListRevisions(ctx, np.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(want) {
		t.Fatalf("ListRevisions: %d revisions, want %d", len(list), len(want))
	}
	for i, r := range list {
		if r.Note != want[i].Note || r.By != want[i].By {
			t.Errorf("ListRevisions[%d]: note %.20q by %q, want %.20q by %q", i, r.Note, r.By, want[i].Note, want[i].By)
		}
	}
	// A plan created without them has none.
	plain := newPlan(t, s)
	if got, err := s.GetPlan(ctx, plain.ID); err != nil || got.Note != "" || got.By != "" {
		t.Errorf("plan created without a note: note %q by %q, %v", got.Note, got.By, err)
	}
}

// testRevisionNotesRefused: a note or name over its bound is ErrTooLarge,
// text the databases would not keep alike is an error, and neither stores
// anything.
func testRevisionNotesRefused(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	for _, bad := range []struct {
		what, note, by string
		tooLarge       bool
	}{
		{"a note of MaxRevisionNote+1 characters", strings.Repeat("n", store.MaxRevisionNote+1), "", true},
		{"a name of MaxProgressBy+1 characters", "", strings.Repeat("é", store.MaxProgressBy+1), true},
		{"a note with NUL", "a\x00b", "", false},
		{"a note not UTF-8", "\xff", "", false},
		{"a name with NUL", "", "a\x00b", false},
		{"a name not UTF-8", "", "\xc3(", false},
	} {
		check := func(op string, err error) {
			t.Helper()
			switch {
			case bad.tooLarge:
				wantErr(t, op+" with "+bad.what, err, store.ErrTooLarge)
			case err == nil || !strings.HasPrefix(err.Error(), "store: ") || errors.Is(err, store.ErrTooLarge):
				t.Errorf("%s with %s: %v, want a store error", op, bad.what, err)
			}
		}
		_, err := s.CreatePlan(ctx, store.NewPlan{ID: "refused", EditKeyHash: store.HashKey("k"), Answers: answers(1),
			Ruleset: "r", Note: bad.note, By: bad.by})
		check("CreatePlan", err)
		_, err = s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: 1, Answers: answers(2), Ruleset: "r",
			Note: bad.note, By: bad.by})
		check("UpdatePlan", err)
	}
	_, err := s.GetPlan(ctx, "refused")
	wantErr(t, "GetPlan of a refused create", err, store.ErrNotFound)
	checkGapless(t, s, p.ID, 1)
}
