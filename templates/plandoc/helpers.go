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

// plural and thousands are the templates' short names for the words every
// renderer shares (plan.Count, plan.Thousands).
func plural(n int, one, many string) string { return plan.Count(n, one, many) }

func thousands(n int) string { return plan.Thousands(n) }

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
