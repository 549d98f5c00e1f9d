package memstore

import (
	"context"
	"errors"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/storetest"
)

// TestConformance runs the whole suite the SQL drivers pass. None of it is
// skipped: the suite checks only what the interface shows, and the parts
// about durability and SQL (reopening a file, upgrading an old schema,
// erased rows, group commit, pragmas) are the drivers' own tests.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts ...store.Option) store.Store {
		s := New(opts...)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// A checkpoint restores plans, revisions, tombstones and drafts as they
// were, and stays usable after the store has moved on again.
func TestCheckpointRestore(t *testing.T) {
	ctx := context.Background()
	s := New()
	np := store.NewPlan{ID: "kept", EditKeyHash: store.HashKey("k"), Answers: []byte(`{"v":1}`), Ruleset: "r"}
	if _, err := s.CreatePlan(ctx, np); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDraft(ctx, store.Draft{ID: "d", Data: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	cp := s.Checkpoint()
	for round := range 2 {
		if _, err := s.UpdatePlan(ctx, store.Update{ID: "kept", ExpectedRevision: 1, Answers: []byte(`{"v":2}`), Ruleset: "r"}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := s.RevokePlan(ctx, "kept"); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveDraft(ctx, store.Draft{ID: "d", Data: []byte("two")}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveDraft(ctx, store.Draft{ID: "new", Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		s.Restore(cp)
		p, err := s.GetPlan(ctx, "kept")
		if err != nil || p.Revision != 1 || string(p.Answers) != `{"v":1}` {
			t.Fatalf("round %d: plan after Restore: %+v, %v; want revision 1 live", round, p, err)
		}
		if d, err := s.GetDraft(ctx, "d"); err != nil || string(d.Data) != "one" {
			t.Errorf("round %d: draft after Restore: %q, %v; want one", round, d.Data, err)
		}
		if _, err := s.GetDraft(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("round %d: a draft saved after the checkpoint survived Restore: %v", round, err)
		}
	}
}

// What a caller does to the bytes it gave or got never changes the store.
func TestBytesAreCopied(t *testing.T) {
	ctx := context.Background()
	s := New()
	answers := []byte(`{"v":1}`)
	created, err := s.CreatePlan(ctx, store.NewPlan{ID: "p", EditKeyHash: store.HashKey("k"), Answers: answers, Ruleset: "r", Plan: []byte("snap")})
	if err != nil {
		t.Fatal(err)
	}
	answers[0], created.Answers[1], created.Plan[0] = 'X', 'Y', 'Z'
	got, err := s.GetPlan(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Answers) != `{"v":1}` || string(got.Plan) != "snap" {
		t.Errorf("stored plan changed through a caller's slice: %q %q", got.Answers, got.Plan)
	}
	got.Answers[0] = 'W'
	if again, _ := s.GetPlan(ctx, "p"); string(again.Answers) != `{"v":1}` {
		t.Errorf("stored answers changed through a read's slice: %q", again.Answers)
	}
}

func TestClosed(t *testing.T) {
	s := New()
	s.Close()
	if err := s.Ping(context.Background()); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if _, err := s.GetPlan(context.Background(), "p"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPlan after Close: %v, want a closed-store error", err)
	}
}
