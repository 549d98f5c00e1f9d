package pages

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/layout"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestPlanPageGolden renders step 6 (the plan page) of every example with
// fixed chrome, so a template change shows up as a reviewable diff.
func TestPlanPageGolden(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob("../../examples/*.json")
	if len(examples) < 3 {
		t.Fatal("need the examples")
	}
	head := layout.Head{Title: "Your plan", CSS: []string{"/static/css/app.css"}, JS: []string{"/static/js/app.js"}}
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(ex)
			if err != nil {
				t.Fatal(err)
			}
			a, err := cat.DecodeAnswers(data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := cat.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			v := PlanView{Head: head, Nav: Nav{Current: 6, Reached: 6, BackURL: "/wizard/rollout", Org: p.Organization}, Plan: p,
				PrintURL: "/wizard/print", Date: "2026-11-24",
				Downloads: []Link{{Label: "Markdown", URL: "/wizard/plan.md"}, {Label: "CSV", URL: "/wizard/plan.csv"}, {Label: "JSON", URL: "/wizard/plan.json"}}}
			var buf bytes.Buffer
			if err := PlanPage(v).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, pop := range p.Populations {
				if !strings.Contains(out, pop.Name) && !strings.Contains(out, templEscape(pop.Name)) {
					t.Errorf("population %q missing from the page", pop.Name)
				}
			}
			golden := filepath.Join("testdata", "plan-page-"+name+".html")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./templates/pages -update)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Fatalf("%s differs; run `go test ./templates/pages -update` and review the diff", golden)
			}
		})
	}
}

func templEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}
