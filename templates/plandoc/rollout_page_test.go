package plandoc

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// TestRolloutPageRefersToGroups: the printed rollout is one table of groups
// by wave (devices per wave, each group linked to its own section) and the
// waves' own steps; a group's device steps are printed once, in its
// section, however many waves enroll it; the set-up checklist lists each
// set-up task once.
func TestRolloutPageRefersToGroups(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../examples/hospital-rollout.json")
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
	var out bytes.Buffer
	if err := Document(p, Options{Date: "2026-11-24"}).Render(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	html := out.String()
	start := strings.Index(html, `id="rollout"`)
	end := strings.Index(html[start:], "</section>")
	if start < 0 || end < 0 {
		t.Fatal("no rollout section")
	}
	rollout := html[start : start+end]

	// The iPhones' row: 10 in the pilot, 80 in each of the three waves.
	row := regexp.MustCompile(`(?s)<a href="#pop-clinician-iphones">Clinician iPhones</a></th>(.*?)</tr>`).FindStringSubmatch(rollout)
	if row == nil {
		t.Fatal("no row for the clinician iPhones, linked to their section")
	}
	cells := regexp.MustCompile(`>([0-9,–]+)</td>`).FindAllStringSubmatch(row[1], -1)
	var got []string
	for _, c := range cells {
		got = append(got, c[1])
	}
	if strings.Join(got, " ") != "10 80 80 80" {
		t.Errorf("iPhones per wave: %v, want 10 80 80 80", got)
	}
	for _, pop := range p.Populations {
		if !strings.Contains(rollout, `href="#pop-`+pop.ID+`"`) {
			t.Errorf("the rollout does not refer to %s's section", pop.Name)
		}
	}
	if n := strings.Count(html, "Unenroll from the current MDM the devices Apple&#39;s migration doesn&#39;t move."); n != 1 {
		t.Errorf("the iPhones' unenroll step is printed %d times; want once, in their section", n)
	}
	for _, w := range []string{"Wave 1, from 15 Mar 2027, 797 devices: assign the enrollment profiles", "Wave 3, from 26 Apr 2027, 790 devices: assign"} {
		if !strings.Contains(rollout, w) {
			t.Errorf("the rollout lacks %q", w)
		}
	}
	if n := strings.Count(html, "Create the ADE enrollment policy with user affinity"); n != 2 {
		// once in the iPhones' section, once in the set-up checklist; the
		// ward iPads' section says it is described under the iPhones
		t.Errorf("a shared set-up step appears %d times, want 2", n)
	}
}
