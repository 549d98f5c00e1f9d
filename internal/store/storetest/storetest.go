// Package storetest is the conformance suite every store.Store must pass.
// Each driver's tests call Run with a function that opens a fresh, empty
// store; the subtests run in parallel, each on its own store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// Run runs the suite. open must return a new, empty store for each call,
// configured with opts, and arrange (with t.Cleanup) for it to be closed.
func Run(t *testing.T, open func(t *testing.T, opts ...store.Option) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
		opts []store.Option
	}{
		{"CreateGet", testCreateGet, nil},
		{"Unknown", testUnknown, nil},
		{"CreateDuplicate", testCreateDuplicate, nil},
		{"UpdateAppends", testUpdateAppends, nil},
		{"StaleRevision", testStaleRevision, nil},
		{"Revisions", testRevisions, nil},
		{"Revoke", testRevoke, nil},
		{"Drafts", testDrafts, nil},
		{"DeleteDraftsBefore", testDeleteDraftsBefore, nil},
		{"Ping", testPing, nil},
		{"ConcurrentSameRevision", testConcurrentSameRevision, nil},
		{"ConcurrentRetry", testConcurrentRetry, nil},
		{"RevisionRange", testRevisionRange, nil},
		{"RevisionLimit", testRevisionLimit, []store.Option{store.WithLimits(store.Limits{MaxRevisions: 3})}},
		{"DefaultLimits", testDefaultLimits, nil},
		{"SizeLimits", testSizeLimits, []store.Option{store.WithLimits(store.Limits{MaxAnswerBytes: 100, MaxPlanBytes: 50, MaxDraftBytes: 20})}},
		{"DraftLimit", testDraftLimit, []store.Option{store.WithLimits(store.Limits{MaxDrafts: 3})}},
		{"DraftCap", testDraftCap, []store.Option{store.WithLimits(store.Limits{MaxDrafts: 200})}},
		{"Snapshots", testSnapshots, nil},
		{"PlanInfo", testPlanInfo, nil},
		{"RevokeErases", testRevokeErases, nil},
		{"HostileIDs", testHostileIDs, nil},
		{"ConcurrentCreate", testConcurrentCreate, nil},
		{"ConcurrentMixed", testConcurrentMixed, nil},
		{"Canceled", testCanceled, nil},
		{"DraftPlan", testDraftPlan, nil},
		{"ConcurrentDraftPlan", testConcurrentDraftPlan, nil},
		{"RevisionNotes", testRevisionNotes, nil},
		{"RevisionNotesRefused", testRevisionNotesRefused, nil},
	}
	for _, pt := range progressTests {
		tests = append(tests, struct {
			name string
			fn   func(t *testing.T, s store.Store)
			opts []store.Option
		}{pt.name, pt.fn, nil})
	}
	for _, dt := range deviceListTests {
		tests = append(tests, struct {
			name string
			fn   func(t *testing.T, s store.Store)
			opts []store.Option
		}{dt.name, dt.fn, deviceListLimits})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // safe: every subtest has a store of its own
			tc.fn(t, open(t, tc.opts...))
		})
	}
}

// answers is JSON whose exact bytes (key order, spacing, escapes, non-ASCII)
// a store must keep; jsonb or a re-encoding would change them.
func answers(n int) []byte {
	return fmt.Appendf(nil, "{\"z\":%d, \"a\" : [1,2.50,\"\\u00e9é\"],\n\t\"k\":null }", n)
}

func newPlan(t *testing.T, s store.Store) store.NewPlan {
	t.Helper()
	id, err := store.NewID()
	if err != nil {
		t.Fatal(err)
	}
	p := store.NewPlan{ID: id, EditKeyHash: store.HashKey("key-" + id), Answers: answers(1), Ruleset: "2026.1"}
	if _, err := s.CreatePlan(context.Background(), p); err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	return p
}

func update(t *testing.T, s store.Store, id string, expected int) store.Plan {
	t.Helper()
	p, err := s.UpdatePlan(context.Background(), store.Update{
		ID: id, ExpectedRevision: expected, Answers: answers(expected + 1), Ruleset: fmt.Sprintf("r%d", expected+1),
	})
	if err != nil {
		t.Fatalf("UpdatePlan from %d: %v", expected, err)
	}
	return p
}

// checkTime fails unless ts is UTC, whole microseconds, and within the window
// (with slack for clocks that move in coarse steps).
func checkTime(t *testing.T, what string, ts, after, before time.Time) {
	t.Helper()
	if ts.Location() != time.UTC {
		t.Errorf("%s = %v: location %v, want UTC", what, ts, ts.Location())
	}
	if ts.Nanosecond()%1000 != 0 {
		t.Errorf("%s = %v: not truncated to the microsecond", what, ts)
	}
	if ts.Before(after.Add(-time.Second)) || ts.After(before.Add(time.Second)) {
		t.Errorf("%s = %v: not between %v and %v", what, ts, after, before)
	}
}

func equalPlan(t *testing.T, what string, got, want store.Plan) {
	t.Helper()
	if got.ID != want.ID || got.Revision != want.Revision || !bytes.Equal(got.Answers, want.Answers) ||
		!bytes.Equal(got.Plan, want.Plan) ||
		got.Ruleset != want.Ruleset || !bytes.Equal(got.EditKeyHash, want.EditKeyHash) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.SavedAt.Equal(want.SavedAt) ||
		got.Note != want.Note || got.By != want.By {
		t.Errorf("%s:\n got %+v\nwant %+v\n(answers %q vs %q)", what, got, want, got.Answers, want.Answers)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func testCreateGet(t *testing.T, s store.Store) {
	ctx := context.Background()
	np := store.NewPlan{ID: "plan-create-get", EditKeyHash: store.HashKey("k"), Answers: answers(1), Ruleset: "2026.1"}
	before := time.Now()
	created, err := s.CreatePlan(ctx, np)
	after := time.Now()
	if err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	checkTime(t, "CreatedAt", created.CreatedAt, before, after)
	if !created.SavedAt.Equal(created.CreatedAt) {
		t.Errorf("revision 1 SavedAt %v != CreatedAt %v", created.SavedAt, created.CreatedAt)
	}
	equalPlan(t, "CreatePlan result", created, store.Plan{
		ID: np.ID, Revision: 1, Answers: np.Answers, Ruleset: np.Ruleset, EditKeyHash: np.EditKeyHash,
		CreatedAt: created.CreatedAt, SavedAt: created.SavedAt,
	})

	got, err := s.GetPlan(ctx, np.ID)
	if err != nil {
		t.Fatalf("GetPlan: %v", err)
	}
	equalPlan(t, "GetPlan after CreatePlan", got, created)
	checkTime(t, "GetPlan CreatedAt", got.CreatedAt, before, after)
	checkTime(t, "GetPlan SavedAt", got.SavedAt, before, after)
	if !store.KeyMatches(got.EditKeyHash, "k") {
		t.Error("stored edit key hash does not match the key")
	}

	rev, err := s.GetRevision(ctx, np.ID, 1)
	if err != nil {
		t.Fatalf("GetRevision 1: %v", err)
	}
	equalPlan(t, "GetRevision 1", rev, created)
}

func testUnknown(t *testing.T, s store.Store) {
	ctx := context.Background()
	newPlan(t, s) // the store is not empty
	const id = "AAAAAAAAAAAAAAAAAAAAAA"
	_, err := s.GetPlan(ctx, id)
	wantErr(t, "GetPlan", err, store.ErrNotFound)
	_, err = s.GetRevision(ctx, id, 1)
	wantErr(t, "GetRevision", err, store.ErrNotFound)
	_, err = s.ListRevisions(ctx, id)
	wantErr(t, "ListRevisions", err, store.ErrNotFound)
	_, err = s.UpdatePlan(ctx, store.Update{ID: id, ExpectedRevision: 1, Answers: answers(2)})
	wantErr(t, "UpdatePlan", err, store.ErrNotFound)
	wantErr(t, "RevokePlan", s.RevokePlan(ctx, id), store.ErrNotFound)
}

func testCreateDuplicate(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	_, err := s.CreatePlan(ctx, store.NewPlan{ID: p.ID, EditKeyHash: store.HashKey("other"), Answers: []byte(`{}`), Ruleset: "x"})
	wantErr(t, "CreatePlan with a taken id", err, store.ErrExists)

	got, err := s.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 1 || !bytes.Equal(got.Answers, p.Answers) || !bytes.Equal(got.EditKeyHash, p.EditKeyHash) {
		t.Errorf("the failed create changed the plan: %+v", got)
	}
}

func testUpdateAppends(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	other := newPlan(t, s)
	first, err := s.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for expected := 1; expected <= 2; expected++ {
		before := time.Now()
		up := update(t, s, p.ID, expected)
		after := time.Now()
		want := store.Plan{
			ID: p.ID, Revision: expected + 1, Answers: answers(expected + 1), Ruleset: fmt.Sprintf("r%d", expected+1),
			EditKeyHash: p.EditKeyHash, CreatedAt: first.CreatedAt, SavedAt: up.SavedAt,
		}
		equalPlan(t, "UpdatePlan result", up, want)
		checkTime(t, "SavedAt", up.SavedAt, before, after)
		got, err := s.GetPlan(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		equalPlan(t, fmt.Sprintf("GetPlan after update to %d", expected+1), got, want)
	}
	// Updating one plan leaves another alone.
	got, err := s.GetPlan(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 1 {
		t.Errorf("other plan is at revision %d, want 1", got.Revision)
	}
}

func testStaleRevision(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	update(t, s, p.ID, 1)
	want, err := s.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, expected := range []int{1, 0, -1, 3, 100} {
		_, err := s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: expected, Answers: []byte(`{"stale":true}`), Ruleset: "stale"})
		wantErr(t, fmt.Sprintf("UpdatePlan expecting %d at revision 2", expected), err, store.ErrConflict)
	}
	got, err := s.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalPlan(t, "GetPlan after conflicts", got, want)
	list, err := s.ListRevisions(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("ListRevisions after conflicts: %d revisions, want 2", len(list))
	}
	_, err = s.GetRevision(ctx, p.ID, 3)
	wantErr(t, "GetRevision 3 after conflicts", err, store.ErrNotFound)
}

func testRevisions(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	const n = 5
	saved := map[int]store.Plan{}
	first, err := s.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	saved[1] = first
	for expected := 1; expected < n; expected++ {
		saved[expected+1] = update(t, s, p.ID, expected)
	}
	for number := 1; number <= n; number++ {
		got, err := s.GetRevision(ctx, p.ID, number)
		if err != nil {
			t.Fatalf("GetRevision %d: %v", number, err)
		}
		equalPlan(t, fmt.Sprintf("GetRevision %d", number), got, saved[number])
		if !bytes.Equal(got.Answers, answers(number)) {
			t.Errorf("revision %d answers %q, want %q", number, got.Answers, answers(number))
		}
	}
	for _, number := range []int{0, -1, n + 1} {
		_, err := s.GetRevision(ctx, p.ID, number)
		wantErr(t, fmt.Sprintf("GetRevision %d", number), err, store.ErrNotFound)
	}

	list, err := s.ListRevisions(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("ListRevisions: %d revisions, want %d: %+v", len(list), n, list)
	}
	for i, r := range list {
		want := saved[i+1]
		if r.Number != i+1 || r.Ruleset != want.Ruleset || !r.SavedAt.Equal(want.SavedAt) {
			t.Errorf("ListRevisions[%d] = %+v, want number %d ruleset %q saved %v", i, r, i+1, want.Ruleset, want.SavedAt)
		}
		if i > 0 && r.SavedAt.Before(list[i-1].SavedAt) {
			t.Errorf("revision %d saved before revision %d", r.Number, list[i-1].Number)
		}
	}
}

func testRevoke(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	update(t, s, p.ID, 1)
	live := newPlan(t, s)
	if err := s.RevokePlan(ctx, p.ID); err != nil {
		t.Fatalf("RevokePlan: %v", err)
	}
	_, err := s.GetPlan(ctx, p.ID)
	wantErr(t, "GetPlan", err, store.ErrGone)
	for _, number := range []int{1, 2, 3} {
		_, err = s.GetRevision(ctx, p.ID, number)
		wantErr(t, fmt.Sprintf("GetRevision %d", number), err, store.ErrGone)
	}
	_, err = s.ListRevisions(ctx, p.ID)
	wantErr(t, "ListRevisions", err, store.ErrGone)
	for _, expected := range []int{2, 1} {
		_, err = s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: expected, Answers: answers(9)})
		wantErr(t, fmt.Sprintf("UpdatePlan expecting %d", expected), err, store.ErrGone)
	}
	wantErr(t, "RevokePlan again", s.RevokePlan(ctx, p.ID), store.ErrGone)
	_, err = s.CreatePlan(ctx, p)
	wantErr(t, "CreatePlan with a revoked id", err, store.ErrExists)
	wantErr(t, "RevokePlan unknown", s.RevokePlan(ctx, "no-such-plan"), store.ErrNotFound)

	if _, err := s.GetPlan(ctx, live.ID); err != nil {
		t.Errorf("GetPlan of another plan after a revoke: %v", err)
	}
}

func testDrafts(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.GetDraft(ctx, "d1")
	wantErr(t, "GetDraft missing", err, store.ErrNotFound)

	data := []byte("\x00\xff binary \xc3( not utf-8")
	before := time.Now()
	if err := s.SaveDraft(ctx, store.Draft{ID: "d1", Data: data}); err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	after := time.Now()
	got, err := s.GetDraft(ctx, "d1")
	if err != nil {
		t.Fatalf("GetDraft: %v", err)
	}
	if got.ID != "d1" || !bytes.Equal(got.Data, data) {
		t.Errorf("GetDraft = %+v, want data %q", got, data)
	}
	checkTime(t, "draft UpdatedAt (zero given)", got.UpdatedAt, before, after)

	at := time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	if err := s.SaveDraft(ctx, store.Draft{ID: "d1", Data: []byte("v2"), UpdatedAt: at}); err != nil {
		t.Fatalf("SaveDraft replace: %v", err)
	}
	got, err = s.GetDraft(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	wantAt := at.UTC().Truncate(time.Microsecond)
	if string(got.Data) != "v2" || !got.UpdatedAt.Equal(wantAt) || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("after replace GetDraft = %+v, want data v2 at %v UTC", got, wantAt)
	}

	if err := s.SaveDraft(ctx, store.Draft{ID: "d2", Data: []byte("keep")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDraft(ctx, "d1"); err != nil {
		t.Fatalf("DeleteDraft: %v", err)
	}
	_, err = s.GetDraft(ctx, "d1")
	wantErr(t, "GetDraft after delete", err, store.ErrNotFound)
	if err := s.DeleteDraft(ctx, "d1"); err != nil {
		t.Errorf("DeleteDraft of a missing draft: %v", err)
	}
	if got, err := s.GetDraft(ctx, "d2"); err != nil || string(got.Data) != "keep" {
		t.Errorf("other draft after delete: %+v, %v", got, err)
	}
}

func testDeleteDraftsBefore(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	ages := map[string]time.Duration{"old": 48 * time.Hour, "older": 72 * time.Hour, "edge": time.Hour, "new": 0}
	for id, age := range ages {
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte(id), UpdatedAt: t0.Add(-age)}); err != nil {
			t.Fatal(err)
		}
	}
	// "edge" was updated exactly at the cutoff: not before it, so it stays.
	n, err := s.DeleteDraftsBefore(ctx, t0.Add(-time.Hour))
	if err != nil {
		t.Fatalf("DeleteDraftsBefore: %v", err)
	}
	if n != 2 {
		t.Errorf("DeleteDraftsBefore deleted %d, want 2", n)
	}
	for id, wantGone := range map[string]bool{"old": true, "older": true, "edge": false, "new": false} {
		_, err := s.GetDraft(ctx, id)
		if gone := errors.Is(err, store.ErrNotFound); gone != wantGone || (err != nil && !gone) {
			t.Errorf("draft %s after DeleteDraftsBefore: err %v, want deleted=%v", id, err, wantGone)
		}
	}
	n, err = s.DeleteDraftsBefore(ctx, t0.Add(-time.Hour))
	if err != nil || n != 0 {
		t.Errorf("second DeleteDraftsBefore = %d, %v; want 0, nil", n, err)
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// CheckNewerSchemaRefused checks what Open returned for a database whose
// schema_migrations records version 999: no store, and an error an operator
// can act on naming known, the newest version the driver has.
func CheckNewerSchemaRefused(t *testing.T, s store.Store, err error, known int) {
	t.Helper()
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database with schema version 999")
	}
	want := fmt.Sprintf("store: database schema is version 999 but this enrollplan knows only up to %d; "+
		"upgrade enrollplan or point --db at another database", known)
	if err.Error() != want {
		t.Errorf("Open error:\n got %q\nwant %q", err, want)
	}
}
