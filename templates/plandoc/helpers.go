package plandoc

import (
	"fmt"
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

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%s %s", thousands(n), many)
}

// thousands writes 1490 as "1,490".
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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
	return ", " + plural(n, "device", "devices")
}
