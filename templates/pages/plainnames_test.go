package pages

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/plan/plantest"
	"github.com/enrollplan/enrollplan/templates/layout"
)

// TestWizardPagesSpellOutShortForms: on the wizard's review (method and
// factory reset, with every choice opened) and checklist pages
// of every example, COSU, MAM-WE, AOSP and DEM are spelled out where the
// page first shows them (issue 17); TestSpeller in internal/plan shows
// that later uses stay short.
func TestWizardPagesSpellOutShortForms(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob("../../examples/*.json")
	if len(examples) < 3 {
		t.Fatal("need the examples")
	}
	head := layout.Head{Title: "Step", CSS: []string{"/static/css/app.css"}}
	used := map[string]bool{}
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".json")
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
		rv := ReviewView{Head: head, Nav: Nav{Current: 3, Reached: 3}, Overview: p.ResetOverview}
		pv := PrereqView{Head: head, Nav: Nav{Current: 4, Reached: 4}, Prerequisites: p.Prerequisites, Names: map[string]string{}, Mapped: p.Baseline}
		for _, b := range cat.Baseline {
			pv.Baseline = append(pv.Baseline, BaselineOption{ID: b.ID, Title: b.Title, Detail: b.Detail})
		}
		for i, pp := range p.Populations {
			rp := ReviewPop{Index: i, ID: pp.ID, Name: pp.Name, PlatformName: pp.PlatformName, Devices: pp.Devices, AppOnly: !pp.Enroll,
				Method: pp.Method.Name, Recommended: pp.Method.Recommended, MethodWhy: pp.Method.Why, Reset: "No factory reset needed", ResetWhy: pp.FactoryReset.Why,
				MethodOpen: true, AsksInUse: true, InUse: "unsure"}
			rp.Options = append(rp.Options, MethodOption{ID: pp.Method.ID, Name: pp.Method.Name, Text: pp.Method.Why, Fits: true, Recommended: pp.Method.Recommended, Selected: true})
			for _, alt := range append(pp.Alternatives, pp.Unsuitable...) {
				rp.Options = append(rp.Options, MethodOption{ID: alt.ID, Name: alt.Name, Text: alt.WhyNot, Fits: alt.Fits})
			}
			rv.Pops = append(rv.Pops, rp)
			pv.Names[pp.ID] = pp.Name
		}
		for page, c := range map[string]templ.Component{"review": ReviewPage(rv), "checklist": PrereqPage(pv)} {
			var buf bytes.Buffer
			if err := c.Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			text := plantest.VisibleHTML(buf.String())
			if bad := plan.NotSpelledOut(text); len(bad) > 0 {
				t.Errorf("%s, %s page: %v not spelled out where the page first shows it", name, page, bad)
			}
			for _, f := range plan.ShortForms {
				if strings.Contains(text, f.Abbr) {
					used[f.Abbr] = true
				}
			}
		}
	}
	// The examples must exercise the rule, or the test proves nothing.
	for _, f := range plan.ShortForms {
		// The wizard names the MAM method without its short form since
		// issue 17 (the plan's method summary spells MAM-WE out instead),
		// so no wizard page needs to show it.
		if !used[f.Abbr] && f.Abbr != "MAM-WE" {
			t.Errorf("no example page shows %s", f.Abbr)
		}
	}
}
