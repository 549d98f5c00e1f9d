package web

import (
	"fmt"
	"strings"
	"testing"
)

// TestProgressCountBoundReadsWithSeparators: a count of enrolled devices
// past any fleet is refused with its bound written as people read
// numbers, "2,147,483,647", as every count in the plan is.
func TestProgressCountBoundReadsWithSeparators(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	e := ts.testEnv
	c := e.create(t)
	_, wave, pop := deviceTasks(t, latestTracker(t, e, c.ID))
	r := e.patchProgress(t, c.ID, c.EditKey, `"p0"`, fmt.Sprintf(`{"enrolled":{%q:{%q:3000000000}}}`, wave, pop))
	if r.status != 422 || !strings.Contains(r.body, "at most 2,147,483,647") {
		t.Fatalf("a count past any fleet: %d %s", r.status, r.body)
	}
}
