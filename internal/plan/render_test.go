package plan

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"maps"
	"regexp"
	"slices"
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
	// CONTRACT §2's eight columns first, then §8.1's four.
	if !strings.HasPrefix(buf.String(), "phase,population,actor,task,source,status,wave,start,due,devices,owner,id\r\n") {
		t.Fatalf("header/line ending wrong: %q", buf.String()[:80])
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
	if regexp.MustCompile(`[^\\]<script`).MatchString(md) || regexp.MustCompile(`[^\\]\]\(javascript:`).MatchString(md) {
		t.Fatalf("planner text became markup:\n%s", md)
	}
	if !strings.Contains(md, "- [ ] ") {
		t.Fatal("no task checklist")
	}
}

// TestCSVRunsTheRollout: a reader of the CSV alone can run the rollout: a
// row per task; each device row carries its wave, the wave's date, the
// devices it concerns, who does it and its task id; set-up rows carry no
// wave.
func TestCSVRunsTheRollout(t *testing.T) {
	c := testCatalog(t)
	a := answersFor(fullTenant(), false,
		Population{ID: "sales-iphones", Name: "Sales iPhones", Platform: "ios", Ownership: OwnCorporate, Devices: 250, InUse: yes(), ManagedBy: ManagedOtherMDM})
	a.Rollout = Rollout{PilotStart: "2027-03-01", Waves: []Wave{
		{Name: "Wave 1", Group: "Sales east", Start: "2027-03-15", Devices: map[string]int{"sales-iphones": 120}},
		{Name: "Wave 2", Group: "Sales west", Start: "2027-04-05", Devices: map[string]int{"sales-iphones": 120}}}}
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, p); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	unenroll := map[string]string{} // wave → "start devices"
	for i, r := range rows[1:] {
		tk := p.Tasks[i]
		if r[col["id"]] != tk.ID || r[col["owner"]] == "" {
			t.Fatalf("row %d: id %q owner %q, task %s", i, r[col["id"]], r[col["owner"]], tk.ID)
		}
		if r[col["phase"]] == "Prepare" {
			if r[col["wave"]]+r[col["start"]]+r[col["devices"]] != "" {
				t.Errorf("set-up row %s has wave %q start %q devices %q", tk.ID, r[col["wave"]], r[col["start"]], r[col["devices"]])
			}
			continue
		}
		if r[col["wave"]] == "" || r[col["start"]] == "" || r[col["devices"]] == "" {
			t.Errorf("row %s lacks its wave, date or devices: %q", tk.ID, r)
		}
		if strings.HasSuffix(tk.ID, "/unenroll.unenroll-apple") {
			unenroll[r[col["wave"]]] = r[col["start"]] + " " + r[col["devices"]]
		}
	}
	want := map[string]string{"Pilot": "2027-03-01 10", "Wave 1": "2027-03-15 120", "Wave 2": "2027-04-05 120"}
	if !maps.Equal(unenroll, want) {
		t.Errorf("the devices told to leave the old MDM, per wave: %v, want %v", unenroll, want)
	}
}

// TestDocumentListsWavesOnce: the Markdown prints a group's steps once, in
// its section, however many waves enroll it; each wave lists its groups
// with their devices; the checklist ticks a group's line in a wave once all
// its tasks there are recorded done.
func TestDocumentListsWavesOnce(t *testing.T) {
	c := testCatalog(t)
	a, err := c.DecodeAnswers(readExample(t, "hospital-rollout"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, p); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	// "Unenroll the devices from the current MDM": the clinician iPhones do it
	// in the pilot and three waves, and the document says it once.
	if n := strings.Count(md, "**Unenroll from the current MDM the devices Apple's migration doesn't move.**"); n != 1 {
		t.Errorf("the unenroll step is printed %d times, want once", n)
	}
	for _, row := range []string{"| Clinician iPhones | 10 |", "| Clinician iPhones | 80 |", "| Nursing station PCs | 300 |", "| Doctors' laptops | 410 |"} {
		if !strings.Contains(md, row) {
			t.Errorf("no row %q in the waves' tables", row)
		}
	}
	if n := strings.Count(md, "| Nursing station PCs | 300 |"); n != 2 {
		t.Errorf("the nursing PCs are in %d waves' tables, want 2 (300 each)", n)
	}

	// Progress: every task of the iPhones' pilot sequence done, one of wave 1's.
	var pilot, wave1 []string
	for _, e := range p.Schedule {
		if e.Population == "clinician-iphones" && e.WaveID == PilotWaveID {
			pilot = e.Tasks
		}
		if e.Population == "clinician-iphones" && e.WaveID == "wave-1" {
			wave1 = e.Tasks
		}
	}
	for i, tk := range p.Tasks {
		if slices.Contains(pilot, tk.ID) || tk.ID == wave1[0] {
			p.Tasks[i].Done, p.Tasks[i].Status = true, StatusDone
		}
	}
	buf.Reset()
	if err := WriteMarkdown(&buf, p); err != nil {
		t.Fatal(err)
	}
	md = buf.String()
	if !strings.Contains(md, "- [x] Clinician iPhones, 10 devices:") {
		t.Error("the pilot's iPhones are done, but their checklist line is not ticked")
	}
	if want := fmt.Sprintf("- [ ] Clinician iPhones, 80 devices: the steps of its section (leave the current MDM, factory reset, enroll, check) (IT and users; 1 of %d tasks done)", len(wave1)); !strings.Contains(md, want) {
		t.Errorf("no line %q", want)
	}
}

// TestMarkdownKeepsPathsPlain: "Devices > Enrollment" reads as typed in the
// Markdown (a ">" inside a line opens nothing), while a ">" that would
// start a quote, after up to three spaces, is still escaped.
func TestMarkdownKeepsPathsPlain(t *testing.T) {
	for in, want := range map[string]string{
		"Devices > Enrollment > Android": "Devices > Enrollment > Android",
		"> quoted":                       `\> quoted`,
		"   > quoted":                    `   \> quoted`,
		"a <b> c":                        `a \<b> c`,
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdownSourceMarkersAreOneGroup: in the Markdown, a sentence citing
// several sources ends " [1, 2, 3, 4]" once rendered, each number a link to
// its page, never "[1] [2]" or digits run together; the number is the
// source's place in the list at the end.
func TestMarkdownSourceMarkersAreOneGroup(t *testing.T) {
	c := testCatalog(t)
	a, err := c.DecodeAnswers(readExample(t, "northwind"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, p); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if strings.Contains(md, "]](") || strings.Contains(md, ")] [[") {
		t.Error("source markers stand apart, one bracket each, instead of one group")
	}
	listed := map[string]string{} // number → address, from the list of sources
	for _, m := range regexp.MustCompile(`(?m)^(\d+)\. \[[^\]]*\]\(([^)]+)\)`).FindAllStringSubmatch(md, -1) {
		listed[m[1]] = m[2]
	}
	link := regexp.MustCompile(`\[(\d+)\]\(([^)]+)\)`)
	groups := regexp.MustCompile(` \[(\[\d+\]\([^)]+\)(?:, \[\d+\]\([^)]+\))*)\]`).FindAllStringSubmatch(md, -1)
	several := 0
	for _, g := range groups {
		links := link.FindAllStringSubmatch(g[1], -1)
		for _, l := range links {
			if listed[l[1]] != l[2] {
				t.Errorf("source [%s] links to %s; the list of sources gives it %s", l[1], l[2], listed[l[1]])
			}
		}
		if len(links) > 1 {
			several++
		}
	}
	if len(groups) == 0 || several == 0 {
		t.Fatalf("no group of several sources found (%d groups)", len(groups))
	}
	d := NewDocument(p)
	if want := fmt.Sprintf(" [[1](%s), [2](%s), [3](%s), [4](%s)]", d.Refs[0].URL, d.Refs[1].URL, d.Refs[2].URL, d.Refs[3].URL); !strings.Contains(md, want) {
		t.Errorf("the first prerequisite's sources do not read %q", want)
	}
}

// TestMarkdownNamesItsRevision: a saved revision's Markdown says under its
// title which revision it is, when it was saved, by whom and why; the
// planner's words stay text (no link, tag, emphasis or heading opens), and
// a plan that is no saved revision has no such line.
func TestMarkdownNamesItsRevision(t *testing.T) {
	c := testCatalog(t)
	a, err := c.DecodeAnswers(readExample(t, "mixed-fleet"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rev := DocRevision{Number: 3, SavedAt: "8 Dec 2026 15:04 UTC", By: "Ana *admin*", Note: "# Moved [porters](javascript:x) <b>now</b>."}
	if err := WriteMarkdownRevision(&buf, p, rev); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	want := `Revision 3, saved 8 Dec 2026 15:04 UTC by Ana \*admin\*: # Moved \[porters\](javascript:x) \<b>now\</b>.`
	if len(lines) < 3 || lines[2] != want {
		t.Errorf("line 3 reads %q, want %q", lines[min(2, len(lines)-1)], want)
	}
	buf.Reset()
	if err := WriteMarkdown(&buf, p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Revision ") {
		t.Error("a plan that is no saved revision names a revision")
	}
}
