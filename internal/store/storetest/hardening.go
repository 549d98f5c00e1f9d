package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// revisionsOutOfRange are numbers no revision can have: PostgreSQL's integer
// column stops at 2^31-1, and a driver must not see the rest.
var revisionsOutOfRange = []int{0, -1, math.MinInt, 1 << 31, 1<<31 + 1, 1<<32 + 1, math.MaxInt64}

// testRevisionRange: any revision number asked of GetRevision or given as
// ExpectedRevision is a store error (ErrNotFound/ErrConflict, or the plan's
// own ErrNotFound/ErrGone), never a driver error.
func testRevisionRange(t *testing.T, s store.Store) {
	ctx := context.Background()
	live := newPlan(t, s)
	revoked := newPlan(t, s)
	if err := s.RevokePlan(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	for _, n := range append(revisionsOutOfRange, store.MaxRevision, 2) {
		_, err := s.GetRevision(ctx, live.ID, n)
		wantErr(t, fmt.Sprintf("GetRevision %d of a live plan", n), err, store.ErrNotFound)
		_, err = s.GetRevision(ctx, revoked.ID, n)
		wantErr(t, fmt.Sprintf("GetRevision %d of a revoked plan", n), err, store.ErrGone)
		_, err = s.GetRevision(ctx, "no-such-plan", n)
		wantErr(t, fmt.Sprintf("GetRevision %d of a missing plan", n), err, store.ErrNotFound)

		u := store.Update{ID: live.ID, ExpectedRevision: n, Answers: answers(9), Ruleset: "r"}
		_, err = s.UpdatePlan(ctx, u)
		wantErr(t, fmt.Sprintf("UpdatePlan expecting %d of a live plan", n), err, store.ErrConflict)
		u.ID = revoked.ID
		_, err = s.UpdatePlan(ctx, u)
		wantErr(t, fmt.Sprintf("UpdatePlan expecting %d of a revoked plan", n), err, store.ErrGone)
		u.ID = "no-such-plan"
		_, err = s.UpdatePlan(ctx, u)
		wantErr(t, fmt.Sprintf("UpdatePlan expecting %d of a missing plan", n), err, store.ErrNotFound)
	}
	checkGapless(t, s, live.ID, 1)
}

// testRevisionLimit runs with MaxRevisions 3.
func testRevisionLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	update(t, s, p.ID, 1)
	want := update(t, s, p.ID, 2)
	_, err := s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: 3, Answers: answers(4), Ruleset: "r"})
	wantErr(t, "UpdatePlan past the limit", err, store.ErrTooManyRevisions)
	_, err = s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: 2, Answers: answers(4), Ruleset: "r"})
	wantErr(t, "stale UpdatePlan at the limit", err, store.ErrConflict)
	_, err = s.UpdatePlan(ctx, store.Update{ID: p.ID, ExpectedRevision: 7, Answers: answers(4), Ruleset: "r"})
	wantErr(t, "UpdatePlan from the future at the limit", err, store.ErrConflict)
	got, err := s.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalPlan(t, "GetPlan after refusals", got, want)
	checkGapless(t, s, p.ID, 3)
	// The limit is per plan.
	other := newPlan(t, s)
	update(t, s, other.ID, 1)
}

// testDefaultLimits: a store opened without options has the documented
// defaults.
func testDefaultLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := store.DefaultLimits()
	big := func(n int) []byte { return bytes.Repeat([]byte("a"), n) }

	np := store.NewPlan{ID: "too-large", EditKeyHash: store.HashKey("k"), Answers: big(d.MaxAnswerBytes + 1), Ruleset: "r"}
	_, err := s.CreatePlan(ctx, np)
	wantErr(t, "CreatePlan with answers over the default limit", err, store.ErrTooLarge)
	np.Answers, np.Plan = big(d.MaxAnswerBytes), big(d.MaxPlanBytes+1)
	_, err = s.CreatePlan(ctx, np)
	wantErr(t, "CreatePlan with a snapshot over the default limit", err, store.ErrTooLarge)
	np.Plan = big(d.MaxPlanBytes)
	if _, err := s.CreatePlan(ctx, np); err != nil {
		t.Fatalf("CreatePlan at the default limits: %v", err)
	}
	err = s.SaveDraft(ctx, store.Draft{ID: "big", Data: big(d.MaxDraftBytes + 1)})
	wantErr(t, "SaveDraft over the default limit", err, store.ErrTooLarge)
	if err := s.SaveDraft(ctx, store.Draft{ID: "big", Data: big(d.MaxDraftBytes)}); err != nil {
		t.Fatalf("SaveDraft at the default limit: %v", err)
	}
	if d.MaxRevisions != 200 {
		t.Errorf("DefaultLimits().MaxRevisions = %d, want 200 (the documented default)", d.MaxRevisions)
	}
}

// testSizeLimits runs with answers ≤ 100 bytes, snapshots ≤ 50, drafts ≤ 20.
func testSizeLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	fill := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	np := store.NewPlan{ID: "sized", EditKeyHash: store.HashKey("k"), Answers: fill(101), Ruleset: "r"}
	_, err := s.CreatePlan(ctx, np)
	wantErr(t, "CreatePlan answers 101 bytes", err, store.ErrTooLarge)
	np.Answers, np.Plan = fill(100), fill(51)
	_, err = s.CreatePlan(ctx, np)
	wantErr(t, "CreatePlan snapshot 51 bytes", err, store.ErrTooLarge)
	_, err = s.GetPlan(ctx, np.ID)
	wantErr(t, "GetPlan after refused creates", err, store.ErrNotFound)

	np.Plan = fill(50)
	if _, err := s.CreatePlan(ctx, np); err != nil {
		t.Fatalf("CreatePlan at the limits: %v", err)
	}
	_, err = s.UpdatePlan(ctx, store.Update{ID: np.ID, ExpectedRevision: 1, Answers: fill(101), Ruleset: "r"})
	wantErr(t, "UpdatePlan answers 101 bytes", err, store.ErrTooLarge)
	_, err = s.UpdatePlan(ctx, store.Update{ID: np.ID, ExpectedRevision: 1, Answers: fill(1), Plan: fill(51), Ruleset: "r"})
	wantErr(t, "UpdatePlan snapshot 51 bytes", err, store.ErrTooLarge)
	checkGapless(t, s, np.ID, 1)
	if _, err := s.UpdatePlan(ctx, store.Update{ID: np.ID, ExpectedRevision: 1, Answers: fill(100), Plan: fill(50), Ruleset: "r"}); err != nil {
		t.Fatalf("UpdatePlan at the limits: %v", err)
	}

	err = s.SaveDraft(ctx, store.Draft{ID: "d", Data: fill(21)})
	wantErr(t, "SaveDraft 21 bytes", err, store.ErrTooLarge)
	_, err = s.GetDraft(ctx, "d")
	wantErr(t, "GetDraft after a refused save", err, store.ErrNotFound)
	if err := s.SaveDraft(ctx, store.Draft{ID: "d", Data: fill(20)}); err != nil {
		t.Fatal(err)
	}
	err = s.SaveDraft(ctx, store.Draft{ID: "d", Data: fill(21)})
	wantErr(t, "SaveDraft replacing with 21 bytes", err, store.ErrTooLarge)
	if got, err := s.GetDraft(ctx, "d"); err != nil || len(got.Data) != 20 {
		t.Errorf("draft after a refused replace: %d bytes, %v; want the 20 kept", len(got.Data), err)
	}
}

// testDraftLimit runs with MaxDrafts 3: a new draft pushes out the least
// recently saved others, never itself; replacing a draft purges nothing.
func testDraftLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	save := func(id string, age time.Duration) {
		t.Helper()
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte(id), UpdatedAt: t0.Add(-age)}); err != nil {
			t.Fatalf("SaveDraft %s: %v", id, err)
		}
	}
	kept := func(what string, want ...string) {
		t.Helper()
		for _, id := range []string{"a", "b", "c", "d", "e", "f", "g"} {
			_, err := s.GetDraft(ctx, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			wanted := strings.Contains(strings.Join(want, ","), id)
			if (err == nil) != wanted {
				t.Errorf("%s: draft %s kept=%v, want %v (want kept %v)", what, id, err == nil, wanted, want)
			}
		}
	}
	save("a", 5*time.Hour)
	save("b", 4*time.Hour)
	save("c", 3*time.Hour)
	kept("three drafts", "a", "b", "c")
	save("d", 2*time.Hour)
	kept("a fourth draft", "b", "c", "d")
	save("b", 0) // replace: b becomes the newest; nothing purged
	kept("after replacing b", "b", "c", "d")
	save("e", time.Hour)
	kept("after e", "b", "d", "e")
	save("f", 10*time.Hour) // older than all: the others go, not f
	kept("after an old new draft", "b", "f", "e")
}

// testSnapshots: the snapshot is kept exactly, per revision; nil and empty
// both mean none.
func testSnapshots(t *testing.T, s store.Store) {
	ctx := context.Background()
	snap1 := []byte("\x1f\x8b\x08\x00 gzip-like \x00\xff\xfe binary")
	np := store.NewPlan{ID: "snap", EditKeyHash: store.HashKey("k"), Answers: answers(1), Ruleset: "2026.1", Plan: snap1}
	created, err := s.CreatePlan(ctx, np)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(created.Plan, snap1) {
		t.Errorf("CreatePlan returned snapshot %q, want %q", created.Plan, snap1)
	}
	snap2 := bytes.Repeat([]byte{0, 1, 2, 0xff}, 40_000) // 160 KB
	up, err := s.UpdatePlan(ctx, store.Update{ID: np.ID, ExpectedRevision: 1, Answers: answers(2), Ruleset: "2026.2", Plan: snap2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(up.Plan, snap2) {
		t.Error("UpdatePlan returned another snapshot than it was given")
	}
	second := up
	for _, none := range [][]byte{nil, {}} {
		up, err = s.UpdatePlan(ctx, store.Update{ID: np.ID, ExpectedRevision: up.Revision, Answers: answers(3), Ruleset: "r", Plan: none})
		if err != nil {
			t.Fatal(err)
		}
		if up.Plan != nil {
			t.Errorf("UpdatePlan with snapshot %#v returned %#v, want nil", none, up.Plan)
		}
	}
	want := map[int][]byte{1: snap1, 2: snap2, 3: nil, 4: nil}
	for n, snap := range want {
		got, err := s.GetRevision(ctx, np.ID, n)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Plan, snap) || (snap == nil) != (got.Plan == nil) {
			t.Errorf("revision %d snapshot: %d bytes (nil %v), want %d (nil %v)", n, len(got.Plan), got.Plan == nil, len(snap), snap == nil)
		}
	}
	latest, err := s.GetPlan(ctx, np.ID)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Revision != 4 || latest.Plan != nil {
		t.Errorf("GetPlan: revision %d with %d snapshot bytes, want 4 with none", latest.Revision, len(latest.Plan))
	}
	rev2, err := s.GetRevision(ctx, np.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	equalPlan(t, "GetRevision 2", rev2, second)
	first, err := s.GetRevision(ctx, np.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	equalPlan(t, "GetRevision 1", first, created)
}

// testPlanInfo: GetPlanInfo agrees with GetPlan and fails the same way.
func testPlanInfo(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	for expected := 1; expected <= 2; expected++ {
		full, err := s.GetPlan(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.GetPlanInfo(ctx, p.ID)
		if err != nil {
			t.Fatalf("GetPlanInfo: %v", err)
		}
		want := store.PlanInfo{ID: full.ID, Revision: full.Revision, Ruleset: full.Ruleset, EditKeyHash: full.EditKeyHash, CreatedAt: full.CreatedAt, SavedAt: full.SavedAt}
		if info.ID != want.ID || info.Revision != want.Revision || info.Ruleset != want.Ruleset ||
			!bytes.Equal(info.EditKeyHash, want.EditKeyHash) || !info.CreatedAt.Equal(want.CreatedAt) || !info.SavedAt.Equal(want.SavedAt) ||
			info.SavedAt.Location() != time.UTC {
			t.Errorf("GetPlanInfo = %+v, want %+v", info, want)
		}
		update(t, s, p.ID, expected)
	}
	_, err := s.GetPlanInfo(ctx, "no-such-plan")
	wantErr(t, "GetPlanInfo of a missing plan", err, store.ErrNotFound)
	if err := s.RevokePlan(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetPlanInfo(ctx, p.ID)
	wantErr(t, "GetPlanInfo of a revoked plan", err, store.ErrGone)
}

// testRevokeErases: what the interface can see of erasure (the drivers'
// own tests look at the rows): everything answers ErrGone, the id stays
// taken, and other plans keep their revisions.
func testRevokeErases(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	other := newPlan(t, s)
	for expected := 1; expected <= 3; expected++ {
		update(t, s, p.ID, expected)
	}
	update(t, s, other.ID, 1)
	if err := s.RevokePlan(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.ListRevisions(ctx, p.ID)
	wantErr(t, "ListRevisions", err, store.ErrGone)
	_, err = s.CreatePlan(ctx, store.NewPlan{ID: p.ID, EditKeyHash: store.HashKey("new"), Answers: answers(1), Ruleset: "r"})
	wantErr(t, "CreatePlan reusing a revoked id", err, store.ErrExists)
	_, err = s.GetPlan(ctx, p.ID)
	wantErr(t, "GetPlan after a refused reuse", err, store.ErrGone)
	checkGapless(t, s, other.ID, 2)
}

// testHostileIDs: ids no plan or draft can have are "not found", not driver
// errors (PostgreSQL refuses invalid UTF-8 and NUL in text), and cannot be
// stored.
func testHostileIDs(t *testing.T, s store.Store) {
	ctx := context.Background()
	newPlan(t, s)
	for _, id := range []string{"\xff\xfe", "a\x00b", strings.Repeat("x", store.MaxIDBytes+1), ""} {
		_, err := s.GetPlan(ctx, id)
		wantErr(t, fmt.Sprintf("GetPlan %q", id), err, store.ErrNotFound)
		_, err = s.GetPlanInfo(ctx, id)
		wantErr(t, fmt.Sprintf("GetPlanInfo %q", id), err, store.ErrNotFound)
		_, err = s.GetRevision(ctx, id, 1)
		wantErr(t, fmt.Sprintf("GetRevision %q", id), err, store.ErrNotFound)
		_, err = s.ListRevisions(ctx, id)
		wantErr(t, fmt.Sprintf("ListRevisions %q", id), err, store.ErrNotFound)
		_, err = s.UpdatePlan(ctx, store.Update{ID: id, ExpectedRevision: 1, Answers: answers(2)})
		wantErr(t, fmt.Sprintf("UpdatePlan %q", id), err, store.ErrNotFound)
		wantErr(t, fmt.Sprintf("RevokePlan %q", id), s.RevokePlan(ctx, id), store.ErrNotFound)
		_, err = s.GetDraft(ctx, id)
		wantErr(t, fmt.Sprintf("GetDraft %q", id), err, store.ErrNotFound)
		if err := s.DeleteDraft(ctx, id); err != nil {
			t.Errorf("DeleteDraft %q: %v", id, err)
		}
		if _, err := s.CreatePlan(ctx, store.NewPlan{ID: id, EditKeyHash: store.HashKey("k"), Answers: answers(1)}); err == nil {
			t.Errorf("CreatePlan %q succeeded", id)
		}
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte("x")}); err == nil {
			t.Errorf("SaveDraft %q succeeded", id)
		}
	}
	long := strings.Repeat("x", store.MaxIDBytes+1)
	_, err := s.CreatePlan(ctx, store.NewPlan{ID: long, EditKeyHash: store.HashKey("k"), Answers: answers(1)})
	wantErr(t, "CreatePlan with a long id", err, store.ErrTooLarge)
	wantErr(t, "SaveDraft with a long id", s.SaveDraft(ctx, store.Draft{ID: long}), store.ErrTooLarge)

	// Text the databases would not keep alike is refused alike.
	for _, bad := range [][]byte{[]byte("{\"a\":\"\xff\"}"), []byte("{\"a\":\"\x00\"}")} {
		_, err := s.CreatePlan(ctx, store.NewPlan{ID: "bad-text", EditKeyHash: store.HashKey("k"), Answers: bad})
		if err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("CreatePlan with answers %q: %v, want a store error", bad, err)
		}
	}
}

// testDraftLimitSlack runs with MaxDrafts 200, where the purge runs every
// 2 new drafts: the newest 200 stay, and at most 1 older one is left over.
func testDraftLimitSlack(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	const n, limit = 300, 200
	for i := range n {
		if err := s.SaveDraft(ctx, store.Draft{ID: fmt.Sprint("d", i), Data: []byte("x"), UpdatedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	left := 0
	for i := range n {
		_, err := s.GetDraft(ctx, fmt.Sprint("d", i))
		switch {
		case err == nil && i < n-limit:
			left++
		case errors.Is(err, store.ErrNotFound) && i >= n-limit:
			t.Errorf("draft %d, among the newest %d, was purged", i, limit)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			t.Fatal(err)
		}
	}
	if left > limit/100-1 {
		t.Errorf("%d drafts beyond the newest %d kept, want at most %d", left, limit, limit/100-1)
	}
}
