package plan

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// hostileTenantText is text a tenant (an ADE token's name, an Apple ID) or
// an uploaded check file could carry: markup for each format a plan is
// exported to.
var hostileTenantText = []string{
	`<script>alert(1)</script>`,
	`[click me](https://evil.example/steal)`,
	`=HYPERLINK("https://evil.example","open")`,
	`**bold** | col | _em_ ` + "`code`",
	"+cmd|' /C calc'!A0",
	"@SUM(1+1)",
	"-2+3",
	"# heading\n[x](javascript:alert(1))",
}

// TestTenantTextIsDataInExports puts hostile names into everything a tenant
// check or a planner's tenant answers can carry and reads the Markdown and
// CSV exports as a customer's tools would: no live HTML, no link, no table
// cell split, no spreadsheet formula (issue 16, "Text from a tenant is data").
func TestTenantTextIsDataInExports(t *testing.T) {
	c := testCatalog(t)
	var raw map[string]any
	if err := json.Unmarshal(readExample(t, "northwind"), &raw); err != nil {
		t.Fatal(err)
	}
	tenant := raw["tenant"].(map[string]any)
	var expiries, findings, checkExp []any
	for i, h := range hostileTenantText {
		date := "2027-0" + string(rune('1'+i%8)) + "-15"
		what := []string{"ade-token", "vpp-token", "bulk-token", "apple-mdm-push-certificate"}[i%4]
		expiries = append(expiries, map[string]any{"what": what, "name": h, "expires": date})
		findings = append(findings, map[string]any{"id": "hostile." + string(rune('a'+i)), "status": "warning", "title": h, "detail": h + " expires soon", "permission": ""})
		checkExp = append(checkExp, map[string]any{"kind": "ade-token", "name": h, "date": date})
	}
	tenant["expiries"] = expiries
	raw["tenant_check"] = map[string]any{"schema": TenantCheckSchema, "read_at": "2026-11-20T10:00:00Z", "tenant": map[string]any{},
		"findings": findings, "expiries": checkExp}
	data, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.DecodeAnswers(data)
	if err != nil {
		t.Fatalf("hostile names are valid answers (they are just names): %v", err)
	}
	p, err := c.BuildWith(a, BuildOptions{Today: "2026-11-24"})
	if err != nil {
		t.Fatal(err)
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, bad := range []string{"<script", "](https://evil", "](javascript:", "**bold**", "\n# heading", "| col |"} {
		for i := 0; ; {
			j := strings.Index(out[i:], bad)
			if j < 0 {
				break
			}
			i += j
			if i == 0 || out[i-1] != '\\' { // escaped markup reads as text
				t.Errorf("Markdown export carries tenant markup %q live: …%s…", bad, out[max(0, i-80):min(len(out), i+80)])
			}
			i += len(bad)
		}
	}
	if !strings.Contains(out, `\<script>alert(1)\</script>`) {
		t.Errorf("Markdown export lost the token name instead of escaping it")
	}

	var cs bytes.Buffer
	if err := WriteCSV(&cs, p); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatalf("CSV export does not parse: %v", err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("CSV cell a spreadsheet would run as a formula: %q", cell)
			}
		}
	}
}
