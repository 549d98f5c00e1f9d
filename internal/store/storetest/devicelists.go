package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// deviceListTests run with MaxDeviceListBytes 100 and MaxDrafts 3 (for the
// cap's purge).
var deviceListTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"DeviceLists", testDeviceLists},
	{"DeviceListsTooLarge", testDeviceListsTooLarge},
	{"DeviceListsPlanGone", testDeviceListsPlanGone},
	{"DeviceListsDraftsGone", testDeviceListsDraftsGone},
	{"DeviceListsHostileOwners", testDeviceListsHostileOwners},
	{"ConcurrentDeviceListErase", testConcurrentDeviceListErase},
}

var deviceListLimits = []store.Option{store.WithLimits(store.Limits{MaxDeviceListBytes: 100, MaxDrafts: 3})}

// devices is a device list whose bytes a store must keep exactly (binary,
// as the web layer's gzip is).
func devices(tag string) []byte {
	return []byte("\x1f\x8b\x00\xff" + tag + " LAPTOP-0042 SN-9X7 ana@example.org")
}

// wantList fails unless owner's list is data, saved within [after, before].
func wantList(t *testing.T, s store.Store, what, owner string, data []byte, after, before time.Time) {
	t.Helper()
	got, at, err := s.GetDeviceList(context.Background(), owner)
	if err != nil {
		t.Fatalf("%s: GetDeviceList %q: %v", what, owner, err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("%s: GetDeviceList %q = %q, want %q", what, owner, got, data)
	}
	checkTime(t, what+": saved at", at, after, before)
}

// wantNoList fails unless owner has no list, with target as the reason.
func wantNoList(t *testing.T, s store.Store, what, owner string, target error) {
	t.Helper()
	data, _, err := s.GetDeviceList(context.Background(), owner)
	wantErr(t, what+": GetDeviceList "+owner, err, target)
	if data != nil {
		t.Errorf("%s: GetDeviceList %q returned %q with its error", what, owner, data)
	}
}

// testDeviceLists: save, replace, get and delete, for a plan and a draft
// with the same id, which never see each other's list.
func testDeviceLists(t *testing.T, s store.Store) {
	ctx := context.Background()
	const id = "same-id"
	if _, err := s.CreatePlan(ctx, store.NewPlan{ID: id, EditKeyHash: store.HashKey("k"), Answers: answers(1), Ruleset: "r"}); err != nil {
		t.Fatal(err)
	}
	draftAt := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte("draft"), UpdatedAt: draftAt}); err != nil {
		t.Fatal(err)
	}
	plan, draft := store.PlanDevices(id), store.DraftDevices(id)
	if plan != "plan:"+id || draft != "draft:"+id {
		t.Fatalf("owners %q %q, want plan:%s and draft:%s", plan, draft, id, id)
	}
	wantNoList(t, s, "before any save", plan, store.ErrNotFound)
	wantNoList(t, s, "before any save", draft, store.ErrNotFound)

	before := time.Now()
	if err := s.SaveDeviceList(ctx, plan, devices("plan")); err != nil {
		t.Fatalf("SaveDeviceList plan: %v", err)
	}
	wantList(t, s, "after saving the plan's", plan, devices("plan"), before, time.Now())
	wantNoList(t, s, "after saving the plan's", draft, store.ErrNotFound)

	if err := s.SaveDeviceList(ctx, draft, devices("draft")); err != nil {
		t.Fatalf("SaveDeviceList draft: %v", err)
	}
	wantList(t, s, "after saving the draft's", draft, devices("draft"), before, time.Now())
	wantList(t, s, "after saving the draft's", plan, devices("plan"), before, time.Now())
	if d, err := s.GetDraft(ctx, id); err != nil || string(d.Data) != "draft" || !d.UpdatedAt.Equal(draftAt) {
		t.Errorf("draft after saving its device list: %+v, %v; want it as saved (UpdatedAt %v)", d, err, draftAt)
	}

	before = time.Now()
	if err := s.SaveDeviceList(ctx, plan, devices("plan v2")); err != nil {
		t.Fatalf("SaveDeviceList replacing: %v", err)
	}
	wantList(t, s, "after replacing", plan, devices("plan v2"), before, time.Now())
	wantList(t, s, "after replacing the plan's", draft, devices("draft"), before.Add(-time.Minute), time.Now())

	if err := s.SaveDeviceList(ctx, draft, nil); err != nil {
		t.Fatalf("SaveDeviceList with no bytes: %v", err)
	}
	if got, _, err := s.GetDeviceList(ctx, draft); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty device list read back as %q (nil: %v), %v; want empty, not nil", got, got == nil, err)
	}

	if err := s.DeleteDeviceList(ctx, plan); err != nil {
		t.Fatalf("DeleteDeviceList: %v", err)
	}
	wantNoList(t, s, "after delete", plan, store.ErrNotFound)
	if _, _, err := s.GetDeviceList(ctx, draft); err != nil {
		t.Errorf("the draft's list after deleting the plan's: %v", err)
	}
	if err := s.DeleteDeviceList(ctx, plan); err != nil {
		t.Errorf("DeleteDeviceList of a missing list: %v", err)
	}
	if err := s.DeleteDeviceList(ctx, draft); err != nil {
		t.Fatal(err)
	}
	wantNoList(t, s, "after deleting the draft's", draft, store.ErrNotFound)
	// Deleting a list deletes nothing else.
	if _, err := s.GetPlan(ctx, id); err != nil {
		t.Errorf("plan after deleting its device list: %v", err)
	}
	if _, err := s.GetDraft(ctx, id); err != nil {
		t.Errorf("draft after deleting its device list: %v", err)
	}
}

// testDeviceListsTooLarge runs with MaxDeviceListBytes 100.
func testDeviceListsTooLarge(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	owner := store.PlanDevices(p.ID)
	fill := func(n int) []byte { return bytes.Repeat([]byte{0xff}, n) }
	wantErr(t, "SaveDeviceList 101 bytes", s.SaveDeviceList(ctx, owner, fill(101)), store.ErrTooLarge)
	wantNoList(t, s, "after a refused save", owner, store.ErrNotFound)
	if err := s.SaveDeviceList(ctx, owner, fill(100)); err != nil {
		t.Fatalf("SaveDeviceList at the limit: %v", err)
	}
	wantErr(t, "SaveDeviceList replacing with 101 bytes", s.SaveDeviceList(ctx, owner, fill(101)), store.ErrTooLarge)
	if got, _, err := s.GetDeviceList(ctx, owner); err != nil || len(got) != 100 {
		t.Errorf("list after a refused replace: %d bytes, %v; want the 100 kept", len(got), err)
	}
	// The size is refused before the owner is looked up.
	err := s.SaveDeviceList(ctx, store.PlanDevices("no-such-plan"), fill(101))
	wantErr(t, "SaveDeviceList too large for a missing plan", err, store.ErrTooLarge)

	if d := store.DefaultLimits().MaxDeviceListBytes; d != 32<<20 {
		t.Errorf("default MaxDeviceListBytes %d, want 32 MiB", d)
	}
	if got := store.Configure(store.WithLimits(store.Limits{MaxDeviceListBytes: 1 << 40})).Limits.MaxDeviceListBytes; got != 1<<30 {
		t.Errorf("MaxDeviceListBytes 1 TiB configured as %d, want it clamped to 1 GiB", got)
	}
}

// testDeviceListsPlanGone: a plan's list needs the plan live; revoking it
// erases the list, so that even reads say ErrGone.
func testDeviceListsPlanGone(t *testing.T, s store.Store) {
	ctx := context.Background()
	missing := store.PlanDevices("no-such-plan")
	wantErr(t, "SaveDeviceList of a missing plan", s.SaveDeviceList(ctx, missing, devices("x")), store.ErrNotFound)
	wantNoList(t, s, "missing plan", missing, store.ErrNotFound)
	if err := s.DeleteDeviceList(ctx, missing); err != nil {
		t.Errorf("DeleteDeviceList of a missing plan: %v", err)
	}

	p, other := newPlan(t, s), newPlan(t, s)
	if err := s.SaveDraft(ctx, store.Draft{ID: p.ID, Data: []byte("d")}); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{store.PlanDevices(p.ID), store.PlanDevices(other.ID), store.DraftDevices(p.ID)} {
		if err := s.SaveDeviceList(ctx, owner, devices(owner)); err != nil {
			t.Fatalf("SaveDeviceList %s: %v", owner, err)
		}
	}
	if err := s.RevokePlan(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	gone := store.PlanDevices(p.ID)
	wantNoList(t, s, "revoked plan", gone, store.ErrGone)
	wantErr(t, "SaveDeviceList of a revoked plan", s.SaveDeviceList(ctx, gone, devices("again")), store.ErrGone)
	wantNoList(t, s, "revoked plan after a refused save", gone, store.ErrGone)
	if err := s.DeleteDeviceList(ctx, gone); err != nil {
		t.Errorf("DeleteDeviceList of a revoked plan: %v", err)
	}
	// Only the revoked plan's list went.
	for _, owner := range []string{store.PlanDevices(other.ID), store.DraftDevices(p.ID)} {
		if got, _, err := s.GetDeviceList(ctx, owner); err != nil || !bytes.Equal(got, devices(owner)) {
			t.Errorf("list of %s after revoking plan %s: %q, %v", owner, p.ID, got, err)
		}
	}
}

// testDeviceListsDraftsGone runs with MaxDrafts 3: DeleteDraft,
// DeleteDraftsBefore and the cap's purge erase the drafts' lists. Each
// draft is saved again afterwards, so a list merely hidden while its draft
// is missing would show.
func testDeviceListsDraftsGone(t *testing.T, s store.Store) {
	ctx := context.Background()
	wantErr(t, "SaveDeviceList of a missing draft", s.SaveDeviceList(ctx, store.DraftDevices("nope"), devices("x")), store.ErrNotFound)
	wantNoList(t, s, "missing draft", store.DraftDevices("nope"), store.ErrNotFound)

	t0 := time.Now().UTC().Truncate(time.Microsecond)
	keep := newPlan(t, s) // a plan's list is not a draft's, whatever the drafts do
	if err := s.SaveDeviceList(ctx, store.PlanDevices(keep.ID), devices("plan")); err != nil {
		t.Fatal(err)
	}
	saveWithList := func(id string, age time.Duration) {
		t.Helper()
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte(id), UpdatedAt: t0.Add(-age)}); err != nil {
			t.Fatalf("SaveDraft %s: %v", id, err)
		}
		if err := s.SaveDeviceList(ctx, store.DraftDevices(id), devices(id)); err != nil {
			t.Fatalf("SaveDeviceList of draft %s: %v", id, err)
		}
	}
	// wantErased saves the drafts again and checks that they have no list.
	wantErased := func(what string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if _, err := s.GetDraft(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: draft %s still there: %v", what, id, err)
			}
			wantNoList(t, s, what+", draft deleted", store.DraftDevices(id), store.ErrNotFound)
			if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte("again")}); err != nil {
				t.Fatal(err)
			}
			wantNoList(t, s, what+", draft saved again", store.DraftDevices(id), store.ErrNotFound)
			if err := s.DeleteDraft(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantKept := func(what string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if got, _, err := s.GetDeviceList(ctx, store.DraftDevices(id)); err != nil || !bytes.Equal(got, devices(id)) {
				t.Errorf("%s: list of draft %s: %q, %v; want it kept", what, id, got, err)
			}
		}
	}

	saveWithList("a", time.Hour)
	saveWithList("b", time.Hour)
	if err := s.DeleteDraft(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	wantKept("DeleteDraft a", "b")
	wantErased("DeleteDraft", "a")

	saveWithList("old", 48*time.Hour)
	if n, err := s.DeleteDraftsBefore(ctx, t0.Add(-2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteDraftsBefore = %d, %v; want 1", n, err)
	}
	wantKept("DeleteDraftsBefore", "b")
	wantErased("DeleteDraftsBefore", "old")

	// The cap (3): b, idle1 and idle2; idle2, the least recently saved, is
	// purged for new1, then idle1 for new2.
	saveWithList("idle1", 30*time.Hour)
	saveWithList("idle2", 40*time.Hour)
	for _, id := range []string{"new1", "new2"} {
		if err := s.SaveDraft(ctx, store.Draft{ID: id, Data: []byte(id)}); err != nil {
			t.Fatalf("SaveDraft %s at the cap: %v", id, err)
		}
	}
	wantKept("the cap's purge", "b")
	for _, id := range []string{"new1", "new2"} { // make room to save the purged again
		if err := s.DeleteDraft(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	wantErased("the cap's purge", "idle1", "idle2")

	if got, _, err := s.GetDeviceList(ctx, store.PlanDevices(keep.ID)); err != nil || !bytes.Equal(got, devices("plan")) {
		t.Errorf("the plan's list after the drafts' deletes: %q, %v", got, err)
	}
}

// testDeviceListsHostileOwners: owners PlanDevices and DraftDevices did not
// make are errors; ids no plan or draft can have are "not found" (reads)
// or refused (saves), never driver errors.
func testDeviceListsHostileOwners(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	for _, owner := range []string{p.ID, "", "Plan:" + p.ID, "devices:" + p.ID} {
		if err := s.SaveDeviceList(ctx, owner, devices("x")); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("SaveDeviceList %q: %v, want a store error", owner, err)
		}
		if _, _, err := s.GetDeviceList(ctx, owner); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetDeviceList %q: %v, want an error other than not found", owner, err)
		}
		if err := s.DeleteDeviceList(ctx, owner); err == nil {
			t.Errorf("DeleteDeviceList %q succeeded", owner)
		}
	}
	for _, id := range []string{"\xff\xfe", "a\x00b", strings.Repeat("x", store.MaxIDBytes+1), ""} {
		for _, owner := range []string{store.PlanDevices(id), store.DraftDevices(id)} {
			if err := s.SaveDeviceList(ctx, owner, devices("x")); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
				t.Errorf("SaveDeviceList %q: %v, want a store error", owner, err)
			}
			wantNoList(t, s, "hostile id", owner, store.ErrNotFound)
			if err := s.DeleteDeviceList(ctx, owner); err != nil {
				t.Errorf("DeleteDeviceList %q: %v", owner, err)
			}
		}
	}
	long := strings.Repeat("x", store.MaxIDBytes+1)
	wantErr(t, "SaveDeviceList with a long plan id", s.SaveDeviceList(ctx, store.PlanDevices(long), nil), store.ErrTooLarge)
}

// testConcurrentDeviceListErase: lists saved while their plan is revoked,
// or their draft deleted, never outlive it: afterwards a revoked plan's
// list answers ErrGone, and a draft saved again under the deleted id has
// none.
func testConcurrentDeviceListErase(t *testing.T, s store.Store) {
	ctx := context.Background()
	for round := range 3 {
		p := newPlan(t, s)
		draftID := fmt.Sprint("racing-draft-", round)
		if err := s.SaveDraft(ctx, store.Draft{ID: draftID, Data: []byte("d")}); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, writers)
		start(func(i int) {
			switch {
			case i == 0:
				errs[i] = s.RevokePlan(ctx, p.ID)
			case i == 1:
				errs[i] = s.DeleteDraft(ctx, draftID)
			case i%2 == 0:
				errs[i] = s.SaveDeviceList(ctx, store.PlanDevices(p.ID), devices(fmt.Sprint(i)))
				if errors.Is(errs[i], store.ErrGone) {
					errs[i] = nil
				}
			default:
				errs[i] = s.SaveDeviceList(ctx, store.DraftDevices(draftID), devices(fmt.Sprint(i)))
				if errors.Is(errs[i], store.ErrNotFound) {
					errs[i] = nil
				}
			}
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d writer %d: %v", round, i, err)
			}
		}
		wantNoList(t, s, fmt.Sprint("round ", round), store.PlanDevices(p.ID), store.ErrGone)
		if err := s.SaveDraft(ctx, store.Draft{ID: draftID, Data: []byte("again")}); err != nil {
			t.Fatal(err)
		}
		wantNoList(t, s, fmt.Sprint("round ", round, ", draft saved again"), store.DraftDevices(draftID), store.ErrNotFound)
	}
}
