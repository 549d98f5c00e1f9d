// Command testsum runs go test and prints what go test prints without -v
// (a line per package, and the output of failing tests), then names every
// test that was skipped and why, so that a skipped suite is visible in
// every run (issue "Hardening", item 8). It exits with go test's status.
//
// Usage: go run ./.ci/testsum [go test flags and packages]
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail events
}

type skip struct{ pkg, test, why string }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.Command(goBin, append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = stderr
	cmd.Stdin = os.Stdin
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(stderr, "testsum:", err)
		return 2
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "testsum:", err)
		return 2
	}
	skips := summarise(out, stdout)
	err = cmd.Wait()
	report(stdout, skips)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		fmt.Fprintln(stderr, "testsum:", err)
		return 2
	}
	return 0
}

// summarise copies the non-verbose part of the stream to w and returns the
// skipped tests in the order they were skipped. A failing test is printed
// as go test prints it: its "--- FAIL" line, its log, then its failing
// subtests, each indented one level more.
func summarise(r io.Reader, w io.Writer) []skip {
	type key struct{ pkg, test string }
	logs := map[key][]string{}     // a test's own output until it ends
	children := map[key][]string{} // the rendered failures of its subtests
	var skips []skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line) // not an event: pass it on
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Test == "" && e.Action == "output":
			// Package lines: "ok", "FAIL", "? ... [no test files]", panics.
			// "PASS" alone is what -v adds; go test without -v omits it.
			if e.Output != "PASS\n" {
				fmt.Fprint(w, e.Output)
			}
		case e.Test == "":
		case e.Action == "output":
			logs[k] = append(logs[k], e.Output)
		case e.Action == "fail":
			var head, rest []string
			for _, o := range logs[k] {
				switch t := strings.TrimSpace(o); {
				case strings.HasPrefix(t, "--- FAIL"):
					head = append(head, t+"\n")
				case !isFramework(o):
					rest = append(rest, o)
				}
			}
			block := append(append(head, rest...), children[k]...)
			delete(logs, k)
			delete(children, k)
			if parent, _, ok := cutLast(e.Test, "/"); ok {
				pk := key{e.Package, parent}
				for _, b := range block {
					children[pk] = append(children[pk], "    "+b)
				}
				continue
			}
			for _, b := range block {
				fmt.Fprint(w, b)
			}
		case e.Action == "skip":
			skips = append(skips, skip{e.Package, e.Test, reason(logs[k])})
			delete(logs, k)
		case e.Action == "pass":
			delete(logs, k)
			delete(children, k)
		}
	}
	return skips
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// isFramework is a line go test prints only with -v.
func isFramework(line string) bool {
	t := strings.TrimSpace(line)
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- SKIP"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

var (
	logPrefix = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: ?`)
	rule      = regexp.MustCompile(`^[!=*#~-]*$`)
	shout     = regexp.MustCompile(`^!+\s*`)
)

// reason is a skipped test's message on one line: its t.Skip text without
// the file:line prefix and banner rules.
func reason(output []string) string {
	var parts []string
	for _, o := range output {
		if isFramework(o) {
			continue
		}
		for _, l := range strings.Split(o, "\n") {
			l = strings.TrimSpace(shout.ReplaceAllString(strings.TrimSpace(logPrefix.ReplaceAllString(l, "")), ""))
			if l == "" || rule.MatchString(l) {
				continue
			}
			parts = append(parts, l)
		}
	}
	why := strings.Join(parts, " ")
	if r := []rune(why); len(r) > 300 {
		why = string(r[:300]) + "…"
	}
	if why == "" {
		why = "(no reason given)"
	}
	return why
}

// report names the skipped tests, grouped by package and reason: a suite
// that skips as a whole (say, the PostgreSQL tests without their URL) is
// one entry, not one line per subtest.
func report(w io.Writer, skips []skip) {
	if len(skips) == 0 {
		fmt.Fprintln(w, "\nNo test was skipped.")
		return
	}
	type group struct {
		pkg, why string
		names    []string       // top-level tests, in order
		subs     map[string]int // subtests skipped, by top-level test
		count    int
	}
	var groups []*group
	find := func(pkg, why string) *group {
		for _, g := range groups {
			if g.pkg == pkg && g.why == why {
				return g
			}
		}
		g := &group{pkg: pkg, why: why, subs: map[string]int{}}
		groups = append(groups, g)
		return g
	}
	for _, s := range skips {
		g := find(strings.TrimPrefix(s.pkg, "github.com/enrollplan/enrollplan/"), s.why)
		g.count++
		top, _, sub := strings.Cut(s.test, "/")
		if !slices.Contains(g.names, top) {
			g.names = append(g.names, top)
		}
		if sub {
			g.subs[top]++
		}
	}
	fmt.Fprintf(w, "\nSKIPPED: %s did not run, so what %s was not checked in this run:\n", plural(len(skips), "test"), map[bool]string{true: "it checks", false: "they check"}[len(skips) == 1])
	for _, g := range groups {
		var names []string
		for _, n := range g.names {
			if c := g.subs[n]; c > 0 {
				n += fmt.Sprintf(" (%s)", plural(c, "subtest"))
			}
			names = append(names, n)
		}
		fmt.Fprintf(w, "  %s: %s\n      why: %s\n", g.pkg, strings.Join(names, ", "), g.why)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
