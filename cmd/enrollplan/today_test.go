package main

import (
	"strings"
	"testing"
)

// TestPlanToday: `plan --today` sets the date the critical path is judged
// on (three days before the Northwind pilot, the move from the old MDM no
// longer fits); a date that is not YYYY-MM-DD is bad input.
func TestPlanToday(t *testing.T) {
	code, out, errs := cli(t, "", nil, "plan", "--answers", "../../examples/northwind.json", "--format", "json", "--today", "2027-01-08")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{`"as_of": "2027-01-08"`, `"prerequisite": "unenroll-existing-mdm"`, "Too late for the pilot on 11 Jan 2027"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan lacks %s", want)
		}
	}
	code, out, _ = cli(t, "", fixedDate, "plan", "--answers", "../../examples/northwind.json", "--format", "json")
	if code != 0 || !strings.Contains(out, `"as_of": "2026-11-24"`) {
		t.Errorf("without --today the plan is made on the machine's date (here SOURCE_DATE_EPOCH): exit %d", code)
	}
	code, _, errs = cli(t, "", nil, "plan", "--answers", "../../examples/northwind.json", "--today", "8/1/2027")
	if code != 2 || !strings.Contains(errs, `--today "8/1/2027" is not a date`) {
		t.Errorf("exit %d, stderr %q; want 2 naming the date", code, errs)
	}
}
