package plan

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// hostileNames are seeds for the renderer fuzz targets: text that would be
// markup, a formula or a line break if it reached the output unescaped.
var hostileNames = []string{
	"Sales (EMEA) - phones",
	"=HYPERLINK(\"https://evil.example\",\"click\")",
	"+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
	"[click](https://evil.example)", "![x](https://evil.example/x.png)", "<script>alert(1)</script>",
	"<https://evil.example>", "`code` and ``more``", "**bold** _em_ ~~gone~~", "a | b | c",
	"# heading", "## also", "1. list", "- item", "> quote", "=== ", "---",
	"line\nbreak", "cr\rhere", "&amp; &#60; &lt;", "back\\slash\\", "trailing  ", "[x]: https://evil.example",
	"\u2028sep", "caf\u00e9 \u202e", "\x00nul",
}

// fuzzPlanAnswers is examples/northwind.json with a tenant check, every
// free text replaced by name (each population numbered, so that they stay
// distinct and keep their order).
func fuzzPlanAnswers(tb testing.TB, base Answers, name string) Answers {
	a := base
	a.Organization = name
	a.Populations = append([]Population(nil), base.Populations...)
	// A maker's name is planner-typed too: every group gets one where it
	// is a valid maker (one line), cut to the length allowed. The "Maker "
	// prefix keeps it from naming a maker the catalog has a path for, so
	// that every name gets the same steps (issue 17: maker-specific steps).
	maker := []rune("Maker " + name)[:min(len([]rune("Maker "+name)), MaxManufacturer)]
	if strings.ContainsFunc(string(maker), unicode.IsControl) {
		maker = []rune("Maker")
	}
	for i := range a.Populations {
		a.Populations[i].Name = name + " " + strconv.Itoa(i+1)
		a.Populations[i].Manufacturer = string(maker)
	}
	a.Baseline = append(append([]string(nil), base.Baseline...), name)
	a.Rollout.PilotGroup = name
	a.Rollout.Waves = append([]Wave(nil), base.Rollout.Waves...)
	for i := range a.Rollout.Waves {
		a.Rollout.Waves[i].Name = name + " " + strconv.Itoa(i+1)
		a.Rollout.Waves[i].Group = name
	}
	a.TenantCheck = &TenantCheck{Schema: TenantCheckSchema, ReadAt: "2027-01-04T09:30:00Z", Tenant: base.Tenant,
		Findings: []Finding{
			{ID: "apple-mdm-push-certificate", Status: FindingWarning, Title: name, Detail: name},
			{ID: "managed-google-play", Status: FindingMissing, Title: name, Detail: name, Permission: name},
		},
		Expiries: []Expiry{{Kind: ExpiryApplePush, Name: name, Date: "2027-01-30"}, {Kind: ExpiryADEToken, Name: name, Date: "2027-03-01"}}}
	return a
}

func northwind(tb testing.TB, c *Catalog) Answers {
	tb.Helper()
	data, err := os.ReadFile("../../examples/northwind.json")
	if err != nil {
		tb.Fatal(err)
	}
	a, err := c.DecodeAnswers(data)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// buildWithName builds the plan for name; ok is false when the answers
// are invalid with that name (too long, blank), which is not the renderer's concern.
func buildWithName(tb testing.TB, c *Catalog, base Answers, name string) (*Plan, bool) {
	p, err := c.Build(fuzzPlanAnswers(tb, base, name))
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			tb.Fatalf("Build failed without a ValidationError: %v", err)
		}
		return nil, false
	}
	return p, true
}

// mdLineStart is what makes a line a heading, list item, quote or table row.
var mdLineStart = regexp.MustCompile(`^(#{1,6} |[ \t]*(?:[-+*] \[[ xX]\] |[-+*] |\d+[.)] |> |\|)|[ \t]*[=-]+[ \t]*$)?`)

// mdMarkup is the Markdown a line opens: its line-start construct, then in
// order every character that could open or close inline markup (code
// spans, emphasis, links and images, HTML and autolinks, table cells,
// strikethrough, entities, hard breaks) that is not backslash-escaped.
// A quote's ">" counts only at the start of a line, in mdLineStart.
// Ordinary text, escaped characters and parentheses (which mean nothing
// without an unescaped ]) contribute nothing.
func mdMarkup(line string) string {
	var b strings.Builder
	start := mdLineStart.FindString(line)
	b.WriteString("«" + start + "»")
	rest := line[len(start):]
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '\\' && i+1 < len(rest) && isASCIIPunct(rest[i+1]):
			i++ // an escape: the next character is text
		case c == '&':
			if i+1 < len(rest) && (rest[i+1] == '#' || isASCIILetter(rest[i+1])) {
				b.WriteByte('&')
			}
		case strings.IndexByte("\\`*_[]<|~", c) >= 0: // ">" alone opens nothing inside a line: tags and autolinks need "<"
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// FuzzWriteMarkdown: a hostile organisation, population, wave, group,
// baseline or tenant-check text never changes the Markdown's structure —
// no extra line, and on every line exactly the markup the same plan has
// with plain names: a name never opens a link, image, code span, HTML tag,
// heading, list, quote or table cell outside its place.
func FuzzWriteMarkdown(f *testing.F) {
	for _, s := range hostileNames {
		f.Add(s)
	}
	c := testCatalog(f)
	base := northwind(f, c)
	ref, ok := buildWithName(f, c, base, "Plain")
	if !ok {
		f.Fatal("the reference plan does not build")
	}
	var want bytes.Buffer
	if err := WriteMarkdown(&want, ref); err != nil {
		f.Fatal(err)
	}
	wantLines := strings.Split(want.String(), "\n")
	f.Fuzz(func(t *testing.T, name string) {
		p, ok := buildWithName(t, c, base, name)
		if !ok {
			return
		}
		var got bytes.Buffer
		if err := WriteMarkdown(&got, p); err != nil {
			t.Fatal(err)
		}
		gotLines := strings.Split(got.String(), "\n")
		if len(gotLines) != len(wantLines) {
			t.Fatalf("name %q: %d lines, with a plain name %d", name, len(gotLines), len(wantLines))
		}
		for i := range gotLines {
			if g, w := mdMarkup(gotLines[i]), mdMarkup(wantLines[i]); g != w {
				t.Fatalf("name %q changes the markup of line %d:\n got  %s\n      %q\n want %s\n      %q", name, i+1, g, gotLines[i], w, wantLines[i])
			}
		}
	})
}

// FuzzWriteCSV: with hostile names the CSV still parses to the same rows
// and columns, and no cell starts as a formula (= + - @, tab, carriage
// return), so every cell is CSVSafe.
func FuzzWriteCSV(f *testing.F) {
	for _, s := range hostileNames {
		f.Add(s)
	}
	c := testCatalog(f)
	base := northwind(f, c)
	ref, ok := buildWithName(f, c, base, "Plain")
	if !ok {
		f.Fatal("the reference plan does not build")
	}
	var want bytes.Buffer
	if err := WriteCSV(&want, ref); err != nil {
		f.Fatal(err)
	}
	wantRows, err := csv.NewReader(&want).ReadAll()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, ok := buildWithName(t, c, base, name)
		if !ok {
			return
		}
		var got bytes.Buffer
		if err := WriteCSV(&got, p); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(got.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("name %q: the CSV does not parse: %v", name, err)
		}
		if len(rows) != len(wantRows) {
			t.Fatalf("name %q: %d rows, with a plain name %d", name, len(rows), len(wantRows))
		}
		for i, row := range rows {
			if len(row) != len(CSVHeader) {
				t.Fatalf("name %q: row %d has %d cells", name, i+1, len(row))
			}
			for j, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("name %q: row %d cell %d starts a formula: %q", name, i+1, j+1, cell)
				}
				if CSVSafe(cell) != cell {
					t.Fatalf("name %q: row %d cell %d is not CSVSafe: %q", name, i+1, j+1, cell)
				}
			}
		}
	})
}

// FuzzDecodeTenantCheck: any upload either decodes into a check that
// validates and builds into a plan, or yields field-addressed errors;
// never a panic, never an error list without bound.
func FuzzDecodeTenantCheck(f *testing.F) {
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","read_at":"2027-01-04T09:30:00Z","tenant":{"mdm_authority":"intune","managed_google_play":false,"cloud":"gcc-high"},"findings":[{"id":"mdm-authority","status":"ok","title":"MDM authority is Intune","detail":"","permission":""}],"expiries":[{"kind":"ade-token","name":"ABM","date":"2027-06-01"}],"restrictions":{"blocked":["macos"],"personal_blocked":["ios"]}}`))
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","companyCodes":[{"enrollmentToken":"abc"}]}`))
	f.Add([]byte(`{"schema":"enrollplan.answers/v1","organization":"x","populations":[]}`))
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","findings":[{"id":"x","status":"great","title":"t"}],"expiries":[{"kind":"ade-token","name":"a","date":"soon"}]}`))
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","schema":"enrollplan.tenant/v1","restrictions":{"blocked":["ios","ios","palmos",1,null]}}`))
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","read_at":"yesterday","tenant":{"cloud":"moon"},"findings":{}}`))
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","findings":[` + strings.Repeat(`{"id":"a","status":"ok","title":"t"},`, 70) + `{}]}`))
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","expiries":[{"kind":"apple-push-certificate","name":"` + strings.Repeat("n", 300) + `","date":"2027-02-30"}]}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Add([]byte(`{"schema":"enrollplan.tenant/v1","restrictions":null,"expiries":null,"tenant":null}`))
	c := testCatalog(f)
	base := northwind(f, c)
	f.Fuzz(func(t *testing.T, data []byte) {
		tc, err := DecodeTenantCheck(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("error is not a ValidationError: %v", err)
			}
			for _, fe := range ve.Errors {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("error without field or message: %+v", fe)
				}
			}
			if n := len(err.Error()); n > 256<<10 {
				t.Fatalf("error text is %d bytes", n)
			}
			return
		}
		// A check that decodes is one the wizard keeps in the answers:
		// it must survive a round trip and build.
		a := base
		a.TenantCheck = tc
		data2, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		a2, err := c.DecodeAnswers(data2)
		if err != nil {
			t.Fatalf("a decoded check does not decode again inside answers: %v", err)
		}
		if _, err := c.Build(a2); err != nil {
			t.Fatalf("answers with a decoded check do not build: %v", err)
		}
	})
}
