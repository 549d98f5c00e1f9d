package plandoc

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// BenchmarkBody renders the plan document of the examples the load test
// and the rollout issue use: what the plan page, the share page and the
// print view spend on the document itself.
func BenchmarkBody(b *testing.B) {
	cat, err := plan.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, example := range []string{"mixed-fleet", "hospital-rollout"} {
		data, err := os.ReadFile("../../examples/" + example + ".json")
		if err != nil {
			b.Fatal(err)
		}
		a, err := cat.DecodeAnswers(data)
		if err != nil {
			b.Fatal(err)
		}
		p, err := cat.BuildWith(a, plan.BuildOptions{Today: "2026-12-01"})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(example, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := Body(p, Options{Date: "2026-12-01"}).Render(context.Background(), &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}
