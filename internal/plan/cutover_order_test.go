package plan

import (
	"strings"
	"testing"
)

// TestCutOverBeforeAppleMove: in every wave of a group that leaves another
// MDM through Apple Business, app protection, one MDM controlling access
// and Conditional Access for the gap come before the devices are moved
// (setup-migration 2025-12-15: protect first, then move).
func TestCutOverBeforeAppleMove(t *testing.T) {
	c := testCatalog(t)
	a, err := c.DecodeAnswers(readExample(t, "hospital-rollout"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.BuildWith(a, BuildOptions{Today: "2026-11-24"})
	if err != nil {
		t.Fatal(err)
	}
	waves := 0
	pos := map[string]map[string]int{} // wave → rule → index
	for i, task := range p.Tasks {
		if task.Wave == "" || !strings.Contains(task.ID, "/clinician-iphones/") {
			continue
		}
		rule := task.ID[strings.LastIndex(task.ID, "/")+1:]
		if pos[task.Wave] == nil {
			pos[task.Wave] = map[string]int{}
			waves++
		}
		pos[task.Wave][rule] = i
	}
	if waves < 2 {
		t.Fatalf("the clinicians' iPhones are in %d waves, want the pilot and waves", waves)
	}
	for wave, at := range pos {
		move, ok := at["ade.leave-old-mdm"]
		if !ok {
			t.Fatalf("%s: no move in Apple Business", wave)
		}
		for _, first := range []string{"unenroll.protect-first", "unenroll.one-mdm-access", "unenroll.access-gap"} {
			if i, ok := at[first]; !ok || i > move {
				t.Errorf("%s: %s (at %d) must come before the Apple Business move (at %d)", wave, first, i, move)
			}
		}
	}
}
