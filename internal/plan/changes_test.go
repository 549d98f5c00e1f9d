package plan

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
)

var updateChanges = flag.Bool("update-changes", false, "rewrite catalog/CHANGES.md from the catalog's changed notes")

// TestChangeLogCurrent: catalog/CHANGES.md lists every item whose fact the
// 2026 refresh changed, from the items' own "changed" notes, so a reviewer
// reads one table and the notes cannot drift from it. Regenerate with
// go test ./internal/plan -run TestChangeLog -update-changes.
func TestChangeLogCurrent(t *testing.T) {
	var b strings.Builder
	b.WriteString("# What the 2026 knowledge refresh changed\n\n")
	b.WriteString("Generated from the `changed` notes in the catalog files (`go test ./internal/plan -run TestChangeLog -update-changes`).\n")
	b.WriteString("Where the 2024–2025 fact sheet and a newer Microsoft page disagree, the newer page wins; each note names the page and its date.\n")
	n := 0
	for _, name := range fileOrder {
		data, err := fs.ReadFile(catalogFS, "catalog/"+name)
		if err != nil {
			t.Fatal(err)
		}
		var root any
		if err := json.Unmarshal(data, &root); err != nil {
			t.Fatal(err)
		}
		var rows []string
		walkChanged(root, "", func(where, note string) {
			rows = append(rows, fmt.Sprintf("| %s | %s |", where, strings.ReplaceAll(note, "|", "\\|")))
		})
		if len(rows) == 0 {
			continue
		}
		n += len(rows)
		fmt.Fprintf(&b, "\n## %s (%d)\n\n| item | what changed |\n|---|---|\n%s\n", name, len(rows), strings.Join(rows, "\n"))
	}
	fmt.Fprintf(&b, "\n%d items in all.\n", n)
	const path = "catalog/CHANGES.md"
	if *updateChanges {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != b.String() {
		t.Fatalf("%s is not current; run go test ./internal/plan -run TestChangeLog -update-changes (%v)", path, err)
	}
}

// walkChanged calls fn for every object with a "changed" note, naming it by
// the nearest ids on its path.
func walkChanged(v any, where string, fn func(where, note string)) {
	switch x := v.(type) {
	case map[string]any:
		name := where
		for _, k := range []string{"id", "rule", "mode", "method"} {
			if s, ok := x[k].(string); ok && s != "" {
				name = strings.TrimPrefix(where+" / "+s, " / ")
				break
			}
		}
		if ws, ok := x["words"].([]any); ok && name == where {
			var words []string
			for _, w := range ws {
				words = append(words, fmt.Sprint(w))
			}
			name = strings.TrimPrefix(where+" / baseline term "+strings.Join(words, "/"), " / ")
		}
		if note, ok := x["changed"].(string); ok {
			fn("`"+name+"`", note)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k == "changed" {
				continue
			}
			child := name
			if _, isList := x[k].([]any); !isList {
				if _, isObj := x[k].(map[string]any); isObj {
					child = strings.TrimPrefix(name+" / "+k, " / ")
				}
			}
			walkChanged(x[k], child, fn)
		}
	case []any:
		for _, e := range x {
			walkChanged(e, where, fn)
		}
	}
}
