package plan

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden/*.plan.json from the examples")

// goldenToday is the date the golden plans are made on: the CLI's golden
// test pins the same day (SOURCE_DATE_EPOCH in cmd/enrollplan), and prints
// these plans byte for byte.
const goldenToday = "2026-11-24"

// TestGoldenPlans: the plan of every example, as JSON, so a change to the
// rules or the knowledge shows up as a reviewable diff next to the engine
// (go test ./internal/plan -run TestGoldenPlans -update-golden).
func TestGoldenPlans(t *testing.T) {
	c := testCatalog(t)
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			a, err := c.DecodeAnswers(readExample(t, name))
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.BuildWith(a, BuildOptions{Today: goldenToday})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteJSON(&buf, p); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".plan.json")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-golden to create it)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Fatalf("%s differs; run go test ./internal/plan -run TestGoldenPlans -update-golden and review the diff", path)
			}
		})
	}
}
