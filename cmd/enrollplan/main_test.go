package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cli runs the program in-process, as main would.
func cli(t *testing.T, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, getenv)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

// fixedDate pins the cover date of HTML output (2026-11-24).
var fixedDate = map[string]string{"SOURCE_DATE_EPOCH": "1795478400"}

// TestGolden renders every example in every format and compares it with
// the committed golden file; run `go test ./cmd/enrollplan -update` after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	examples, _ := filepath.Glob("../../examples/*.json")
	if len(examples) < 3 {
		t.Fatalf("need at least three examples, found %d", len(examples))
	}
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".json")
		for _, format := range []string{"json", "md", "csv", "html"} {
			t.Run(name+"."+format, func(t *testing.T) {
				code, out, errs := cli(t, "", fixedDate, "plan", "--answers", ex, "--format", format)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errs)
				}
				golden := filepath.Join("testdata", "golden", name+"."+format)
				if format == "json" {
					// The engine's own golden plans; the CLI must print them byte for byte.
					golden = filepath.Join("..", "..", "internal", "plan", "testdata", "golden", name+".plan.json")
					if *update {
						return // go test ./internal/plan -run TestGoldenPlans -update-golden writes them
					}
				}
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if out != string(want) {
					t.Fatalf("%s differs from the golden file; run `go test ./cmd/enrollplan -update` and review the diff", golden)
				}
			})
		}
	}
}

func TestPlanFromStdinAndFormats(t *testing.T) {
	data, err := os.ReadFile("../../examples/mixed-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, string(data), nil, "plan", "--answers", "-", "--format", "md")
	if code != 0 || !strings.Contains(out, "# Intune enrollment plan: Contoso Ltd") || !strings.Contains(out, "- [ ] ") {
		t.Fatalf("exit %d, stderr %q, stdout starts %q", code, errs, out[:min(len(out), 80)])
	}
	code, out, _ = cli(t, string(data), nil, "plan", "--answers", "-")
	if code != 0 || !strings.HasPrefix(out, "# ") {
		t.Fatal("Markdown must be the default format")
	}
	code, out, _ = cli(t, string(data), nil, "plan", "--answers", "-", "--format", "html")
	if code != 0 || !strings.Contains(out, "<style>") || strings.Contains(out, "<link") || strings.Contains(out, "<script") {
		t.Fatal("HTML must be a self-contained document")
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"bad answers: one line per problem", `{"schema":"enrollplan.answers/v1","organization":"X","populations":[{"platform":"palmos","ownership":"corporate"}],"colour":1}`,
			[]string{"plan", "--answers", "-"}, 2, "populations[0].platform: \"palmos\""},
		{"unknown flag", "", []string{"plan", "--nope"}, 2, "flag provided but not defined"},
		{"unknown format", "", []string{"plan", "--answers", "-", "--format", "pdf"}, 2, `"pdf" is not a format`},
		{"missing --answers", "", []string{"plan"}, 2, "--answers is required"},
		{"unreadable file", "", []string{"plan", "--answers", "/nonexistent/answers.json"}, 2, "cannot read answers"},
		{"unknown command", "", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"no command", "", nil, 2, "no command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := cli(t, tc.stdin, nil, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d stderr %q; want exit %d containing %q", code, errs, tc.code, tc.stderr)
			}
		})
	}
	// Every problem on its own line.
	_, _, errs := cli(t, cases[0].stdin, nil, cases[0].args...)
	if lines := strings.Count(strings.TrimSpace(errs), "\n") + 1; lines != 2 {
		t.Fatalf("want 2 lines (platform, colour), got %d:\n%s", lines, errs)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "", nil, "version")
	if code != 0 || !strings.Contains(out, "enrollplan ") || !strings.Contains(out, "ruleset 20") {
		t.Fatalf("exit %d: %q", code, out)
	}
}

// TestSessionKeyBesideDatabase: with SQLite and no configured keys, a key is
// generated once beside the database (mode 0600) and reused on restart.
func TestSessionKeyBesideDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "enrollplan.db")
	k1, err := sessionKeyBeside(db)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(filepath.Dir(db), "session.key"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("session.key mode %v, want 0600", info.Mode().Perm())
	}
	if len(k1) < 32 {
		t.Fatalf("generated key is only %d characters", len(k1))
	}
	k2, err := sessionKeyBeside(db)
	if err != nil || k2 != k1 {
		t.Fatalf("second start generated a new key (%v): sessions would not survive a restart", err)
	}
}
