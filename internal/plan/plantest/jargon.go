// Package plantest holds test helpers shared by the packages that render
// plans: a scan for words that belong to the engine, not to a customer.
package plantest

import (
	"encoding/csv"
	"html"
	"regexp"
	"slices"
	"strings"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// Scanner finds internal words in text a customer reads: the catalog's ids
// (rules, steps, warnings, sources, methods, prerequisites), the ids the
// engine makes, answer field paths, schema enums, and words such as "seed"
// or "(unconfirmed)". Ids stay in the JSON, for tools.
type Scanner struct {
	ids      map[string]bool
	patterns []*regexp.Regexp
}

// NewScanner prepares the words of a catalog once.
func NewScanner(c *plan.Catalog) *Scanner {
	s := &Scanner{ids: map[string]bool{}}
	add := func(ws ...string) {
		for _, w := range ws {
			s.ids[w] = true
		}
	}
	for id := range c.Sources {
		add(id)
	}
	for _, m := range c.Methods {
		add(m.ID)
		for _, r := range m.Reset {
			add(r.Rule)
		}
		for _, st := range append(slices.Clone(m.AdminSteps), m.UserSteps...) {
			add(st.ID)
		}
		for _, w := range m.Warnings {
			add(w.ID)
		}
	}
	for _, p := range c.Platforms {
		for _, r := range p.Recommendations {
			add(r.ID)
			if r.Warning != nil {
				add(r.Warning.ID)
			}
		}
	}
	for _, p := range c.Prerequisites {
		add(p.ID, "blocked-by-"+p.ID, "unconfirmed-"+p.ID, "prereq."+p.ID)
	}
	for _, av := range c.Availability {
		add("cloud." + av.ID)
	}
	for _, st := range slices.Concat(c.Unenroll.Steps, c.Rollout.Steps, c.ResetBackup) {
		add(st.ID)
	}
	for _, w := range c.Unenroll.Warnings {
		add(w.ID)
	}
	add(c.SettingsStay.ID, c.Unenroll.Warning.ID, "dem.capacity", "dem.not-supported",
		"other-mdm", "configmgr", "gcc-high", "in_use", "managed_by", "personal_use", "todo", "pilot_start",
		"enrollplan.answers", "enrollplan.plan", "asked-app-protection", "windows-hello")
	// Ordinary English words that happen to be ids.
	for _, w := range []string{"", "groups", "licenses", "factory-reset"} {
		delete(s.ids, w)
	}
	for _, w := range []string{`populations\[`, `rollout\.waves\[`, `baseline\[`, `\btenant\.[a-z_]+`, `\bseed\b`, `fact sheet`, `\(unconfirmed\)`, `\bruleset\b`} {
		s.patterns = append(s.patterns, regexp.MustCompile(`(?i)`+w))
	}
	return s
}

var tokenRe = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._-]*`)

// Jargon lists the internal words found in text.
func (s *Scanner) Jargon(text string) []string {
	var found []string
	for _, tok := range tokenRe.FindAllString(text, -1) {
		tok = strings.TrimRight(tok, ".-")
		if s.ids[tok] && !slices.Contains(found, tok) {
			found = append(found, tok)
		}
	}
	for _, re := range s.patterns {
		if m := re.FindString(text); m != "" && !slices.Contains(found, m) {
			found = append(found, m)
		}
	}
	return found
}

var (
	tagRe    = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	mdLinkRe = regexp.MustCompile(`\]\([^)]*\)|https?://\S+`)
)

// VisibleHTML is the text a reader sees in an HTML page: no tags,
// attributes, scripts or styles.
func VisibleHTML(page string) string { return html.UnescapeString(tagRe.ReplaceAllString(page, " ")) }

// VisibleMarkdown drops link targets and bare addresses from Markdown.
func VisibleMarkdown(md string) string { return mdLinkRe.ReplaceAllString(md, "]") }

// VisibleCSV drops the columns a spreadsheet reader does not read as
// words: the source addresses, and the columns whose values the contract
// fixes for tools (status: done, todo, unknown; the task ids). Text that is
// not CSV is scanned whole, addresses aside.
func VisibleCSV(text string) string {
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(rows) == 0 {
		return mdLinkRe.ReplaceAllString(text, " ")
	}
	drop := map[int]bool{}
	for i, h := range rows[0] {
		if h == "source" || h == "status" || h == "id" {
			drop[i] = true
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			if !drop[i] {
				b.WriteString(mdLinkRe.ReplaceAllString(cell, " "))
				b.WriteByte('\t')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
