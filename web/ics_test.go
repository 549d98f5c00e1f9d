package web

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// icsEvent is one VEVENT as read back: its properties (name with its
// parameters → unescaped value).
type icsEvent map[string]string

// checkICS reads an iCalendar document the strict way RFC 5545 writes it:
// CRLF line ends and nothing else, no line over 75 octets, no UTF-8
// sequence split by a fold, BEGIN and END balanced, the calendar's VERSION
// and PRODID, and each event's UID (unique), DTSTAMP and all-day DTSTART
// and DTEND. It returns the calendar's properties and the events.
func checkICS(t *testing.T, body string) (map[string]string, []icsEvent) {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n") {
		t.Fatal("the calendar does not end with CRLF")
	}
	physical := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
	var lines []string
	for i, l := range physical {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets long: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if len(lines) == 0 {
				t.Fatal("the calendar starts with a continuation line")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	unescape := strings.NewReplacer(`\\`, `\`, `\;`, `;`, `\,`, `,`, `\n`, "\n", `\N`, "\n")
	cal := map[string]string{}
	var events []icsEvent
	var stack []string
	var cur icsEvent
	uids := map[string]bool{}
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("not a content line: %q", l)
		}
		switch name {
		case "BEGIN":
			stack = append(stack, value)
			if value == "VEVENT" {
				cur = icsEvent{}
			}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				t.Fatalf("END:%s does not close %v", value, stack)
			}
			stack = stack[:len(stack)-1]
			if value == "VEVENT" {
				events = append(events, cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			if _, dup := cur[name]; dup {
				t.Errorf("an event has %s twice", name)
			}
			cur[name] = unescape.Replace(value)
		} else {
			cal[name] = unescape.Replace(value)
		}
	}
	if len(stack) != 0 || lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatalf("unbalanced calendar: %v", stack)
	}
	if cal["VERSION"] != "2.0" || cal["PRODID"] == "" {
		t.Errorf("calendar properties: %v", cal)
	}
	for _, e := range events {
		for _, p := range []string{"UID", "DTSTAMP", "DTSTART;VALUE=DATE", "DTEND;VALUE=DATE", "SUMMARY"} {
			if e[p] == "" {
				t.Errorf("event %q lacks %s", e["UID"], p)
			}
		}
		if !regexp.MustCompile(`^\d{8}T\d{6}Z$`).MatchString(e["DTSTAMP"]) {
			t.Errorf("DTSTAMP %q", e["DTSTAMP"])
		}
		start, err1 := time.Parse("20060102", e["DTSTART;VALUE=DATE"])
		end, err2 := time.Parse("20060102", e["DTEND;VALUE=DATE"])
		if err1 != nil || err2 != nil || !end.Equal(start.AddDate(0, 0, 1)) {
			t.Errorf("event %q is not one whole day: %q to %q", e["UID"], e["DTSTART;VALUE=DATE"], e["DTEND;VALUE=DATE"])
		}
		if uids[e["UID"]] {
			t.Errorf("UID %q twice", e["UID"])
		}
		uids[e["UID"]] = true
	}
	return cal, events
}

// TestCalendarText: text is escaped and folded so that it reads back
// whole, whatever it holds: commas, semicolons, backslashes, line breaks
// and multi-byte letters at the fold.
func TestCalendarText(t *testing.T) {
	long := strings.Repeat("Nürnberg, Köln; Zürich \\ ", 12) + "\nnext line\r\nand the last"
	events := []calEvent{
		{uid: "wave-pilot@X.enrollplan", date: "2027-01-04", summary: long, description: "a\tb"},
		{uid: "action-prereq.apple-id@X.enrollplan", date: "2026-12-28", summary: strings.Repeat("€", 60)},
	}
	body := string(calendarBytes("Intune rollout · Ünïcode, Ltd; \"quoted\"", time.Date(2026, 12, 7, 10, 30, 5, 0, time.UTC), 2, events))
	cal, got := checkICS(t, body)
	if cal["X-WR-CALNAME"] != `Intune rollout · Ünïcode, Ltd; "quoted"` {
		t.Errorf("calendar name: %q", cal["X-WR-CALNAME"])
	}
	if len(got) != 2 || got[0]["SUMMARY"] != strings.ReplaceAll(long, "\r\n", "\n") || got[1]["SUMMARY"] != strings.Repeat("€", 60) {
		t.Fatalf("text does not read back: %q", got[0]["SUMMARY"])
	}
	if got[0]["DTSTAMP"] != "20261207T103005Z" || got[0]["DTSTART;VALUE=DATE"] != "20270104" || got[0]["DTEND;VALUE=DATE"] != "20270105" || got[0]["SEQUENCE"] != "2" {
		t.Errorf("dates: %v", got[0])
	}
	if got[0]["DESCRIPTION"] != "a\tb" {
		t.Errorf("a tab is kept: %q", got[0]["DESCRIPTION"])
	}
	if strings.Contains(body, "\n ") && !strings.Contains(body, "\r\n ") {
		t.Error("a fold without CRLF")
	}
}

// icalendarPython finds a Python that has the icalendar package (Debian:
// python3-icalendar), or "".
func icalendarPython() string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import icalendar").Run() == nil {
			return p
		}
	}
	return ""
}

// parseWithPython reads a calendar with the icalendar package: every
// event's UID, start date and summary.
func parseWithPython(t *testing.T, py, body string) []map[string]string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "plan.ics")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(open(sys.argv[1], "rb").read())
out = []
for ev in cal.walk("VEVENT"):
    out.append({"uid": str(ev["UID"]), "start": ev.decoded("DTSTART").isoformat(), "end": ev.decoded("DTEND").isoformat(), "summary": str(ev["SUMMARY"])})
print(json.dumps(out))
`
	out, err := exec.Command(py, "-c", script, f).CombinedOutput()
	if err != nil {
		t.Fatalf("icalendar could not read the calendar: %v\n%s", err, out)
	}
	var events []map[string]string
	if err := json.Unmarshal(out, &events); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return events
}

// calendarAnswers is the mixed-fleet example with a pilot date and an
// ADE token that expires before the last wave.
func calendarAnswers(t *testing.T, org string) string {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal([]byte(exampleAnswers(t)), &a); err != nil {
		t.Fatal(err)
	}
	a["organization"] = org
	a["rollout"].(map[string]any)["pilot_start"] = "2026-12-14"
	a["tenant"].(map[string]any)["expiries"] = []any{map[string]any{"what": "ade-token", "name": "Contoso ABM", "expires": "2027-02-15"}}
	b, _ := json.Marshal(a)
	return string(b)
}

// TestCalendarOfSharedPlan: /p/{id}.ics is a calendar a real parser
// reads, with an all-day event for the pilot, each dated wave, each first
// action with a due date and each mark of the timeline, each under a
// stable UID: the same in two renders and in the next revision.
func TestCalendarOfSharedPlan(t *testing.T) {
	e := newTestServer(t, func(o *Options) { o.RenderCacheBytes = -1 }, nil).testEnv // every request renders
	r := e.do(t, "POST", "/api/v1/plans", calendarAnswers(t, "Contoso, Ltd; Nürnberg"))
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil || r.status != 201 {
		t.Fatalf("create: %d %v", r.status, err)
	}
	tr := latestTracker(t, e, c.ID)
	want := map[string]string{} // UID → date
	for _, w := range tr.Waves {
		if w.ID != "" && w.Start != "" {
			want[calendarUID(c.ID, "wave", w.ID)] = strings.ReplaceAll(w.Start, "-", "")
		}
	}
	for _, a := range tr.Actions {
		want[calendarUID(c.ID, "action", a.ID)] = strings.ReplaceAll(a.Date, "-", "")
	}
	for _, m := range tr.Marks {
		want[calendarUID(c.ID, "mark", m.ID)] = strings.ReplaceAll(m.Date, "-", "")
	}
	if _, ok := want[calendarUID(c.ID, "wave", "pilot")]; !ok || len(want) < 4 || len(tr.Actions) == 0 || len(tr.Marks) == 0 {
		t.Fatalf("the example should date the pilot, three waves, first actions and the token's expiry: %v", want)
	}
	if want[calendarUID(c.ID, "mark", tr.Marks[0].ID)] != "20270215" {
		t.Fatalf("the token's expiry: %v", tr.Marks)
	}

	r = e.do(t, "GET", "/p/"+c.ID+".ics", "")
	if r.status != 200 || r.header.Get("Content-Type") != "text/calendar; charset=utf-8" || r.header.Get("X-Robots-Tag") == "" {
		t.Fatalf("calendar: %d %v", r.status, r.header)
	}
	cal, events := checkICS(t, r.body)
	if !strings.Contains(cal["X-WR-CALNAME"], "Contoso, Ltd; Nürnberg") {
		t.Errorf("calendar name %q", cal["X-WR-CALNAME"])
	}
	got := map[string]string{}
	for _, ev := range events {
		got[ev["UID"]] = ev["DTSTART;VALUE=DATE"]
	}
	if len(got) != len(want) {
		t.Errorf("%d events, want %d: %v", len(got), len(want), got)
	}
	for uid, date := range want {
		if got[uid] != date {
			t.Errorf("event %s on %q, want %s", uid, got[uid], date)
		}
	}
	if again := e.do(t, "GET", "/p/"+c.ID+".ics", ""); again.body != r.body {
		t.Error("two renders of one revision differ")
	}

	t.Run("real parser", func(t *testing.T) {
		py := icalendarPython()
		if py == "" && os.Getenv("ENROLLPLAN_E2E") == "1" {
			t.Fatal("ENROLLPLAN_E2E=1 but no Python with the icalendar package (apt-get install python3-icalendar)")
		}
		if py == "" {
			t.Skip("SKIPPED: no Python with the icalendar package (apt-get install python3-icalendar); the Go-side checks above still ran")
		}
		parsed := parseWithPython(t, py, r.body)
		if len(parsed) != len(events) {
			t.Fatalf("icalendar reads %d events, want %d", len(parsed), len(events))
		}
		for _, ev := range parsed {
			date := strings.ReplaceAll(ev["start"], "-", "")
			if want[ev["uid"]] != date || ev["summary"] == "" {
				t.Errorf("icalendar reads %v", ev)
			}
		}
	})

	// The next revision: the same UIDs, a later DTSTAMP and SEQUENCE.
	if r := e.do(t, "PUT", "/api/v1/plans/"+c.ID, calendarAnswers(t, "Contoso Group"), "Authorization", "Bearer "+c.EditKey, "If-Match", `"1"`); r.status != 200 {
		t.Fatalf("new revision: %d", r.status)
	}
	_, next := checkICS(t, e.do(t, "GET", "/p/"+c.ID+".ics", "").body)
	var a, b []string
	for _, ev := range events {
		a = append(a, ev["UID"])
	}
	for _, ev := range next {
		b = append(b, ev["UID"])
		if ev["SEQUENCE"] != "1" {
			t.Errorf("SEQUENCE %q in revision 2", ev["SEQUENCE"])
		}
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("UIDs changed with the organisation's name:\n%v\n%v", a, b)
	}

	for path, status := range map[string]int{"/p/" + c.ID + ".ical": 404, "/p/AAAAAAAAAAAAAAAAAAAAAA.ics": 404} {
		if r := e.do(t, "GET", path, ""); r.status != status {
			t.Errorf("GET %s: %d, want %d", path, r.status, status)
		}
	}
	if r := e.do(t, "DELETE", "/api/v1/plans/"+c.ID, "", "Authorization", "Bearer "+c.EditKey); r.status != 204 {
		t.Fatal(r.status)
	}
	if r := e.do(t, "GET", "/p/"+c.ID+".ics", ""); r.status != 410 {
		t.Errorf("calendar of a revoked plan: %d", r.status)
	}
}
