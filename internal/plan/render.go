package plan

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
)

// WriteJSON writes the plan as indented JSON with a final newline. Struct
// order and slices only (no maps) keep it byte-identical for equal input.
func WriteJSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// CSVHeader is the header row of the CSV format (CONTRACT §2).
var CSVHeader = []string{"phase", "population", "actor", "task", "source"}

// WriteCSV writes one row per task (RFC 4180, CRLF line ends). Cells that a
// spreadsheet would run as a formula are neutralised with a leading quote.
func WriteCSV(w io.Writer, p *Plan) error {
	names := populationNames(p)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, t := range p.Tasks {
		row := []string{t.Phase, names[t.Population], t.Actor, t.Title, strings.Join(t.Sources, " ")}
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

func populationNames(p *Plan) map[string]string {
	names := map[string]string{"": "All"}
	for _, pop := range p.Populations {
		names[pop.ID] = pop.Name
	}
	return names
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
	return "Not sure"
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

// mdEscape keeps a planner's text from turning into Markdown markup.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]()<>#+!|~", r) {
			b.WriteByte('\\')
		}
		if r == '\n' || r == '\r' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

func mdSources(urls []string) string {
	links := make([]string, len(urls))
	for i, u := range urls {
		links[i] = fmt.Sprintf("[%s](%s)", SourceLabel(u), u)
	}
	return strings.Join(links, ", ")
}

// WriteMarkdown writes the plan as a Markdown document a consultant can
// hand over: summary, prerequisites, one section per population, rollout
// and the task checklist.
func WriteMarkdown(w io.Writer, p *Plan) error {
	bw := bufio.NewWriter(w)
	pf := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	names := populationNames(p)

	pf("# Intune enrollment plan: %s\n\n", mdEscape(p.Organization))
	pf("Ruleset %s · %s · %s · %s\n\n", p.Ruleset, plural(p.Summary.Populations, "population", "populations"),
		plural(p.Summary.Devices, "device", "devices"), plural(p.Summary.Blockers, "blocker", "blockers"))

	pf("## Summary\n\n| Population | Platform | Devices | Method | Factory reset | Blockers |\n|---|---|---:|---|---|---|\n")
	for _, pop := range p.Populations {
		reset := "No"
		if pop.FactoryReset.Required {
			reset = "**Yes**"
		}
		var blockers []string
		for _, bl := range pop.Blockers() {
			blockers = append(blockers, bl.ID)
		}
		bs := "none"
		if len(blockers) > 0 {
			bs = strings.Join(blockers, ", ")
		}
		pf("| %s | %s | %d | %s | %s | %s |\n", mdEscape(pop.Name), pop.PlatformName, pop.Devices, pop.Method.Name, reset, bs)
	}

	pf("\n## Prerequisites\n\n")
	for _, pr := range p.Prerequisites {
		box := " "
		if pr.Status == StatusDone {
			box = "x"
		}
		var needed []string
		for _, id := range pr.AppliesTo {
			needed = append(needed, mdEscape(names[id]))
		}
		pf("- [%s] **%s** (%s). %s\n  - Needed by: %s\n", box, pr.Title, StatusLabel(pr.Status), pr.Task+".", strings.Join(needed, ", "))
		if len(pr.Blocks) > 0 {
			pf("  - Blocks enrollment of: %s\n", strings.Join(mapNames(pr.Blocks, names), ", "))
		}
		pf("  - %s\n  - Sources: %s\n", pr.Detail, mdSources(pr.Sources))
	}

	pf("\n## Factory reset by platform\n\nThe deployment guide's overview; each population below says which rule applies to it.\n\n| Platform / mode | Factory reset | Note |\n|---|---|---|\n")
	for _, r := range p.ResetOverview {
		pf("| %s | %s | %s |\n", r.Mode, yesNoWord(r.Required), r.Note)
	}

	for _, pop := range p.Populations {
		writePopulationMD(pf, pop)
	}

	if len(p.Baseline) > 0 {
		pf("\n## Baseline policies to deploy at enrollment\n\n")
		for _, bi := range p.Baseline {
			pf("- **%s**: %s Applies to: %s.", mdEscape(bi.Title), bi.Detail, joinOr(mapNames(bi.AppliesTo, names), "no population"))
			if len(bi.NotFor) > 0 {
				pf(" Not for: %s", mdEscape(strings.Join(bi.NotFor, " ")))
			}
			pf(" Sources: %s\n", mdSources(bi.Sources))
		}
	}

	pf("\n## Pilot and rollout\n\nPilot group: **%s**\n\n", mdEscape(p.Rollout.PilotGroup))
	if len(p.Rollout.Waves) > 0 {
		pf("| Wave | Group | Start |\n|---|---|---|\n")
		for _, wv := range p.Rollout.Waves {
			pf("| %s | %s | %s |\n", mdEscape(wv.Name), mdEscape(wv.Group), orDash(wv.Start))
		}
		pf("\n")
	}
	for i, s := range p.Rollout.Steps {
		pf("%d. **%s.** %s (%s)\n", i+1, mdEscape(s.Title), s.Detail, mdSources(s.Sources))
	}

	pf("\n## Checklist\n")
	phase := ""
	for _, t := range p.Tasks {
		if t.Phase != phase {
			phase = t.Phase
			pf("\n### %s\n\n", PhaseLabel(phase))
		}
		box := " "
		if t.Done {
			box = "x"
		}
		who := "IT"
		if t.Actor == ActorUser {
			who = "users"
		}
		pf("- [%s] %s (%s, %s) [source](%s)\n", box, mdEscape(t.Title), mdEscape(names[t.Population]), who, strings.Join(t.Sources, ""))
	}
	return bw.Flush()
}

func writePopulationMD(pf func(string, ...any), pop PopulationPlan) {
	pf("\n## %s\n\n", mdEscape(pop.Name))
	pf("%s · %s · %s · %s\n\n", pop.PlatformName, pop.Ownership, UsageLabel(pop.Usage), plural(pop.Devices, "device", "devices"))
	rec := "recommended"
	if !pop.Method.Recommended {
		rec = "chosen in the answers, not the recommendation"
	}
	pf("### Method: %s (%s)\n\n%s\n\n- What it is: %s\n- User affinity: %s\n- Minimum OS: %s\n- Device enrollment manager: %s\n- Sources: %s\n",
		pop.Method.Name, rec, pop.Method.Why, pop.Method.Summary, pop.Method.UserAffinity, pop.Method.MinOS, pop.Method.DEM, mdSources(pop.Method.Sources))
	if len(pop.Alternatives) > 0 {
		pf("\n**Alternatives**\n\n")
		for _, a := range pop.Alternatives {
			pf("- %s: %s\n", a.Name, a.WhyNot)
		}
	}
	pf("\n### Factory reset: %s\n\n%s (rule `%s`; %s)\n", map[bool]string{true: "required", false: "not required"}[pop.FactoryReset.Required],
		pop.FactoryReset.Why, pop.FactoryReset.Rule, mdSources(pop.FactoryReset.Sources))
	if len(pop.Warnings) > 0 {
		pf("\n### Warnings\n\n")
		for _, w := range pop.Warnings {
			pf("- **%s**: %s (%s)\n", SeverityLabel(w.Severity), w.Text, mdSources(w.Sources))
		}
	}
	pf("\n### Prerequisites\n\n%s\n", "`"+strings.Join(pop.Prerequisites, "`, `")+"`")
	for _, actor := range []string{ActorAdmin, ActorUser} {
		steps := pop.StepsBy(actor)
		if len(steps) == 0 {
			continue
		}
		if actor == ActorAdmin {
			pf("\n### Steps for IT\n\n")
		} else {
			pf("\n### Steps for users\n\n")
		}
		for i, s := range steps {
			detail := ""
			if s.Detail != "" {
				detail = " " + s.Detail
			}
			pf("%d. **%s.**%s (%s)\n", i+1, s.Title, detail, mdSources(s.Sources))
		}
	}
	if len(pop.Baseline) > 0 {
		pf("\n### Baseline policies\n\n%s\n", mdEscape(strings.Join(pop.Baseline, ", ")))
	}
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

func mapNames(ids []string, names map[string]string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = mdEscape(names[id])
	}
	return out
}

func joinOr(list []string, empty string) string {
	if len(list) == 0 {
		return empty
	}
	return strings.Join(list, ", ")
}

func yesNoWord(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func orDash(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}
