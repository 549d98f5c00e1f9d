package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// progressTests are the progress subtests of Run (CONTRACT §8.3).
var progressTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"ProgressRoundTrip", testProgressRoundTrip},
	{"ProgressStale", testProgressStale},
	{"ProgressDifferentEntries", testProgressDifferentEntries},
	{"ProgressSameEntry", testProgressSameEntry},
	{"ProgressConcurrent", testProgressConcurrent},
	{"ProgressCrowd", testProgressCrowd},
	{"ProgressSurvivesUpdate", testProgressSurvivesUpdate},
	{"ProgressRevoke", testProgressRevoke},
	{"ProgressHistory", testProgressHistory},
	{"ProgressHistoryBounded", testProgressHistoryBounded},
	{"ProgressBounds", testProgressBounds},
	{"ProgressPlanBounds", testProgressPlanBounds},
}

// at is a caller's clock for patches: UTC microseconds are kept exactly.
var at = time.Date(2027, 1, 4, 9, 30, 0, 123456000, time.UTC)

func patch(t *testing.T, s store.Store, p store.ProgressPatch) store.Progress {
	t.Helper()
	if p.PlanRevision == 0 {
		p.PlanRevision = 1
	}
	got, err := s.PatchProgress(context.Background(), p)
	if err != nil {
		t.Fatalf("PatchProgress from version %d: %v", p.ExpectedVersion, err)
	}
	return got
}

func getProgress(t *testing.T, s store.Store, id string) store.Progress {
	t.Helper()
	got, err := s.GetProgress(context.Background(), id)
	if err != nil {
		t.Fatalf("GetProgress: %v", err)
	}
	return got
}

func task(status, note string) store.TaskProgress {
	return store.TaskProgress{Status: status, Note: note}
}

// equalProgress compares everything, times with Equal.
func equalProgress(t *testing.T, what string, got, want store.Progress) {
	t.Helper()
	bad := got.PlanID != want.PlanID || got.PlanRevision != want.PlanRevision || got.Version != want.Version ||
		!got.Updated.Equal(want.Updated) || len(got.Tasks) != len(want.Tasks) || len(got.Enrolled) != len(want.Enrolled) ||
		got.Tasks == nil || got.Enrolled == nil
	for id, w := range want.Tasks {
		g, ok := got.Tasks[id]
		bad = bad || !ok || g.Status != w.Status || g.Note != w.Note || g.By != w.By || g.Version != w.Version ||
			!g.Updated.Equal(w.Updated) || g.Updated.Location() != time.UTC
	}
	for wave, pops := range want.Enrolled {
		bad = bad || len(got.Enrolled[wave]) != len(pops)
		for pop, w := range pops {
			g, ok := got.Enrolled[wave][pop]
			bad = bad || !ok || g.Count != w.Count || g.By != w.By || g.Version != w.Version || !g.Updated.Equal(w.Updated)
		}
	}
	if bad {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testProgressRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	other := newPlan(t, s)
	empty := getProgress(t, s, p.ID)
	equalProgress(t, "GetProgress before anything is recorded", empty, store.Progress{
		PlanID: p.ID, Tasks: map[string]store.TaskProgress{}, Enrolled: map[string]map[string]store.EnrolledCount{},
	})

	got := patch(t, s, store.ProgressPatch{
		PlanID: p.ID, ExpectedVersion: 0, PlanRevision: 1, By: "Ann", At: at.In(time.FixedZone("X", 3600)).Add(789),
		Tasks: map[string]store.TaskProgress{
			"set-up/apns":                {Status: "done", Note: "renewed, expires 2028 — é ✓"},
			"w/wave-1/sales-iphones/enr": {Status: "doing", By: "Bo"},
		},
		Enrolled: map[string]map[string]int{"wave-1": {"sales-iphones": 40, "kiosks": 0}, "pilot": {"sales-iphones": 5}},
	})
	want := store.Progress{
		PlanID: p.ID, PlanRevision: 1, Version: 1, Updated: at,
		Tasks: map[string]store.TaskProgress{
			"set-up/apns":                {Status: "done", Note: "renewed, expires 2028 — é ✓", By: "Ann", Updated: at, Version: 1},
			"w/wave-1/sales-iphones/enr": {Status: "doing", By: "Bo", Updated: at, Version: 1},
		},
		Enrolled: map[string]map[string]store.EnrolledCount{
			"wave-1": {"sales-iphones": {Count: 40, By: "Ann", Updated: at, Version: 1}, "kiosks": {Count: 0, By: "Ann", Updated: at, Version: 1}},
			"pilot":  {"sales-iphones": {Count: 5, By: "Ann", Updated: at, Version: 1}},
		},
	}
	equalProgress(t, "PatchProgress result", got, want)
	equalProgress(t, "GetProgress after a patch", getProgress(t, s, p.ID), want)

	// A second patch changes one task and leaves the rest as they were.
	before := time.Now()
	got = patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: "Cy", Tasks: map[string]store.TaskProgress{"set-up/apns": task("blocked", "")}})
	after := time.Now()
	checkTime(t, "Updated with a zero At (the store's clock)", got.Updated, before, after)
	want.Version, want.Updated = 2, got.Updated
	want.Tasks["set-up/apns"] = store.TaskProgress{Status: "blocked", By: "Cy", Updated: got.Updated, Version: 2}
	equalProgress(t, "second PatchProgress result", got, want)
	equalProgress(t, "GetProgress after the second patch", getProgress(t, s, p.ID), want)

	// A patch without entries records nothing.
	got = patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 2, By: "Dee"})
	equalProgress(t, "PatchProgress without entries", got, want)
	equalProgress(t, "GetProgress after an empty patch", getProgress(t, s, p.ID), want)

	// Returned maps are the caller's: changing them changes nothing stored.
	got.Tasks["set-up/apns"] = task("todo", "")
	got.Enrolled["wave-1"]["kiosks"] = store.EnrolledCount{Count: 99}
	equalProgress(t, "GetProgress after the caller changed a result", getProgress(t, s, p.ID), want)

	if o := getProgress(t, s, other.ID); o.Version != 0 || len(o.Tasks) != 0 || len(o.Enrolled) != 0 {
		t.Errorf("another plan's progress: %+v, want none", o)
	}
	for _, id := range []string{"no-such-plan", "\xff", strings.Repeat("x", store.MaxIDBytes+1)} {
		_, err := s.GetProgress(ctx, id)
		wantErr(t, fmt.Sprintf("GetProgress %q", id), err, store.ErrNotFound)
		_, err = s.PatchProgress(ctx, store.ProgressPatch{PlanID: id, PlanRevision: 1, Tasks: map[string]store.TaskProgress{"a": task("done", "")}})
		wantErr(t, fmt.Sprintf("PatchProgress %q", id), err, store.ErrNotFound)
		_, err = s.ProgressHistory(ctx, id, 0)
		wantErr(t, fmt.Sprintf("ProgressHistory %q", id), err, store.ErrNotFound)
	}
}

// testProgressStale: a version the progress never had is a conflict, and
// nothing is recorded.
func testProgressStale(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	want := patch(t, s, store.ProgressPatch{PlanID: p.ID, Tasks: map[string]store.TaskProgress{"a": task("done", "")}})
	for _, expected := range []int64{2, 5, -1, 1 << 62} {
		_, err := s.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: expected, PlanRevision: 1,
			Tasks: map[string]store.TaskProgress{"b": task("done", "")}})
		wantErr(t, fmt.Sprintf("PatchProgress expecting version %d at 1", expected), err, store.ErrConflict)
	}
	equalProgress(t, "GetProgress after stale patches", getProgress(t, s, p.ID), want)
}

// testProgressDifferentEntries: two people who read the same version and
// record different entries both win.
func testProgressDifferentEntries(t *testing.T, s store.Store) {
	p := newPlan(t, s)
	patch(t, s, store.ProgressPatch{PlanID: p.ID, Tasks: map[string]store.TaskProgress{"a": task("todo", ""), "b": task("todo", "")},
		Enrolled: map[string]map[string]int{"w1": {"x": 1, "y": 1}}})
	first := patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: "Ann",
		Tasks: map[string]store.TaskProgress{"a": task("done", "")}, Enrolled: map[string]map[string]int{"w1": {"x": 10}}})
	second := patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: "Bo",
		Tasks: map[string]store.TaskProgress{"b": task("doing", "")}, Enrolled: map[string]map[string]int{"w1": {"y": 20}}})
	if first.Version != 2 || second.Version != 3 {
		t.Errorf("versions %d and %d, want 2 and 3", first.Version, second.Version)
	}
	got := getProgress(t, s, p.ID)
	if got.Tasks["a"].Status != "done" || got.Tasks["a"].Version != 2 || got.Tasks["b"].Status != "doing" || got.Tasks["b"].Version != 3 ||
		got.Enrolled["w1"]["x"].Count != 10 || got.Enrolled["w1"]["y"].Count != 20 || got.Version != 3 {
		t.Errorf("after two patches of different entries from version 1: %+v", got)
	}
}

// testProgressSameEntry: of two people who read the same version and
// record the same entry, the later is told, and nothing of its patch is
// recorded.
func testProgressSameEntry(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	patch(t, s, store.ProgressPatch{PlanID: p.ID, Tasks: map[string]store.TaskProgress{"a": task("todo", ""), "b": task("todo", "")},
		Enrolled: map[string]map[string]int{"w1": {"x": 1}}})
	want := patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: "Ann",
		Tasks: map[string]store.TaskProgress{"a": task("done", "")}, Enrolled: map[string]map[string]int{"w1": {"x": 10}}})
	for what, later := range map[string]store.ProgressPatch{
		"the same task":         {Tasks: map[string]store.TaskProgress{"a": task("blocked", "no licence"), "b": task("done", "")}},
		"the same count":        {Tasks: map[string]store.TaskProgress{"b": task("done", "")}, Enrolled: map[string]map[string]int{"w1": {"x": 12, "z": 1}}},
		"the same task, again":  {Tasks: map[string]store.TaskProgress{"a": task("done", "")}},
		"the same count, again": {Enrolled: map[string]map[string]int{"w1": {"x": 10}}},
	} {
		later.PlanID, later.ExpectedVersion, later.PlanRevision, later.By = p.ID, 1, 1, "Bo"
		_, err := s.PatchProgress(ctx, later)
		wantErr(t, "a later patch of "+what+" from version 1", err, store.ErrConflict)
	}
	equalProgress(t, "GetProgress after the refused patches", getProgress(t, s, p.ID), want)
	// Having read version 2, Bo may record them.
	patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 2, Tasks: map[string]store.TaskProgress{"a": task("blocked", "")}})
}

// testProgressConcurrent: writers record their own task at once (they
// never conflict), then each adds one to a shared count, re-reading and
// retrying on conflict: no patch is lost, none counted twice, on any
// number of replicas.
func testProgressConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	errs := make([]error, writers)
	start(func(i int) {
		errs[i] = func() error {
			_, err := s.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, PlanRevision: 1, By: fmt.Sprint("w", i),
				Tasks: map[string]store.TaskProgress{fmt.Sprint("task-", i): task("done", "")}})
			if err != nil {
				return fmt.Errorf("own task: %w", err)
			}
			for {
				cur, err := s.GetProgress(ctx, p.ID)
				if err != nil {
					return err
				}
				n := cur.Enrolled["w1"]["shared"].Count
				_, err = s.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: cur.Version, PlanRevision: 1,
					Enrolled: map[string]map[string]int{"w1": {"shared": n + 1}}})
				if !errors.Is(err, store.ErrConflict) {
					return err
				}
			}
		}()
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got := getProgress(t, s, p.ID)
	if got.Version != 2*writers {
		t.Errorf("version %d after %d patches, want %d", got.Version, 2*writers, 2*writers)
	}
	if n := got.Enrolled["w1"]["shared"].Count; n != writers {
		t.Errorf("shared count %d after %d increments, want %d (a lost or doubled update)", n, writers, writers)
	}
	versions := map[int64]bool{}
	for i := range writers {
		tp := got.Tasks[fmt.Sprint("task-", i)]
		if tp.Status != "done" || versions[tp.Version] || tp.Version < 1 || tp.Version > 2*writers {
			t.Errorf("task-%d: %+v (each patch has a version of its own)", i, tp)
		}
		versions[tp.Version] = true
	}
	h, err := s.ProgressHistory(ctx, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2*writers {
		t.Errorf("%d history rows, want %d", len(h), 2*writers)
	}
}

// testProgressSurvivesUpdate: a new revision keeps the progress; the
// revision recorded against is the patch's, and must exist.
func testProgressSurvivesUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	want := patch(t, s, store.ProgressPatch{PlanID: p.ID, Tasks: map[string]store.TaskProgress{"a": task("done", "n")},
		Enrolled: map[string]map[string]int{"w": {"x": 3}}})
	update(t, s, p.ID, 1)
	equalProgress(t, "GetProgress after UpdatePlan", getProgress(t, s, p.ID), want)
	if h, err := s.ProgressHistory(ctx, p.ID, 0); err != nil || len(h) != 2 {
		t.Errorf("history after UpdatePlan: %d rows, %v; want 2", len(h), err)
	}
	for _, rev := range []int{0, -1, 3, store.MaxRevision + 1} {
		_, err := s.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, PlanRevision: rev,
			Tasks: map[string]store.TaskProgress{"b": task("done", "")}})
		wantErr(t, fmt.Sprintf("PatchProgress against revision %d of 2", rev), err, store.ErrConflict)
	}
	got := patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, PlanRevision: 2, Tasks: map[string]store.TaskProgress{"b": task("done", "")}})
	if got.PlanRevision != 2 || got.Tasks["a"].Status != "done" || got.Tasks["b"].Status != "done" {
		t.Errorf("after a patch against revision 2: %+v", got)
	}
	// Recording against an older revision is allowed (someone still on
	// the page of revision 1) and says so.
	got = patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 2, PlanRevision: 1, Tasks: map[string]store.TaskProgress{"c": task("done", "")}})
	if got.PlanRevision != 1 {
		t.Errorf("PlanRevision %d after a patch against revision 1, want 1", got.PlanRevision)
	}
}

// testProgressRevoke: RevokePlan erases progress and history with the
// plan; other plans keep theirs. (The drivers' own tests count the rows.)
func testProgressRevoke(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	other := newPlan(t, s)
	patch(t, s, store.ProgressPatch{PlanID: p.ID, Tasks: map[string]store.TaskProgress{"a": task("done", "secret note")}})
	keep := patch(t, s, store.ProgressPatch{PlanID: other.ID, Tasks: map[string]store.TaskProgress{"a": task("doing", "")}})
	if err := s.RevokePlan(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetProgress(ctx, p.ID)
	wantErr(t, "GetProgress of a revoked plan", err, store.ErrGone)
	_, err = s.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, PlanRevision: 1, Tasks: map[string]store.TaskProgress{"a": task("todo", "")}})
	wantErr(t, "PatchProgress of a revoked plan", err, store.ErrGone)
	_, err = s.ProgressHistory(ctx, p.ID, 0)
	wantErr(t, "ProgressHistory of a revoked plan", err, store.ErrGone)
	equalProgress(t, "another plan's progress after a revoke", getProgress(t, s, other.ID), keep)

	// A plan revoked with no progress recorded answers the same.
	bare := newPlan(t, s)
	if err := s.RevokePlan(ctx, bare.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetProgress(ctx, bare.ID)
	wantErr(t, "GetProgress of a revoked plan without progress", err, store.ErrGone)
	_, err = s.ProgressHistory(ctx, bare.ID, 1)
	wantErr(t, "ProgressHistory of a revoked plan without progress", err, store.ErrGone)
}

// testProgressHistory: who changed what, newest first; an entry recorded
// again unchanged adds no row.
func testProgressHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	if h, err := s.ProgressHistory(ctx, p.ID, 0); err != nil || h == nil || len(h) != 0 {
		t.Errorf("history before anything is recorded: %#v, %v; want empty", h, err)
	}
	t1, t2, t3 := at, at.Add(time.Hour), at.Add(2*time.Hour)
	patch(t, s, store.ProgressPatch{PlanID: p.ID, By: "Ann", At: t1,
		Tasks: map[string]store.TaskProgress{"b": task("doing", ""), "a": task("todo", "")}, Enrolled: map[string]map[string]int{"w1": {"x": 5}}})
	patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: "Bo", At: t2,
		Tasks:    map[string]store.TaskProgress{"a": task("todo", ""), "b": {Status: "done", Note: "all 40", By: "Cy"}},
		Enrolled: map[string]map[string]int{"w1": {"x": 5, "y": 0}}})
	patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 2, By: "Dee", At: t3,
		Tasks: map[string]store.TaskProgress{"a": task("todo", "waiting for the token")}, Enrolled: map[string]map[string]int{"w1": {"x": 7}}})
	want := []store.ProgressChange{
		{At: t3, By: "Dee", Task: "a", From: "todo", To: "todo", Note: "waiting for the token"},
		{At: t3, By: "Dee", Wave: "w1", Population: "x", From: "5", To: "7"},
		{At: t2, By: "Cy", Task: "b", From: "doing", To: "done", Note: "all 40"},
		{At: t2, By: "Bo", Wave: "w1", Population: "y", From: "", To: "0"},
		{At: t1, By: "Ann", Task: "a", From: "", To: "todo"},
		{At: t1, By: "Ann", Task: "b", From: "", To: "doing"},
		{At: t1, By: "Ann", Wave: "w1", Population: "x", From: "", To: "5"},
	}
	for _, limit := range []int{0, -1, 3, len(want), 100} {
		got, err := s.ProgressHistory(ctx, p.ID, limit)
		if err != nil {
			t.Fatal(err)
		}
		n := len(want)
		if limit > 0 && limit < n {
			n = limit
		}
		if len(got) != n {
			t.Errorf("ProgressHistory limit %d: %d rows, want %d: %+v", limit, len(got), n, got)
			continue
		}
		for i := range n {
			g, w := got[i], want[i]
			if !g.At.Equal(w.At) || g.At.Location() != time.UTC || g.By != w.By || g.Task != w.Task || g.Wave != w.Wave ||
				g.Population != w.Population || g.From != w.From || g.To != w.To || g.Note != w.Note {
				t.Errorf("ProgressHistory limit %d [%d] = %+v, want %+v", limit, i, g, w)
			}
		}
	}
}

// testProgressHistoryBounded: only the newest MaxProgressHistory rows stay.
func testProgressHistoryBounded(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	const per = store.MaxProgressPatch
	rounds := store.MaxProgressHistory/per + 1
	for r := range rounds {
		tasks := map[string]store.TaskProgress{}
		for i := range per {
			tasks[fmt.Sprintf("r%d/t%04d", r, i)] = task("done", "")
		}
		patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: int64(r), Tasks: tasks})
	}
	got, err := s.ProgressHistory(ctx, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != store.MaxProgressHistory {
		t.Fatalf("%d history rows after %d changes, want the newest %d", len(got), rounds*per, store.MaxProgressHistory)
	}
	// Newest patch first, each patch's rows in task order; the first
	// patch's rows are gone.
	wantFirst, wantLast := fmt.Sprintf("r%d/t0000", rounds-1), fmt.Sprintf("r%d/t%04d", rounds-store.MaxProgressHistory/per, per-1)
	if first, last := got[0].Task, got[len(got)-1].Task; first != wantFirst || last != wantLast {
		t.Errorf("history runs from %s to %s, want %s to %s", first, last, wantFirst, wantLast)
	}
	if pr := getProgress(t, s, p.ID); len(pr.Tasks) != rounds*per {
		t.Errorf("%d tasks, want %d: trimming the history must keep the progress", len(pr.Tasks), rounds*per)
	}
}

// testProgressBounds: what one patch may hold.
func testProgressBounds(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	base := patch(t, s, store.ProgressPatch{PlanID: p.ID, Tasks: map[string]store.TaskProgress{"a": task("todo", "")}})
	upTo := func(max int) string { return strings.Repeat("é", max) } // 2 bytes, 1 character
	over := func(max int) string { return strings.Repeat("é", max+1) }
	tooMany := map[string]store.TaskProgress{}
	for i := range store.MaxProgressPatch {
		tooMany[fmt.Sprint("t", i)] = task("done", "")
	}
	for what, pp := range map[string]store.ProgressPatch{
		"a note over the limit":    {Tasks: map[string]store.TaskProgress{"a": task("done", over(store.MaxProgressNote))}},
		"a name over the limit":    {By: over(store.MaxProgressBy), Tasks: map[string]store.TaskProgress{"a": task("done", "")}},
		"a task's name over":       {Tasks: map[string]store.TaskProgress{"a": {Status: "done", By: over(store.MaxProgressBy)}}},
		"a status over the limit":  {Tasks: map[string]store.TaskProgress{"a": task(strings.Repeat("d", store.MaxProgressStatusBytes+1), "")}},
		"a task id over the limit": {Tasks: map[string]store.TaskProgress{strings.Repeat("t", store.MaxIDBytes+1): task("done", "")}},
		"a wave id over the limit": {Enrolled: map[string]map[string]int{strings.Repeat("w", store.MaxIDBytes+1): {"x": 1}}},
		"a count over the limit":   {Enrolled: map[string]map[string]int{"w": {"x": store.MaxEnrolledCount + 1}}},
		"too many entries":         {Tasks: tooMany, Enrolled: map[string]map[string]int{"w": {"x": 1}}},
	} {
		pp.PlanID, pp.ExpectedVersion, pp.PlanRevision = p.ID, 1, 1
		_, err := s.PatchProgress(ctx, pp)
		wantErr(t, "PatchProgress with "+what, err, store.ErrTooLarge)
	}
	for what, pp := range map[string]store.ProgressPatch{
		"a negative count":   {Enrolled: map[string]map[string]int{"w": {"x": -1}}},
		"an empty task id":   {Tasks: map[string]store.TaskProgress{"": task("done", "")}},
		"an empty wave id":   {Enrolled: map[string]map[string]int{"": {"x": 1}}},
		"a note not UTF-8":   {Tasks: map[string]store.TaskProgress{"a": task("done", "\xff")}},
		"a name with NUL":    {By: "a\x00b", Tasks: map[string]store.TaskProgress{"a": task("done", "")}},
		"a task id with NUL": {Tasks: map[string]store.TaskProgress{"a\x00": task("done", "")}},
	} {
		pp.PlanID, pp.ExpectedVersion, pp.PlanRevision = p.ID, 1, 1
		if _, err := s.PatchProgress(ctx, pp); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("PatchProgress with %s: %v, want a store error", what, err)
		}
	}
	equalProgress(t, "GetProgress after refused patches", getProgress(t, s, p.ID), base)

	// At the limits it is recorded.
	delete(tooMany, "t0")
	tooMany["a"] = store.TaskProgress{Status: strings.Repeat("d", store.MaxProgressStatusBytes), Note: upTo(store.MaxProgressNote), By: upTo(store.MaxProgressBy)}
	got := patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 1, By: upTo(store.MaxProgressBy), Tasks: tooMany})
	if got.Version != 2 || len(got.Tasks) != store.MaxProgressPatch || got.Tasks["a"].Note != upTo(store.MaxProgressNote) || got.Tasks["a"].By != upTo(store.MaxProgressBy) {
		t.Errorf("a patch at the limits: version %d, %d tasks, note %d characters", got.Version, len(got.Tasks), len([]rune(got.Tasks["a"].Note)))
	}
	patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: 2, Enrolled: map[string]map[string]int{"w": {"x": store.MaxEnrolledCount}}})
}

// testProgressPlanBounds: how many entries one plan may hold; entries
// already recorded can still be changed at the limit.
func testProgressPlanBounds(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := newPlan(t, s)
	v := int64(0)
	for r := range store.MaxProgressTasks / store.MaxProgressPatch {
		tasks := map[string]store.TaskProgress{}
		for i := range store.MaxProgressPatch {
			tasks[fmt.Sprintf("t%d-%d", r, i)] = task("todo", "")
		}
		v = patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: v, Tasks: tasks}).Version
	}
	counts := map[string]int{}
	for i := range store.MaxProgressEnrolled {
		counts[strconv.Itoa(i)] = i
	}
	v = patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: v, Enrolled: map[string]map[string]int{"w": counts}}).Version
	_, err := s.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: v, PlanRevision: 1,
		Tasks: map[string]store.TaskProgress{"t0-0": task("done", ""), "one-more": task("done", "")}})
	wantErr(t, "PatchProgress of a new task past the plan's limit", err, store.ErrTooLarge)
	_, err = s.PatchProgress(ctx, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: v, PlanRevision: 1,
		Enrolled: map[string]map[string]int{"w2": {"0": 1}}})
	wantErr(t, "PatchProgress of a new count past the plan's limit", err, store.ErrTooLarge)
	got := patch(t, s, store.ProgressPatch{PlanID: p.ID, ExpectedVersion: v,
		Tasks: map[string]store.TaskProgress{"t0-0": task("done", "")}, Enrolled: map[string]map[string]int{"w": {"0": 7}}})
	if got.Version != v+1 || len(got.Tasks) != store.MaxProgressTasks || got.Tasks["t0-0"].Status != "done" || got.Enrolled["w"]["0"].Count != 7 {
		t.Errorf("changing entries at the limits: version %d, %d tasks, t0-0 %+v", got.Version, len(got.Tasks), got.Tasks["t0-0"])
	}
}
