package plan_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/plandoc"
)

// unseparated finds a count of 1,000 or more written without its
// separator: "3410 devices", "up to 1000 devices", a Markdown or HTML table
// cell "1490". Years ("the 2022 device-limit page") are not counts.
var unseparated = regexp.MustCompile(`\b\d{4,}( [a-z]+)? (devices?|DEM accounts?|accounts?|steps?|tasks?|readings?|notes?|groups?|policies|policy)([^\w-]|$)|\| \d{4,} \||>\d{4,}<`)

// TestCountsHaveSeparators: a printed plan writes every count the same way,
// with thousands separators, in the Markdown and the HTML alike.
func TestCountsHaveSeparators(t *testing.T) {
	c, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	read := func(path string) plan.Answers {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.DecodeAnswers(data)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	big := read("../../examples/northwind.json")
	big.Populations = append([]plan.Population(nil), big.Populations...)
	big.Populations[0].Devices = 3410 // Sales iPhones, in wave 2
	big.Populations[1].Devices = 2200 // New laptops, in wave 1
	big.BulkEnrollmentByStaff = true  // DEM capacity warnings count devices and accounts
	cases := map[string]plan.Answers{
		"northwind":         read("../../examples/northwind.json"),
		"northwind, larger": big,
		"eight populations": read("testdata/eight-populations.json"),
		"hospital":          read("../../examples/hospital-rollout.json"),
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := c.Build(a)
			if err != nil {
				t.Fatal(err)
			}
			var md, html bytes.Buffer
			if err := plan.WriteMarkdown(&md, p); err != nil {
				t.Fatal(err)
			}
			if err := plandoc.Document(p, plandoc.Options{Date: "2026-11-24"}).Render(context.Background(), &html); err != nil {
				t.Fatal(err)
			}
			for format, out := range map[string][]byte{"Markdown": md.Bytes(), "HTML": html.Bytes()} {
				if !bytes.Contains(out, []byte(plan.Thousands(p.Summary.Devices)+" devices")) {
					t.Errorf("%s: the total %s devices is missing", format, plan.Thousands(p.Summary.Devices))
				}
				for _, m := range unseparated.FindAll(out, -1) {
					t.Errorf("%s: count without a thousands separator: %q", format, m)
				}
			}
		})
	}
}
