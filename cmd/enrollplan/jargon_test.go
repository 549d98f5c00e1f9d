package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/plan/plantest"
)

// TestNoJargonInExports: what a customer reads (Markdown, CSV, the printable
// HTML) carries no rule id, catalog tag, answer field path or schema enum.
// The JSON keeps the ids for tools.
func TestNoJargonInExports(t *testing.T) {
	c, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	scan := plantest.NewScanner(c)
	examples, _ := filepath.Glob("../../examples/*.json")
	visible := map[string]func(string) string{"md": plantest.VisibleMarkdown, "csv": plantest.VisibleCSV, "html": plantest.VisibleHTML}
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".json")
		for format, see := range visible {
			code, out, errs := cli(t, "", fixedDate, "plan", "--answers", ex, "--format", format)
			if code != 0 {
				t.Fatalf("%s %s: exit %d: %s", name, format, code, errs)
			}
			if words := scan.Jargon(see(out)); len(words) > 0 {
				t.Errorf("%s.%s shows internal words: %v", name, format, words)
			}
		}
	}
}
