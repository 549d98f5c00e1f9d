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

// TestSourceMarkersAreOneGroup: a sentence citing several sources shows
// them as one bracketed group, "[1, 2, 3, 4]", never as digits run
// together ("1234"); each number still links to its source, and a screen
// reader hears "source 3" for each.
func TestSourceMarkersAreOneGroup(t *testing.T) {
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../examples/northwind.json")
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
	if err := Body(p, Options{}).Render(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	html := out.String()
	if strings.Contains(html, "</sup><sup") {
		t.Error("two source markers stand side by side, so their numbers read as one")
	}
	sups := regexp.MustCompile(`<sup class="ref">(.*?)</sup>`).FindAllStringSubmatch(html, -1)
	if len(sups) == 0 {
		t.Fatal("the plan cites no sources")
	}
	tag := regexp.MustCompile(`<[^>]+>`)
	link := regexp.MustCompile(`<a href="#ref-(\d+)" aria-label="source (\d+)">(\d+)</a>`)
	group := regexp.MustCompile(`^\[\d+(, \d+)*\]$`)
	several := 0
	for _, s := range sups {
		text := tag.ReplaceAllString(s[1], "")
		if !group.MatchString(text) {
			t.Errorf("source marker reads %q, want a group such as [3, 34, 38]", text)
			continue
		}
		links := link.FindAllStringSubmatch(s[1], -1)
		if n := strings.Count(text, ",") + 1; len(links) != n {
			t.Errorf("source marker %q: %d of its %d numbers link to their source", text, len(links), n)
		}
		for _, l := range links {
			if l[1] != l[2] || l[2] != l[3] {
				t.Errorf("source link %s: its target, label and number differ", l[0])
			}
		}
		if len(links) > 1 {
			several++
		}
	}
	if several == 0 {
		t.Error("no sentence cites several sources; the test proves nothing")
	}
}
