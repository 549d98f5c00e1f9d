// Package progress is the logic of store.Store's PatchProgress shared by
// sqlcore (both SQL drivers) and memstore: checking a patch, and applying it
// to the current progress under the concurrency rule of the store package.
// It does no I/O; the stores read the current progress and write the result
// inside one transaction (or under one lock).
package progress

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/internal/valid"
)

// Key names one enrolled count.
type Key struct{ Wave, Population string }

// Entries counts the entries of a patch, tasks and counts together.
func Entries(p store.ProgressPatch) int {
	n := len(p.Tasks)
	for _, pops := range p.Enrolled {
		n += len(pops)
	}
	return n
}

// Check applies the bounds that need no stored data: sizes of the patch
// and of its text, ids, counts. Run it before any I/O.
func Check(p store.ProgressPatch) error {
	if n := Entries(p); n > store.MaxProgressPatch {
		return fmt.Errorf("patch has %d entries, more than %d: %w", n, store.MaxProgressPatch, store.ErrTooLarge)
	}
	if err := checkBy("by", p.By); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(p.Tasks)) {
		t := p.Tasks[id]
		if err := checkID("task id", id); err != nil {
			return err
		}
		switch {
		case len(t.Status) > store.MaxProgressStatusBytes:
			return fmt.Errorf("status of task %q is %d bytes, more than %d: %w", id, len(t.Status), store.MaxProgressStatusBytes, store.ErrTooLarge)
		case !valid.Text(t.Status):
			return fmt.Errorf("status of task %q is not UTF-8 text without NUL", id)
		case !valid.Text(t.Note):
			return fmt.Errorf("note of task %q is not UTF-8 text without NUL", id)
		}
		if n := utf8.RuneCountInString(t.Note); n > store.MaxProgressNote {
			return fmt.Errorf("note of task %q is %d characters, more than %d: %w", id, n, store.MaxProgressNote, store.ErrTooLarge)
		}
		if err := checkBy(fmt.Sprintf("by of task %q", id), t.By); err != nil {
			return err
		}
	}
	for _, k := range enrolledKeys(p.Enrolled) {
		if err := checkID("wave id", k.Wave); err != nil {
			return err
		}
		if err := checkID("population id", k.Population); err != nil {
			return err
		}
		switch n := p.Enrolled[k.Wave][k.Population]; {
		case n < 0:
			return fmt.Errorf("enrolled count of %q in wave %q is negative (%d)", k.Population, k.Wave, n)
		case n > store.MaxEnrolledCount:
			return fmt.Errorf("enrolled count of %q in wave %q is %d, more than %d: %w", k.Population, k.Wave, n, store.MaxEnrolledCount, store.ErrTooLarge)
		}
	}
	return nil
}

func checkID(what, id string) error {
	if err := valid.CheckID(id); err != nil {
		return fmt.Errorf("%s %.40q: %w", what, id, err)
	}
	return nil
}

func checkBy(what, by string) error {
	if !valid.Text(by) {
		return fmt.Errorf("%s is not UTF-8 text without NUL", what)
	}
	if n := utf8.RuneCountInString(by); n > store.MaxProgressBy {
		return fmt.Errorf("%s is %d characters, more than %d: %w", what, n, store.MaxProgressBy, store.ErrTooLarge)
	}
	return nil
}

// enrolledKeys lists the keys of m in wave, then population order.
func enrolledKeys[V any](m map[string]map[string]V) []Key {
	var keys []Key
	for w, pops := range m {
		for pop := range pops {
			keys = append(keys, Key{w, pop})
		}
	}
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Wave, b.Wave), cmp.Compare(a.Population, b.Population))
	})
	return keys
}

// Empty returns the progress of a plan nothing was recorded for.
func Empty(planID string) store.Progress {
	return store.Progress{PlanID: planID, Tasks: map[string]store.TaskProgress{}, Enrolled: map[string]map[string]store.EnrolledCount{}}
}

// Result is a patch applied.
type Result struct {
	// Next is the whole progress after the patch: a copy, cur is unchanged.
	Next store.Progress
	// Tasks and Enrolled name the entries the patch recorded, in order;
	// their new state is in Next. Both are empty when the patch had no
	// entries: then nothing is to be written.
	Tasks    []string
	Enrolled []Key
	// Changes are the history rows to add, in the order ProgressHistory
	// lists one patch's rows (it lists patches newest first).
	Changes []store.ProgressChange
}

// Apply applies p (already Checked) to cur, the plan's current progress,
// whose latest revision is latest. at is the time of the change. It returns
// ErrConflict or ErrTooLarge as PatchProgress documents.
func Apply(cur store.Progress, p store.ProgressPatch, latest int, at time.Time) (Result, error) {
	if p.ExpectedVersion < 0 || p.ExpectedVersion > cur.Version {
		return Result{}, fmt.Errorf("progress is at version %d, not %d: %w", cur.Version, p.ExpectedVersion, store.ErrConflict)
	}
	if p.PlanRevision < 1 || p.PlanRevision > latest {
		return Result{}, fmt.Errorf("plan revision %d is not one of the plan's %d: %w", p.PlanRevision, latest, store.ErrConflict)
	}
	tasks := slices.Sorted(maps.Keys(p.Tasks))
	enrolled := enrolledKeys(p.Enrolled)
	if len(tasks)+len(enrolled) == 0 {
		return Result{Next: cur}, nil
	}

	newTasks, newCounts, counts := 0, 0, 0
	for _, id := range tasks {
		old, ok := cur.Tasks[id]
		if ok && old.Version > p.ExpectedVersion {
			return Result{}, fmt.Errorf("task %q was recorded at version %d, after %d: %w", id, old.Version, p.ExpectedVersion, store.ErrConflict)
		}
		if !ok {
			newTasks++
		}
	}
	for _, k := range enrolled {
		old, ok := cur.Enrolled[k.Wave][k.Population]
		if ok && old.Version > p.ExpectedVersion {
			return Result{}, fmt.Errorf("enrolled count of %q in wave %q was recorded at version %d, after %d: %w",
				k.Population, k.Wave, old.Version, p.ExpectedVersion, store.ErrConflict)
		}
		if !ok {
			newCounts++
		}
	}
	for _, pops := range cur.Enrolled {
		counts += len(pops)
	}
	if n := len(cur.Tasks) + newTasks; n > store.MaxProgressTasks {
		return Result{}, fmt.Errorf("progress would hold %d tasks, more than %d: %w", n, store.MaxProgressTasks, store.ErrTooLarge)
	}
	if n := counts + newCounts; n > store.MaxProgressEnrolled {
		return Result{}, fmt.Errorf("progress would hold %d enrolled counts, more than %d: %w", n, store.MaxProgressEnrolled, store.ErrTooLarge)
	}

	v := cur.Version + 1
	next := store.Progress{
		PlanID: cur.PlanID, PlanRevision: p.PlanRevision, Version: v, Updated: at,
		Tasks: maps.Clone(cur.Tasks), Enrolled: make(map[string]map[string]store.EnrolledCount, len(cur.Enrolled)),
	}
	if next.Tasks == nil {
		next.Tasks = map[string]store.TaskProgress{}
	}
	for w, pops := range cur.Enrolled {
		next.Enrolled[w] = pops // replaced by a copy below where the patch writes
	}
	var changes []store.ProgressChange
	for _, id := range tasks {
		t := p.Tasks[id]
		by := cmp.Or(t.By, p.By)
		old, ok := cur.Tasks[id]
		next.Tasks[id] = store.TaskProgress{Status: t.Status, Note: t.Note, By: by, Updated: at, Version: v}
		if !ok || old.Status != t.Status || old.Note != t.Note {
			changes = append(changes, store.ProgressChange{At: at, By: by, Task: id, From: old.Status, To: t.Status, Note: t.Note})
		}
	}
	copied := map[string]bool{}
	for _, k := range enrolled {
		n := p.Enrolled[k.Wave][k.Population]
		if !copied[k.Wave] {
			next.Enrolled[k.Wave] = maps.Clone(cur.Enrolled[k.Wave])
			if next.Enrolled[k.Wave] == nil {
				next.Enrolled[k.Wave] = map[string]store.EnrolledCount{}
			}
			copied[k.Wave] = true
		}
		old, ok := cur.Enrolled[k.Wave][k.Population]
		next.Enrolled[k.Wave][k.Population] = store.EnrolledCount{Count: n, Updated: at, By: p.By, Version: v}
		if !ok || old.Count != n {
			from := ""
			if ok {
				from = strconv.Itoa(old.Count)
			}
			changes = append(changes, store.ProgressChange{At: at, By: p.By, Wave: k.Wave, Population: k.Population, From: from, To: strconv.Itoa(n)})
		}
	}
	return Result{Next: next, Tasks: tasks, Enrolled: enrolled, Changes: changes}, nil
}
