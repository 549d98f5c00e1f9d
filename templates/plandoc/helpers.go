package plandoc

import (
	"strings"

	"github.com/enrollplan/enrollplan/internal/plan"
)

func box(done bool) string {
	if done {
		return "☑"
	}
	return "☐"
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func statusClass(pr plan.DocPrereq) string {
	switch {
	case pr.Done:
		return "status-done"
	case pr.Blocks != "":
		return "status-todo"
	}
	return "status-open"
}

// refMeta says where a source lives and how old the page is.
func refMeta(r plan.Reference) string {
	if r.Date == "" {
		return ""
	}
	return "page dated " + plan.LongDate(r.Date)
}

// printedURL shortens a source address for paper: Microsoft Learn pages lose
// their host, which the list names once; other hosts stay in full.
func printedURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "https://learn.microsoft.com/"); ok {
		return rest
	}
	return strings.TrimPrefix(u, "https://")
}

// deviceCount is ", 810 devices", or nothing when the count is not known.
func deviceCount(n int) string {
	if n == 0 {
		return ""
	}
	return ", " + plan.Count(n, "device", "devices")
}

// dueSuffix is "; due 4 Jan 2027" for a checklist line, or nothing.
func dueSuffix(due string) string {
	if due == "" {
		return ""
	}
	return "; " + due
}

// capitalize puts the first letter of a phrase in upper case.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// waveAnchor is the id of a wave's heading on the rollout page.
func waveAnchor(w plan.DocWave) string {
	if w.ID == "" {
		return "w-after-pilot"
	}
	return "w-" + w.ID
}

// waveDate is a wave's date for a table header, or "date not set".
func waveDate(w plan.DocWave) string { return strings.TrimPrefix(w.When, "from ") }

// countOrNone is a device count for a table cell: "–" for none.
func countOrNone(n int) string {
	if n == 0 {
		return "–"
	}
	return plan.Thousands(n)
}

// listSepAfter is what follows item i of n in a list in words: ", ",
// " and " or the final full stop.
func listSepAfter(i, n int) string {
	switch {
	case i == n-1:
		return "."
	case i == n-2:
		return " and "
	}
	return ", "
}

// waveLabel names column i of the rollout's table, for phone widths where
// each cell carries its column's name.
func waveLabel(ws []plan.DocWave, i int) string {
	if i >= len(ws) {
		return ""
	}
	return ws[i].Name
}

// waveLead names a wave with its date and devices: "Wave 1, from 15 Mar
// 2027, 797 devices".
func waveLead(w plan.DocWave) string { return w.Name + ", " + w.When + deviceCount(w.Devices) }

// led puts the wave in front of its own step, which the rollout page lists
// with the others: "Wave 1, from 15 Mar 2027, 797 devices: assign the
// enrollment profiles to the group …".
func led(s plan.DocStep, w plan.DocWave) plan.DocStep {
	if s.Title != "" {
		s.Title = waveLead(w) + ": " + strings.ToLower(s.Title[:1]) + s.Title[1:]
	}
	return s
}

// savedBecause says, under "Revision 3" on the first page, who saved the
// revision and why, as they wrote it: "Saved by Ana: Moved the porters to
// wave 2."
func savedBecause(by, note string) string {
	note = strings.TrimSuffix(note, ".")
	switch {
	case by != "" && note != "":
		return "Saved by " + by + ": " + note + "."
	case by != "":
		return "Saved by " + by + "."
	}
	return "What changed: " + note + "."
}
