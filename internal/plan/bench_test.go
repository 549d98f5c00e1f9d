package plan

import (
	"io"
	"os"
	"testing"
)

func benchAnswers(b *testing.B) (*Catalog, Answers) {
	b.Helper()
	c := testCatalog(b)
	data, err := os.ReadFile("testdata/eight-populations.json")
	if err != nil {
		b.Fatal(err)
	}
	a, err := c.DecodeAnswers(data)
	if err != nil {
		b.Fatal(err)
	}
	if len(a.Populations) != 8 {
		b.Fatalf("want 8 populations, have %d", len(a.Populations))
	}
	return c, a
}

// BenchmarkBuild computes the plan of an 8-population fleet.
func BenchmarkBuild(b *testing.B) {
	c, a := benchAnswers(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Build(a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeJSON encodes the same plan; the goal is Build < encoding.
func BenchmarkEncodeJSON(b *testing.B) {
	c, a := benchAnswers(b)
	p, err := c.Build(a)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteJSON(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAnswers parses and validates the same answers.
func BenchmarkDecodeAnswers(b *testing.B) {
	c := testCatalog(b)
	data, err := os.ReadFile("testdata/eight-populations.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.DecodeAnswers(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCompactJSON encodes the plan as the API answers it.
func BenchmarkEncodeCompactJSON(b *testing.B) {
	c, a := benchAnswers(b)
	p, err := c.Build(a)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCompactJSON(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}
