package plan

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
)

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1":                "'+1",
		"-2+3":              "'-2+3",
		"@SUM(A1)":          "'@SUM(A1)",
		"\tcmd":             "'\tcmd",
		"Enroll devices":    "Enroll devices",
		"":                  "",
	} {
		if got := CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCSVIsRFC4180 checks a hostile population name survives as data: quoted,
// neutralised, and one row per task under the contract's header.
func TestCSVIsRFC4180(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false, Population{Name: "=cmd|' /C calc'!A0, \"quoted\"", Platform: "linux", Ownership: OwnCorporate, Devices: 1})
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "phase,population,actor,task,source,status,wave,start\r\n") {
		t.Fatalf("header/line ending wrong: %q", buf.String()[:60])
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("not parseable CSV: %v", err)
	}
	if len(rows)-1 != len(p.Tasks) {
		t.Fatalf("%d rows for %d tasks", len(rows)-1, len(p.Tasks))
	}
	for i, r := range rows[1:] {
		if !strings.HasPrefix(r[1], "'=") {
			t.Fatalf("population cell not neutralised: %q", r[1])
		}
		// CONTRACT §2: a prerequisite already done is "done", not a task to do.
		if want := p.Tasks[i].Status; r[5] != want || (p.Tasks[i].ID == "prereq.mdm-authority" && want != StatusDone) {
			t.Fatalf("row %d status %q, task status %q", i, r[5], want)
		}
	}
}

func TestMarkdownEscapesPlannerText(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false, Population{Name: "Lab | <script>alert(1)</script> [x](javascript:1)", Platform: "linux", Ownership: OwnCorporate, Devices: 1})
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, p); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	// CommonMark: an escaped bracket or angle bracket starts no link or tag.
	if strings.Contains(md, "<script>") || regexp.MustCompile(`[^\\]\]\(javascript:`).MatchString(md) {
		t.Fatalf("planner text became markup:\n%s", md)
	}
	if !strings.Contains(md, "- [ ] ") {
		t.Fatal("no task checklist")
	}
}
