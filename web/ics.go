package web

// The plan's calendar: GET /p/{id}.ics (CONTRACT §8.3), an iCalendar
// (RFC 5545) document of all-day events — the pilot, each wave, each first
// action's due date and each dated mark of the timeline (expiries) — that a
// calendar can subscribe to. No maintained Go iCalendar library is a
// dependency of this module, and the little this needs (all-day events,
// text escaping, line folding) is written here; the tests read the output
// with a real parser.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// calendarFormat is the share link's suffix for the calendar.
const calendarFormat = "ics"

// calendarType is the calendar's media type.
const calendarType = "text/calendar; charset=utf-8"

// calEvent is one all-day event.
type calEvent struct {
	uid         string
	date        string // YYYY-MM-DD
	summary     string
	description string
}

// calendarUID is an event's stable id: its kind and the id of what it
// comes from (a wave id, a task id, a mark id), under the plan's id, so
// that a subscribed calendar updates the same event from revision to
// revision.
func calendarUID(planID, kind, id string) string {
	return kind + "-" + id + "@" + planID + ".enrollplan"
}

// calendarEvents lists a plan's dated events: the pilot and the waves in
// the tracker's order, then the first actions and the marks in the plan's.
// Items without a valid date are left out; a repeated UID (two items of
// one id) takes a suffix so that every UID stays unique.
func calendarEvents(planID string, t *tracker) []calEvent {
	var out []calEvent
	seen := map[string]bool{}
	add := func(kind, id, date, summary, description string) {
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return
		}
		if id == "" {
			id = plan.Slug(summary)
		}
		uid := calendarUID(planID, kind, id)
		for n := 2; seen[uid]; n++ {
			uid = calendarUID(planID, kind, id+"-"+strconv.Itoa(n))
		}
		seen[uid] = true
		out = append(out, calEvent{uid: uid, date: date, summary: summary, description: description})
	}
	org := "Intune enrollment plan for " + t.Organization + "."
	for _, w := range t.Waves {
		if w.ID == "" || w.Start == "" {
			continue
		}
		var groups []string
		for _, sec := range w.Sections {
			if !sec.Counted {
				continue
			}
			g := sectionTitle(t, w, sec)
			if sec.Planned > 0 {
				g += " (" + plan.Count(sec.Planned, "device", "devices") + ")"
			}
			groups = append(groups, g)
		}
		summary, who := w.Name+" starts", w.Name
		if w.Group != "" {
			summary += ": " + w.Group
		}
		if w.ID == plan.PilotWaveID {
			summary, who = "Pilot starts", "The pilot"
			if t.PilotGroup != "" {
				summary += ": " + t.PilotGroup
			}
		}
		desc := org
		if len(groups) > 0 {
			desc += "\n" + who + " enrolls " + plan.JoinAnd(groups) + "."
		}
		add("wave", w.ID, w.Start, summary, desc)
	}
	for _, a := range t.Actions {
		add("action", a.ID, a.Date, "Due: "+a.Title, org+"\nThis must be done by this date for the rollout to start on time.")
	}
	for _, m := range t.Marks {
		add("mark", m.ID, m.Date, m.Title, org)
	}
	return out
}

// calendarBytes writes the events as an iCalendar document: CRLF line
// ends, lines folded at 75 octets, text escaped. stamp (the revision's
// save time) is every event's DTSTAMP, so that one revision always gives
// the same bytes; seq is the events' SEQUENCE, so that a calendar takes a
// later revision's dates over the earlier ones.
func calendarBytes(name string, stamp time.Time, seq int, events []calEvent) []byte {
	var b strings.Builder
	line := func(nameParams, value string) { writeFolded(&b, nameParams+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//enrollplan//Intune enrollment plan//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", icsText(name))
	line("NAME", icsText(name))
	line("REFRESH-INTERVAL;VALUE=DURATION", "PT12H")
	line("X-PUBLISHED-TTL", "PT12H")
	dtstamp := stamp.UTC().Format("20060102T150405Z")
	for _, e := range events {
		d, _ := time.Parse(time.DateOnly, e.date)
		line("BEGIN", "VEVENT")
		line("UID", icsText(e.uid))
		line("DTSTAMP", dtstamp)
		line("DTSTART;VALUE=DATE", d.Format("20060102"))
		line("DTEND;VALUE=DATE", d.AddDate(0, 0, 1).Format("20060102"))
		line("SUMMARY", icsText(e.summary))
		if e.description != "" {
			line("DESCRIPTION", icsText(e.description))
		}
		line("SEQUENCE", strconv.Itoa(seq))
		line("TRANSP", "TRANSPARENT") // a date to know, not time taken
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return []byte(b.String())
}

// icsText escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon,
// comma and line breaks; other control characters are dropped.
func icsText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t' || r == 0x7f:
			// not allowed in TEXT
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// icsMaxLine is the longest line RFC 5545 §3.1 allows, in octets, without
// the CRLF.
const icsMaxLine = 75

// writeFolded writes one content line, folded so that no line exceeds 75
// octets: a continuation starts with one space, and a UTF-8 sequence is
// never split.
func writeFolded(b *strings.Builder, content string) {
	limit := icsMaxLine
	for len(content) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(content[cut]) {
			cut--
		}
		b.WriteString(content[:cut])
		b.WriteString("\r\n ")
		content = content[cut:]
		limit = icsMaxLine - 1 // the leading space counts
	}
	b.WriteString(content)
	b.WriteString("\r\n")
}

// showCalendar answers GET /p/{id}.ics for the latest revision, from the
// cache of rendered bytes (the caller has just asked the store whether the
// plan may be shown).
func (s *Server) showCalendar(w http.ResponseWriter, r *http.Request, info store.PlanInfo) error {
	rep, err := s.cachedRepresentation(r.Context(), cacheKey{id: info.ID, rev: info.Revision, ruleset: s.cat.Ruleset, kind: calendarFormat}, nil, func(ctx context.Context) (*representation, error) {
		t, err := s.revisionTracker(ctx, info.ID, info.Revision)
		if err != nil {
			return nil, err
		}
		name := "Intune rollout · " + t.Organization
		body := calendarBytes(name, info.SavedAt, info.Revision-1, calendarEvents(info.ID, t))
		rep := newRepresentation(body, calendarType)
		rep.disposition = fileNameHeader("attachment", fmt.Sprintf("%s-rollout.ics", orgSlug(t.Organization)))
		return rep, nil
	})
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	rep.write(w, r, http.StatusOK)
	return nil
}
