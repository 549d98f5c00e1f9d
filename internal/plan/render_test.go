package plan

import (
	"bytes"
	"encoding/csv"
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
	if !strings.HasPrefix(buf.String(), "phase,population,actor,task,source\r\n") {
		t.Fatalf("header/line ending wrong: %q", buf.String()[:60])
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("not parseable CSV: %v", err)
	}
	if len(rows)-1 != len(p.Tasks) {
		t.Fatalf("%d rows for %d tasks", len(rows)-1, len(p.Tasks))
	}
	for _, r := range rows[1:] {
		if r[1] != "All" && !strings.HasPrefix(r[1], "'=") {
			t.Fatalf("population cell not neutralised: %q", r[1])
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
	if strings.Contains(md, "<script>") || strings.Contains(md, "](javascript:") {
		t.Fatalf("planner text became markup:\n%s", md)
	}
	if !strings.Contains(md, "- [ ] ") {
		t.Fatal("no task checklist")
	}
}
