package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func exampleNames(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob("../../examples/*.json")
	if err != nil || len(paths) < 3 {
		t.Fatalf("need at least three examples, found %v (%v)", paths, err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".json"))
	}
	return names
}

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../examples", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
