package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

const hospitalInventory = "../../examples/inventory/hospital.csv"

// decodeOutput reads what `inventory` printed and checks that, with an
// organisation, the answers hold (populations, and each placed row in one).
func decodeOutput(t *testing.T, out string) plan.Answers {
	t.Helper()
	var a plan.Answers
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("stdout is not answers JSON: %v\n%.300s", err, out)
	}
	if a.Schema != plan.AnswersSchema {
		t.Fatalf("schema %q", a.Schema)
	}
	if a.Organization == "" {
		a.Organization = "Lakeside General Hospital"
	}
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Validate(&a); err != nil {
		t.Fatalf("printed answers do not hold: %v", err)
	}
	return a
}

func TestInventoryCommand(t *testing.T) {
	code, out, errs := cli(t, "", nil, "inventory", hospitalInventory, "--today", "2026-12-07")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	a := decodeOutput(t, out)
	if len(a.Populations) != 2 || a.Populations[0].Name != "Windows PCs managed by Configuration Manager" || a.Populations[0].Devices != 800 ||
		a.Populations[1].Usage != plan.UsageShared || a.Populations[1].Devices != 600 || a.Populations[1].ManagedBy != plan.ManagedConfigMgr {
		t.Fatalf("populations: %+v", a.Populations)
	}
	if a.Inventory == nil || a.Inventory.Rows != 1423 || len(a.Inventory.Devices) != 1400 || a.Inventory.Columns["os"] != "OS" {
		t.Fatalf("inventory summary: rows %d, %d devices", a.Inventory.Rows, len(a.Inventory.Devices))
	}
	if strings.Contains(out, "NURSE-") || strings.Contains(out, "lakeside.example") {
		t.Fatal("names or users leaked into the answers")
	}
	// Unplaced and stale rows, one line each with the reason, then a summary.
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 3+20+2 {
		t.Fatalf("stderr has %d lines, want 3 unplaced, 20 stale, the summary and the note on the organisation:\n%s", len(lines), errs)
	}
	for _, want := range []string{
		"row 490 (SRV-PACS-01): “Windows Server 2019 Standard” is Windows Server, which Intune does not enroll",
		"row 14 (IMAGING-CART-01): the column “OS” is empty and the column “Model” is empty",
		"(more than 90): offer to retire it rather than enrol it (stale)",
		"Read 1,423 rows (Intune export): 1,400 devices in 2 populations, 20 stale, 3 not placed.",
		"before `enrollplan plan` reads these answers: organization: is missing",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestInventoryIntoAnswers: --answers keeps what the answers said and adds
// the populations, renaming an id already taken; flags may follow the file.
func TestInventoryIntoAnswers(t *testing.T) {
	existing := `{"schema":"enrollplan.answers/v1","organization":"Lakeside General Hospital","tenant":{"configmgr":true},
		"populations":[{"id":"shared-ipads","name":"Theatre iPads","platform":"ios","ownership":"corporate","usage":"shared","devices":12,"method":""}],
		"bulk_enrollment_by_staff":false,"baseline":["compliance"],"rollout":{"pilot_group":"IT"}}`
	code, out, errs := cli(t, existing, nil, "inventory", "../../examples/inventory/hospital-unmanaged.csv", "--answers", "-", "--today", "2026-12-07")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	a := decodeOutput(t, out)
	if a.Organization != "Lakeside General Hospital" || a.Tenant.ConfigMgr == nil || len(a.Baseline) != 1 || a.Rollout.PilotGroup != "IT" {
		t.Fatalf("the answers' own fields were not kept: %+v", a)
	}
	if len(a.Populations) != 4 || a.Populations[0].Name != "Theatre iPads" || a.Populations[1].ID != "shared-ipads-2" || a.Populations[1].Devices != 180 {
		t.Fatalf("populations: %+v", a.Populations)
	}
	if strings.Contains(errs, "before `enrollplan plan`") {
		t.Fatalf("complete answers still draw a note: %s", errs)
	}
}

func TestInventoryFromStdin(t *testing.T) {
	data, err := os.ReadFile("../../internal/inventory/testdata/workspaceone.csv")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, string(data), nil, "inventory", "--stale-days", "0", "--today", "2026-12-07", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	a := decodeOutput(t, out)
	if len(a.Populations) != 5 || a.Populations[0].Devices != 65 || strings.Contains(errs, "(stale)") {
		t.Fatalf("--stale-days 0 counts no device stale: %+v\n%s", a.Populations, errs)
	}
}

func TestInventoryExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"every device already in Intune", "Device name,OS,Managed by\nPC-1,Windows,Intune\n", []string{"inventory", "-"}, 1, "no device could be placed"},
		{"nothing placeable", "Device name,OS\nPRN-1,Printer\n", []string{"inventory", "-"}, 1, "row 1 (PRN-1): the column “OS” holds “Printer”, which names no platform"},
		{"no file", "", []string{"inventory"}, 2, "name the device inventory"},
		{"missing file", "", []string{"inventory", "/nonexistent/devices.csv"}, 2, "cannot read the inventory"},
		{"not an inventory", "%PDF-1.7", []string{"inventory", "-"}, 2, "This is a PDF"},
		{"broken quote", "Device name,OS\nPC-1,\"Windows\nPC-2,Windows\nPC-3,Windows\n", []string{"inventory", "-"}, 2, "line 2: a quotation mark opens a value"},
		{"unknown flag", "", []string{"inventory", "--colour", "x.csv"}, 2, "flag provided but not defined"},
		{"flag after the file", "", []string{"inventory", "x.csv", "--nope"}, 2, "flag provided but not defined"},
		{"two files", "", []string{"inventory", "a.csv", "b.csv"}, 2, `unexpected argument "b.csv"`},
		{"bad date", "", []string{"inventory", "--today", "7/12/2026", "x.csv"}, 2, "is not a date"},
		{"negative stale days", "", []string{"inventory", "--stale-days", "-1", "x.csv"}, 2, "--stale-days must be 0 or more"},
		{"both from stdin", "", []string{"inventory", "-", "--answers", "-"}, 2, "cannot both come from standard input"},
		{"bad answers", "{\"colour\":1}", []string{"inventory", hospitalInventory, "--answers", "-"}, 2, "not enrollplan.answers/v1 JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := cli(t, tc.stdin, nil, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d stderr %q; want exit %d containing %q", code, errs, tc.code, tc.stderr)
			}
			if out != "" {
				t.Fatalf("a failed run printed answers: %.200s", out)
			}
		})
	}
}
