package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// encodingJSON is what the progress answer was before appendProgressJSON:
// encoding/json over progressDoc of the filtered progress.
func encodingJSON(t *testing.T, ps progressState) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(progressDoc(ps.filtered())); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestProgressJSONAsEncodingJSON holds that the hand-written progress
// answer is byte for byte what encoding/json wrote: the same key order,
// the same escapes of awkward text, the same filtering to the revision's
// tasks and counted populations.
func TestProgressJSONAsEncodingJSON(t *testing.T) {
	tr := &tracker{
		Tasks: map[string]*trackTask{},
		Waves: []*trackWave{
			{ID: ""},
			{ID: "pilot", Sections: []*trackSection{{Population: "phones", Counted: true}, {Population: "laptops"}}},
			{ID: "wave-1", Sections: []*trackSection{{Population: ""}, {Population: "laptops", Counted: true}, {Population: "kiosks", Counted: true}}},
		},
	}
	awkward := []string{
		"", "plain", `quote " and back\slash`, "line\nbreak\r\ttab", "\b\f\x01\x1f\x7f",
		"<b>&amp;</b>", "é ✓ 😀", "bad \xff utf-8 \xc3", "sep \u2028 and \u2029", "\u2027\u202a",
	}
	at := time.Date(2026, 12, 8, 9, 30, 15, 123456000, time.FixedZone("CET", 3600))
	p := store.Progress{PlanID: "x", PlanRevision: 3, Version: 41, Updated: at, Tasks: map[string]store.TaskProgress{}, Enrolled: map[string]map[string]store.EnrolledCount{}}
	for i, s := range awkward {
		id := "task-" + string(rune('a'+i)) + s
		tr.Tasks[id] = &trackTask{ID: id}
		p.Tasks[id] = store.TaskProgress{Status: "done", Note: s, By: s, Updated: at.Add(time.Duration(i) * time.Hour), Version: int64(i)}
	}
	p.Tasks["not-in-this-revision"] = store.TaskProgress{Status: "done"}
	p.Tasks["set-up/never-updated"] = store.TaskProgress{Status: "todo"}
	tr.Tasks["set-up/never-updated"] = &trackTask{ID: "set-up/never-updated"}
	for i := range 20 { // tasks nothing is recorded for
		id := fmt.Sprint("w/wave-1/laptops/task-", i)
		tr.Tasks[id] = &trackTask{ID: id}
	}
	tr.IDs = slices.Sorted(maps.Keys(tr.Tasks))
	p.Enrolled["pilot"] = map[string]store.EnrolledCount{"phones": {Count: 5}, "laptops": {Count: 7}}
	p.Enrolled["wave-1"] = map[string]store.EnrolledCount{"kiosks": {Count: 0}, "laptops": {Count: 1<<31 - 1}, "gone": {Count: 2}}
	p.Enrolled["wave-9"] = map[string]store.EnrolledCount{"phones": {Count: 1}}
	p.Enrolled["set-up"] = map[string]store.EnrolledCount{"": {Count: 1}}

	// Few recorded: appendProgressJSON sorts them instead of walking the
	// revision's tasks.
	few := p
	few.Tasks = map[string]store.TaskProgress{"not-in-this-revision": {Status: "done"}, "set-up/never-updated": {Status: "todo"}}
	for name, ps := range map[string]progressState{
		"awkward":           {t: tr, p: p},
		"few recorded":      {t: tr, p: few},
		"nothing recorded":  {t: tr, p: store.Progress{PlanID: "x", Tasks: map[string]store.TaskProgress{}, Enrolled: map[string]map[string]store.EnrolledCount{}}},
		"nothing it counts": {t: &tracker{Tasks: map[string]*trackTask{}}, p: p},
	} {
		got, want := appendProgressJSON(nil, ps), encodingJSON(t, ps)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
