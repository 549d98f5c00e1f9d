package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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

// testDraftLimit runs with MaxDrafts 3 and the default MinDraftIdle (24
// hours): a new draft beyond the cap purges the least recently saved
// drafts idle that long, never one in recent use; when none is, the new
// draft is refused with ErrFull, saying when one will be; replacing a
// draft always works.
func testDraftLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	save := func(id string, age time.Duration) error {
		return s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte(id), UpdatedAt: t0.Add(-age)})
	}
	mustSave := func(id string, age time.Duration) {
		t.Helper()
		if err := save(id, age); err != nil {
			t.Fatalf("SaveDraft %s: %v", id, err)
		}
	}
	kept := func(what string, want ...string) {
		t.Helper()
		for _, id := range []string{"a", "b", "c", "d", "e", "f", "x", "y"} {
			_, err := s.GetDraft(ctx, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			wanted := slices.Contains(want, id)
			if (err == nil) != wanted {
				t.Errorf("%s: draft %s kept=%v, want %v (want kept %v)", what, id, err == nil, wanted, want)
			}
		}
	}
	full := func(what string, err error, wait time.Duration) {
		t.Helper()
		wantErr(t, what, err, store.ErrFull)
		var fe *store.FullError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v is not a *store.FullError", what, err)
		}
		// The store's clock has moved on from t0 by the time it refuses.
		if fe.RetryAfter > wait+time.Second || fe.RetryAfter < wait-time.Minute {
			t.Errorf("%s: RetryAfter %v, want about %v", what, fe.RetryAfter, wait)
		}
	}

	mustSave("x", 30*time.Hour) // idle for more than a day
	mustSave("y", 30*time.Hour) // as idle: the smaller id goes first
	mustSave("a", 2*time.Hour)
	kept("three drafts", "x", "y", "a")
	mustSave("b", time.Hour)
	kept("a fourth draft purges the idle x", "y", "a", "b")
	mustSave("c", 0)
	kept("a fifth purges the idle y", "a", "b", "c")

	// All three saved within the day: a new draft is refused, whatever its
	// own time, and nothing is purged.
	full("SaveDraft d with the others in recent use", save("d", 0), 22*time.Hour)
	full("SaveDraft e, itself old", save("e", 48*time.Hour), 22*time.Hour)
	kept("after refusals", "a", "b", "c")

	// Replacing works at the cap, and resets the draft's age.
	mustSave("a", 0)
	if got, err := s.GetDraft(ctx, "a"); err != nil || !got.UpdatedAt.Equal(t0) {
		t.Errorf("replaced draft a: %+v, %v; want saved at %v", got, err, t0)
	}
	full("SaveDraft d after a was replaced", save("d", 0), 23*time.Hour)

	// Room made by other means is taken.
	if err := s.DeleteDraft(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	mustSave("d", 0)
	kept("after c was deleted", "a", "b", "d")
	full("SaveDraft f after d took the room", save("f", 0), 23*time.Hour)
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

// testDraftCap runs with MaxDrafts 200: filled to the cap with drafts
// saved within the last minutes, one idle for 25 hours among them, the
// next new draft pushes out the idle one only, the one after is refused
// with ErrFull, and every draft in recent use is still there and can be
// replaced.
func testDraftCap(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	const limit = 200
	ids := make([]string, 0, limit)
	for i := range limit {
		id, age := fmt.Sprint("d", i), time.Duration(limit-i)*time.Second
		if i == limit/2 {
			id, age = "idle", 25*time.Hour
		}
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte("x"), UpdatedAt: t0.Add(-age)}); err != nil {
			t.Fatalf("SaveDraft %s of %d: %v", id, limit, err)
		}
		ids = append(ids, id)
	}
	if err := s.SaveDraft(ctx, store.Draft{ID: "new1", Data: []byte("x")}); err != nil {
		t.Fatalf("SaveDraft beyond the cap with an idle draft to purge: %v", err)
	}
	_, err := s.GetDraft(ctx, "idle")
	wantErr(t, "GetDraft of the idle draft after a new one", err, store.ErrNotFound)

	err = s.SaveDraft(ctx, store.Draft{ID: "new2", Data: []byte("x")})
	wantErr(t, "SaveDraft beyond the cap, every draft in recent use", err, store.ErrFull)
	_, err = s.GetDraft(ctx, "new2")
	wantErr(t, "GetDraft of the refused draft", err, store.ErrNotFound)

	for _, id := range append(ids, "new1") {
		if id == "idle" {
			continue
		}
		if _, err := s.GetDraft(ctx, id); err != nil {
			t.Fatalf("draft %s, in recent use, after the flood: %v", id, err)
		}
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte("replaced")}); err != nil {
			t.Fatalf("replacing draft %s at the cap: %v", id, err)
		}
	}
}

// CheckDraftCapLowered: open opens the same empty database each time it is
// called, with opts. Filled with 5 drafts (3 idle for over a day) under a
// cap of 5 and reopened with a cap of 2, a new draft purges the 3 idle
// ones, and is still refused (the 2 left are in recent use, and with it
// there would be 3), with RetryAfter for the older of those 2; the purge
// is kept, so the next new draft after one of the 2 is deleted fits.
func CheckDraftCapLowered(t *testing.T, open func(t *testing.T, opts ...store.Option) store.Store) {
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	s := open(t, store.WithLimits(store.Limits{MaxDrafts: 5}))
	for id, age := range map[string]time.Duration{"i1": 30 * time.Hour, "i2": 40 * time.Hour, "i3": 50 * time.Hour, "r1": 2 * time.Hour, "r2": time.Hour} {
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte(id), UpdatedAt: t0.Add(-age)}); err != nil {
			t.Fatalf("SaveDraft %s: %v", id, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, store.WithLimits(store.Limits{MaxDrafts: 2}))
	err := s.SaveDraft(ctx, store.Draft{ID: "new", Data: []byte("x")})
	wantErr(t, "SaveDraft under a lowered cap", err, store.ErrFull)
	var fe *store.FullError
	if errors.As(err, &fe) && (fe.RetryAfter > 22*time.Hour+time.Second || fe.RetryAfter < 22*time.Hour-time.Minute) {
		t.Errorf("RetryAfter %v, want about 22h (when r1 is idle a day)", fe.RetryAfter)
	}
	for id, want := range map[string]bool{"i1": false, "i2": false, "i3": false, "r1": true, "r2": true, "new": false} {
		_, err := s.GetDraft(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		if (err == nil) != want {
			t.Errorf("draft %s kept=%v, want %v", id, err == nil, want)
		}
	}
	if err := s.DeleteDraft(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDraft(ctx, store.Draft{ID: "new", Data: []byte("x")}); err != nil {
		t.Fatalf("SaveDraft once there is room: %v", err)
	}
}
