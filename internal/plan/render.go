package plan

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// WriteJSON writes the plan as indented JSON with a final newline. Struct
// order and slices only (no maps) keep it byte-identical for equal input.
func WriteJSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// WriteCompactJSON writes the plan as JSON without indentation, for the
// API, where bytes and encoding time matter more than reading by eye.
func WriteCompactJSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

// CSVHeader is the header row of the CSV format: the eight columns of
// CONTRACT §2, then due, devices, owner and the task id (§8.1).
var CSVHeader = []string{"phase", "population", "actor", "task", "source", "status", "wave", "start", "due", "devices", "owner", "id"}

// WriteCSV writes one row per task (RFC 4180, CRLF line ends): set-up once,
// then each population's device work in the pilot and in each wave, with
// that wave's date and device count on every row. A set-up task that
// several populations share is one row naming them all. Cells that a
// spreadsheet would run as a formula are neutralised with a leading quote.
func WriteCSV(w io.Writer, p *Plan) error {
	names := populationNames(p)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, t := range p.Tasks {
		devices := ""
		if t.Devices > 0 {
			devices = strconv.Itoa(t.Devices) // a number a spreadsheet can add up, so no separator
		}
		row := []string{PhaseLabel(t.Phase), TaskPopulations(p, t, names), ActorLabel(t.Actor), t.Title, strings.Join(t.Sources, " "), t.Status, t.Wave, t.Start,
			t.Due, devices, t.Owner, t.ID}
		for i := range row {
			row[i] = CSVSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSVSafe neutralises a cell that spreadsheets would execute as a formula
// (OWASP "CSV injection"): those starting with = + - @, tab or carriage return.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// TaskPopulations names the populations a task serves, in words: "All
// populations" when it serves every one.
func TaskPopulations(p *Plan, t Task, names map[string]string) string {
	if len(t.Populations) == len(p.Populations) && len(p.Populations) > 1 {
		return "All populations"
	}
	return strings.Join(mapNamesRaw(t.Populations, names), "; ")
}

func mapNamesRaw(ids []string, names map[string]string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = names[id]
	}
	return out
}

// ActorLabel says who does a step or task.
func ActorLabel(a string) string {
	if a == ActorUser {
		return "Users"
	}
	return "IT"
}

func populationNames(p *Plan) map[string]string {
	names := map[string]string{"": "All"}
	for _, pop := range p.Populations {
		names[pop.ID] = pop.Name
	}
	return names
}

// EnrolledByLabel says who enrolls a population's devices, in words.
func EnrolledByLabel(by string) string {
	if by == EnrolledByIT {
		return "enrolled by IT staff"
	}
	return "enrolled by their users"
}

// UsageLabel says a usage in words.
func UsageLabel(u string) string {
	switch u {
	case UsageShared:
		return "shared by several users"
	case UsageDedicated:
		return "dedicated (kiosk, no user)"
	}
	return "one user"
}

// StatusLabel says a prerequisite status in words.
func StatusLabel(s string) string {
	switch s {
	case StatusDone:
		return "Done"
	case StatusTodo:
		return "To do"
	}
	return "Not known yet"
}

// PhaseLabel says a phase in words.
func PhaseLabel(s string) string {
	switch s {
	case PhasePrepare:
		return "Prepare"
	case PhasePilot:
		return "Pilot"
	}
	return "Rollout"
}

// SourceLabel is a short readable name for a source URL: its host and last
// path segment, e.g. "learn.microsoft.com: deployment-guide-enrollment".
func SourceLabel(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Host + ": " + path.Base(u.Path)
}

// mdEscape keeps a planner's text from turning into Markdown markup. It
// escapes only what could start markup inside a line (emphasis, code,
// links, HTML, tables, strikethrough, entities), so ordinary names such as
// "Sales (EMEA) - phones" and paths such as "Devices > Enrollment" read as
// typed: ">" quotes only at the start of a line, and "<" alone opens a tag.
func mdEscape(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '\n' || r == '\r':
			r = ' '
		case strings.ContainsRune("\\`*_[]<|~", r):
			b.WriteByte('\\')
		case r == '&' && i+1 < len(rs) && (rs[i+1] == '#' || unicode.IsLetter(rs[i+1])):
			b.WriteByte('\\')
		case i == 0 && strings.ContainsRune("#+-=!", r):
			b.WriteByte('\\') // would start a heading, list or image at the start of a line
		case r == '>' && strings.TrimLeft(string(rs[:i]), " \t") == "":
			b.WriteByte('\\') // would start a quote (after up to three spaces)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdRefs cites numbered sources as one bracketed group, " [3, 34, 38]",
// each number a link to its page. The outer brackets stay text: once a
// link forms inside them, CommonMark makes no link of the brackets around it.
func mdRefs(refs []int, d *Document) string {
	if len(refs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" [")
	for i, n := range refs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%d](%s)", n, d.Refs[n-1].URL)
	}
	b.WriteString("]")
	return b.String()
}

// DocRevision names the saved revision a document shows: its number, when
// it was saved, and who saved it and why, as they wrote it (both optional).
type DocRevision struct {
	Number   int
	SavedAt  string // as pages show it, e.g. "8 Dec 2026 15:04 UTC"
	By, Note string
}

// Line says it in words: "Revision 3, saved 8 Dec 2026 15:04 UTC by Ana:
// Moved the porters to wave 2." "" for a plan that is not a saved revision.
func (r DocRevision) Line() string {
	if r.Number < 1 {
		return ""
	}
	s := "Revision " + Thousands(r.Number)
	if r.SavedAt != "" {
		s += ", saved " + r.SavedAt
	}
	if r.By != "" {
		s += " by " + r.By
	}
	if r.Note != "" {
		s += ": " + strings.TrimSuffix(r.Note, ".")
	}
	return s + "."
}

// WriteMarkdown writes the plan as the hand-over document: the summary a
// reader can stop after, what to prepare, one section per population, the
// rollout, the checklist, an appendix and the numbered sources.
func WriteMarkdown(w io.Writer, p *Plan) error { return WriteMarkdownRevision(w, p, DocRevision{}) }

// WriteMarkdownRevision writes the plan as WriteMarkdown does, naming under
// its title the saved revision it is (DocRevision.Line), note and name
// escaped as every planner's text is.
func WriteMarkdownRevision(w io.Writer, p *Plan, rev DocRevision) error {
	d := NewDocument(p)
	bw := bufio.NewWriter(w)
	pf := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	pf("# Intune enrollment plan: %s\n\n", mdEscape(p.Organization))
	if line := rev.Line(); line != "" {
		pf("%s\n\n", mdEscape(line))
	}
	pf("%s · %s. %s\n\n", Count(len(d.Groups), "device group", "device groups"), Count(p.Summary.Devices, "device", "devices"), d.Knowledge)
	pf("## Summary\n\n| Group | Devices | Method | Factory reset | Wave |\n|---|---:|---|---|---|\n")
	for _, g := range d.Groups {
		pf("| %s (%s) | %s | %s | %s | %s |\n", mdEscape(g.Name), g.Platform, Thousands(g.Devices), g.Method, g.Reset, mdEscape(g.Wave))
	}
	pf("\n### What blocks enrollment\n\n")
	if len(d.Blockers) == 0 {
		pf("Nothing blocks enrollment.\n")
	}
	for i, b := range d.Blockers {
		pf("%d. **%s** is not in place: it blocks %s.\n", i+1, b.Title, mdEscape(b.Blocks))
	}
	for _, l := range d.Late {
		pf("\n> **%s**\n", mdEscape(l))
	}
	pf("\n### Do these first\n\n")
	for i, f := range d.First {
		pf("%d. **%s.** %s. %s", i+1, mdEscape(f.Title), f.Owner, mdEscape(f.Why))
		if f.When != "" {
			pf(" %s", mdEscape(f.When))
		}
		pf("\n")
	}
	pf("\n### Timeline\n\n")
	for _, t := range d.Dated {
		if t.Mark != "" {
			pf("- **%s**: %s.\n", t.When, mdEscape(t.Mark))
			continue
		}
		devices := ""
		if t.Devices > 0 {
			devices = ", " + Count(t.Devices, "device", "devices")
		}
		pf("- **%s**, %s: group “%s”, %s%s.\n", mdEscape(t.Name), t.When, mdEscape(t.Group), mdEscape(t.Populations), devices)
	}
	if d.Unassigned != "" {
		pf("\nNot in any wave yet: %s.\n", mdEscape(d.Unassigned))
	}
	for _, w := range d.RolloutWarn {
		pf("\n**%s:** %s%s\n", w.Label, w.Text, mdRefs(w.Refs, d))
	}
	if t := d.Tenant; t != nil {
		if t.When == "" {
			pf("\n### Read from the tenant\n\n%s.\n", t.Counts)
		} else {
			pf("\n### Read from the tenant on %s\n\n%s.\n", t.When, t.Counts)
		}
		if len(t.Attention) > 0 {
			pf("\n")
			for _, f := range t.Attention {
				pf("- **%s.** %s\n", mdEscape(f.Label), mdEscape(f.Text))
			}
		}
		for _, o := range t.Overruled {
			pf("\n%s\n", o)
		}
	}
	if len(d.Assumptions) > 0 {
		pf("\n### What this plan assumed\n\n")
		for _, a := range d.Assumptions {
			pf("- **%s**: %s\n", mdEscape(a.Label), a.Text)
		}
	}

	pf("\n## Before the pilot\n\n### Prerequisites\n\n")
	for _, pr := range d.Prereqs {
		box := " "
		if pr.Done {
			box = "x"
		}
		pf("- [%s] **%s** (%s). Who: %s. For: %s.\n  %s. %s%s\n", box, pr.Title, pr.Status, pr.Owner, mdEscape(pr.NeededBy), pr.Task, pr.Detail, mdRefs(pr.Refs, d))
	}
	if len(d.Baseline) > 0 {
		pf("\n### Baseline policies to deploy at enrollment\n\n")
		for _, b := range d.Baseline {
			pf("- **%s** for %s. %s%s", mdEscape(b.Title), mdEscape(b.AppliesTo), b.Detail, mdRefs(b.Refs, d))
			if b.NotFor != "" {
				pf(" Not for: %s", mdEscape(b.NotFor))
			}
			pf("\n")
		}
	}

	for _, pop := range d.Populations {
		pf("\n## %s\n\n%s · %s\n\n", mdEscape(pop.Name), mdEscape(pop.Facts), mdEscape(pop.Wave))
		tag := "recommended"
		if !pop.Recommended {
			tag = "your choice"
		}
		pf("**Method: %s** (%s). %s%s\n\nMinimum OS: %s\n", pop.Method, tag, pop.MethodWhy, mdRefs(pop.MethodRefs, d), pop.MinOS)
		if pop.Baseline != "" {
			pf("\nBaseline policies: %s.\n", mdEscape(pop.Baseline))
		}
		pf("\n**%s.** %s%s\n", pop.ResetTitle, pop.ResetWhy, mdRefs(pop.ResetRefs, d))
		for _, a := range pop.Assumptions {
			pf("\n> %s\n", a)
		}
		if len(pop.Blockers)+len(pop.Warnings) > 0 {
			pf("\n")
			for _, n := range append(slices.Clone(pop.Blockers), pop.Warnings...) {
				pf("- **%s:** %s%s\n", n.Label, n.Text, mdRefs(n.Refs, d))
			}
		}
		for _, st := range pop.Stages {
			if st.Intro != "" {
				pf("\n%s\n", mdEscape(st.Intro))
			}
			pf("\n### %s\n\n", st.Heading)
			for _, s := range st.Steps {
				detail := ""
				if s.Detail != "" {
					detail = " " + s.Detail
				}
				if s.Also != "" {
					detail += " Done once for the tenant; described under " + mdEscape(s.Also) + "."
				}
				pf("- [ ] %s: **%s.**%s%s\n", s.Actor, s.Title, detail, mdRefs(s.Refs, d))
			}
		}
		if len(pop.Notes) > 0 {
			pf("\n### Good to know\n\n")
			for _, n := range pop.Notes {
				pf("- %s%s\n", n.Text, mdRefs(n.Refs, d))
			}
		}
	}

	pf("\n## Pilot and rollout\n\n")
	for i, s := range d.Rollout {
		pf("%d. **%s.** %s%s\n", i+1, mdEscape(s.Title), s.Detail, mdRefs(s.Refs, d))
	}
	for _, n := range d.RolloutNote {
		pf("\n%s%s\n", n.Text, mdRefs(n.Refs, d))
	}
	mdSteps := func(steps []DocStep) {
		for _, s := range steps {
			pf("- %s: **%s.**%s%s\n", s.Actor, mdEscape(s.Title), prefixSpace(s.Detail), mdRefs(s.Refs, d))
		}
	}
	for _, w := range d.Waves {
		pf("\n### %s, %s: group “%s”%s\n\n", mdEscape(w.Name), w.When, mdEscape(w.Group), deviceSuffix(w.Devices))
		mdSteps(w.Before)
		if len(w.Groups) > 0 {
			if len(w.Before) > 0 {
				pf("\n")
			}
			pf("Each group does the steps of its own section, for this wave's devices.\n\n| Group | Devices | Steps |\n|---|---:|---|\n")
			for _, g := range w.Groups {
				pf("| %s | %s | %s |\n", mdEscape(g.Name), Thousands(g.Devices), capitalize(g.Stages))
			}
			if len(w.After) > 0 {
				pf("\n")
			}
		}
		mdSteps(w.After)
	}

	pf("\n## Checklist\n")
	mdTasks := func(heading string, tasks []DocTask) {
		if len(tasks) == 0 {
			return
		}
		pf("\n### %s\n\n", heading)
		for _, t := range tasks {
			box := " "
			if t.Done {
				box = "x"
			}
			due := ""
			if t.Due != "" {
				due = "; " + t.Due
			}
			pf("- [%s] %s (%s; %s%s)\n", box, mdEscape(t.Title), t.Who, mdEscape(t.For), due)
		}
	}
	for _, ph := range d.Checklist {
		mdTasks(ph.Heading, ph.Tasks)
	}
	for _, w := range d.Waves {
		mdTasks(mdEscape(w.Name)+", "+w.When, w.Tasks)
	}

	pf("\n## Appendix: other methods considered\n")
	for _, pop := range d.Populations {
		if len(pop.Alternatives)+len(pop.Unsuitable) == 0 {
			continue
		}
		pf("\n### %s\n\n", mdEscape(pop.Name))
		for _, a := range pop.Alternatives {
			pf("- **%s**: %s%s\n", a.Label, a.Text, mdRefs(a.Refs, d))
		}
		for _, a := range pop.Unsuitable {
			pf("- **%s** (not suitable): %s%s\n", a.Label, a.Text, mdRefs(a.Refs, d))
		}
	}
	pf("\n## Appendix: factory reset by platform\n\nMicrosoft's overview by platform; each device group above says which rule applies to it.\n\n| Platform or mode | Factory reset | Note |\n|---|---|---|\n")
	for _, r := range p.ResetOverview {
		pf("| %s | %s | %s |\n", r.Mode, yesNoWord(r.Required), r.Note)
	}
	pf("\n## Sources\n\n")
	for i, r := range d.Refs {
		date := ""
		if r.Date != "" {
			date = ", page dated " + LongDate(r.Date)
		}
		pf("%d. [%s](%s)%s\n", i+1, r.Title, r.URL, date)
	}
	return bw.Flush()
}

// SeverityLabel says a warning severity in words.
func SeverityLabel(s string) string {
	switch s {
	case SevBlocker:
		return "Blocker"
	case SevWarning:
		return "Warning"
	}
	return "Note"
}

func yesNoWord(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// prefixSpace puts a space before s, when there is an s.
func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// deviceSuffix is ", 810 devices", or nothing when there are none.
func deviceSuffix(n int) string {
	if n == 0 {
		return ""
	}
	return ", " + Count(n, "device", "devices")
}
