package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// Progress under a crowd: patches arriving together share transactions
// (SQLite's group commit), yet each keeps its own outcome. These checks
// are exported so that a driver can also run them across two stores on
// one database (replicas) and check the acknowledged patches again after
// reopening it (durability).

// crowdPlans is how many plans the crowd's writers share.
const crowdPlans = 4

// crowdRounds is how many rounds of patches each writer sends.
const crowdRounds = 4

// ProgressAcks is what a crowd's acknowledged patches recorded.
type ProgressAcks struct {
	Plans []string
	// Tasks holds, per plan, each task as the last acknowledged patch of
	// it recorded it (Status, Note, Version).
	Tasks map[string]map[string]store.TaskProgress
	// Patches is, per plan, how many patches were acknowledged: each
	// changed something, so the progress is at that version and has that
	// many history rows.
	Patches map[string]int64
	// Revoked is a plan revoked before the crowd came.
	Revoked string
}

// PatchProgressCrowd has writers (32) patch crowdPlans plans at once
// through stores (writer i through stores[i%len(stores)]), each round:
//   - its own new task, from version 0: never stale, so always recorded;
//   - a task all writers of a plan share, from the version it read: of
//     those that read the same version one wins, the others are told
//     (ErrConflict) and record nothing;
//   - patches that must fail inside the transaction: a version the
//     progress never had, a revision the plan does not have (ErrConflict),
//     a revoked plan (ErrGone) and a missing one (ErrNotFound).
//
// A failing patch must fail alone: every other patch keeps its outcome.
// It checks each answer, that the acknowledged patches have versions
// 1..n without gaps or repeats per plan, and returns them.
func PatchProgressCrowd(t *testing.T, stores ...store.Store) ProgressAcks {
	t.Helper()
	ctx := context.Background()
	s0 := stores[0]
	acks := ProgressAcks{Tasks: map[string]map[string]store.TaskProgress{}, Patches: map[string]int64{}}
	for range crowdPlans {
		p := newPlan(t, s0)
		acks.Plans = append(acks.Plans, p.ID)
		acks.Tasks[p.ID] = map[string]store.TaskProgress{}
	}
	revoked := newPlan(t, s0)
	if err := s0.RevokePlan(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	acks.Revoked = revoked.ID

	type ack struct {
		plan, task string
		tp         store.TaskProgress
	}
	var mu sync.Mutex
	var acked []ack
	var conflicts int
	errs := make([]error, writers)
	start(func(i int) {
		s := stores[i%len(stores)]
		plan := acks.Plans[i%crowdPlans]
		record := func(task string, tp store.TaskProgress, got store.Progress) error {
			if g := got.Tasks[task]; g.Status != tp.Status || g.Note != tp.Note || g.Version != got.Version {
				return fmt.Errorf("the answer to a patch of %s has %+v at version %d, want %s %q at that version", task, g, got.Version, tp.Status, tp.Note)
			}
			tp.Version = got.Version
			mu.Lock()
			acked = append(acked, ack{plan, task, tp})
			mu.Unlock()
			return nil
		}
		errs[i] = func() error {
			for r := range crowdRounds {
				// Patches that fail inside the transaction, between the others.
				for what, bad := range map[string]struct {
					p    store.ProgressPatch
					want error
				}{
					"a version never reached": {store.ProgressPatch{PlanID: plan, ExpectedVersion: 1 << 40, PlanRevision: 1}, store.ErrConflict},
					"a revision never saved":  {store.ProgressPatch{PlanID: plan, PlanRevision: 7}, store.ErrConflict},
					"a revoked plan":          {store.ProgressPatch{PlanID: revoked.ID, PlanRevision: 1}, store.ErrGone},
					"a missing plan":          {store.ProgressPatch{PlanID: "no-such-plan", PlanRevision: 1}, store.ErrNotFound},
				} {
					bad.p.Tasks = map[string]store.TaskProgress{fmt.Sprint("bad-", i, "-", r): task("done", "")}
					if _, err := s.PatchProgress(ctx, bad.p); !errors.Is(err, bad.want) {
						return fmt.Errorf("round %d, a patch of %s: %v, want %v", r, what, err, bad.want)
					}
				}
				own := fmt.Sprint("own-", i, "-", r)
				tp := task([]string{"doing", "done"}[r%2], fmt.Sprint("writer ", i, ", round ", r))
				got, err := s.PatchProgress(ctx, store.ProgressPatch{PlanID: plan, PlanRevision: 1, By: fmt.Sprint("w", i),
					Tasks: map[string]store.TaskProgress{own: tp}})
				if err != nil {
					return fmt.Errorf("round %d, its own new task: %w", r, err)
				}
				if err := record(own, tp, got); err != nil {
					return err
				}
				cur, err := s.GetProgress(ctx, plan)
				if err != nil {
					return err
				}
				if cur.Version < got.Version || cur.Tasks[own].Version != got.Version {
					return fmt.Errorf("round %d: read version %d with %s at %d after its patch made version %d",
						r, cur.Version, own, cur.Tasks[own].Version, got.Version)
				}
				// A distinct note, so every recorded shared patch changes it.
				tp = task("blocked", fmt.Sprint("shared by writer ", i, ", round ", r))
				got, err = s.PatchProgress(ctx, store.ProgressPatch{PlanID: plan, ExpectedVersion: cur.Version, PlanRevision: 1,
					Tasks: map[string]store.TaskProgress{"shared": tp}})
				switch {
				case errors.Is(err, store.ErrConflict):
					mu.Lock()
					conflicts++
					mu.Unlock()
				case err != nil:
					return fmt.Errorf("round %d, the shared task: %w", r, err)
				default:
					if err := record("shared", tp, got); err != nil {
						return err
					}
				}
			}
			return nil
		}()
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	versions := map[string]map[int64]bool{}
	for _, a := range acked {
		if versions[a.plan] == nil {
			versions[a.plan] = map[int64]bool{}
		}
		if versions[a.plan][a.tp.Version] {
			t.Errorf("plan %s: two acknowledged patches have version %d", a.plan, a.tp.Version)
		}
		versions[a.plan][a.tp.Version] = true
		acks.Patches[a.plan]++
		if old, ok := acks.Tasks[a.plan][a.task]; !ok || old.Version < a.tp.Version {
			acks.Tasks[a.plan][a.task] = a.tp
		}
	}
	for _, plan := range acks.Plans {
		for v := int64(1); v <= acks.Patches[plan]; v++ {
			if !versions[plan][v] {
				t.Errorf("plan %s: %d patches acknowledged, but none has version %d", plan, acks.Patches[plan], v)
			}
		}
		if _, ok := acks.Tasks[plan]["shared"]; !ok {
			t.Errorf("plan %s: no patch of the shared task was recorded", plan)
		}
	}
	t.Logf("%d patches acknowledged, %d told they were stale", len(acked), conflicts)
	return acks
}

// CheckProgressAcks checks that s shows every acknowledged patch of a
// crowd: each plan at the version its patches reached, each task as its
// last acknowledged patch recorded it, nothing of the refused patches, one
// history row per patch; and the revoked plan still gone.
func CheckProgressAcks(t *testing.T, s store.Store, acks ProgressAcks) {
	t.Helper()
	ctx := context.Background()
	for _, plan := range acks.Plans {
		got := getProgress(t, s, plan)
		if got.Version != acks.Patches[plan] {
			t.Errorf("plan %s at version %d, want %d (one per acknowledged patch)", plan, got.Version, acks.Patches[plan])
		}
		for task, want := range acks.Tasks[plan] {
			if g := got.Tasks[task]; g.Status != want.Status || g.Note != want.Note || g.Version != want.Version {
				t.Errorf("plan %s, task %s: %+v, want %s %q at version %d", plan, task, g, want.Status, want.Note, want.Version)
			}
		}
		if len(got.Tasks) != len(acks.Tasks[plan]) {
			t.Errorf("plan %s has %d tasks, want the %d acknowledged (a refused patch recorded something)", plan, len(got.Tasks), len(acks.Tasks[plan]))
		}
		h, err := s.ProgressHistory(ctx, plan, 0)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(h)) != acks.Patches[plan] {
			t.Errorf("plan %s has %d history rows, want %d", plan, len(h), acks.Patches[plan])
		}
	}
	_, err := s.GetProgress(ctx, acks.Revoked)
	wantErr(t, "GetProgress of the revoked plan", err, store.ErrGone)
}

// testProgressCrowd runs a crowd on one store and checks it.
func testProgressCrowd(t *testing.T, s store.Store) {
	CheckProgressAcks(t, s, PatchProgressCrowd(t, s))
}

// CheckProgressReplicas checks two stores on one database (replicas, or
// two processes on one SQLite file): what one records, the other reads
// and patches on top of at once, whatever either has read before.
func CheckProgressReplicas(t *testing.T, a, b store.Store) {
	t.Helper()
	ctx := context.Background()
	p := newPlan(t, a)
	patch(t, a, store.ProgressPatch{PlanID: p.ID, Tasks: map[string]store.TaskProgress{"x": task("todo", "")}})
	getProgress(t, a, p.ID) // each has read version 1
	getProgress(t, b, p.ID)
	patch(t, b, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: "B", Tasks: map[string]store.TaskProgress{"x": task("done", "by B")}})
	if got := getProgress(t, a, p.ID); got.Version != 2 || got.Tasks["x"].Note != "by B" {
		t.Errorf("A reads %+v after B recorded version 2", got)
	}
	_, err := a.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, PlanRevision: 1, Tasks: map[string]store.TaskProgress{"x": task("blocked", "")}})
	wantErr(t, "A's patch of the task B recorded since version 1", err, store.ErrConflict)
	got := patch(t, a, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: "A", Tasks: map[string]store.TaskProgress{"y": task("done", "")}})
	if got.Version != 3 || got.Tasks["x"].Note != "by B" || got.Tasks["y"].Status != "done" {
		t.Errorf("A's patch of another task answers %+v, want version 3 with B's change", got)
	}
	if got := getProgress(t, b, p.ID); got.Version != 3 || got.Tasks["y"].Status != "done" {
		t.Errorf("B reads %+v after A recorded version 3", got)
	}
	if err := b.RevokePlan(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = a.GetProgress(ctx, p.ID)
	wantErr(t, "A's read of the progress B's revocation erased", err, store.ErrGone)
	_, err = a.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 3, PlanRevision: 1, Tasks: map[string]store.TaskProgress{"z": task("done", "")}})
	wantErr(t, "A's patch after B's revocation", err, store.ErrGone)
}
