package inventory

import (
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

func TestSplitGroup(t *testing.T) {
	res := readFile(t, "../../examples/inventory/hospital.csv", Options{})
	id := res.Groups[0].ID // the 800 PCs with a primary user
	before := res.Groups[0]

	byName, err := SplitGroup(res, id, ByNamePrefix)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, g := range byName.Groups {
		names[g.Name] = g.Devices
	}
	if names["Windows PCs managed by Configuration Manager (names starting DOC)"] != 420 ||
		names["Windows PCs managed by Configuration Manager (names starting ADM)"] != 380 || len(byName.Groups) != 3 {
		t.Fatalf("split by name: %v", names)
	}
	if res.Groups[0] != before || res.Devices[0].Population != byIDOf(res, res.Devices[0].Row) {
		t.Fatal("SplitGroup changed the result it was given")
	}

	byModel, err := SplitGroup(res, id, ByModel)
	if err != nil || len(byModel.Groups) != 3 || byModel.Groups[0].Name != "Windows PCs managed by Configuration Manager (Latitude 7440)" {
		t.Fatalf("split by model: %v %+v", err, byModel.Groups)
	}
	byMaker, err := SplitGroup(res, id, ByMaker)
	if err != nil || byMaker.Groups[0].Manufacturer != "Dell" || byMaker.Groups[1].Manufacturer != "HP" {
		t.Fatalf("split by maker: %v %+v", err, byMaker.Groups)
	}
	byOS, err := SplitGroup(res, id, ByOSVersion)
	if err != nil || !strings.HasSuffix(byOS.Groups[0].Name, "(Windows 11)") || !strings.HasSuffix(byOS.Groups[1].Name, "(Windows 10)") {
		t.Fatalf("split by OS version: %v %+v", err, byOS.Groups)
	}
	for _, r := range []*Result{byName, byModel, byMaker, byOS} {
		checkConsistent(t, r)
	}

	// All 800 have a primary user: nothing to split, said in words.
	if _, err := SplitGroup(res, id, ByUser); err == nil || !strings.Contains(err.Error(), "nothing to split") {
		t.Fatalf("split by user: %v", err)
	}
	if _, err := SplitGroup(res, id, "colour"); err == nil || !strings.Contains(err.Error(), "not a way to split") {
		t.Fatalf("unknown split: %v", err)
	}
	if _, err := SplitGroup(res, "nope", ByModel); err == nil || !strings.Contains(err.Error(), "no group") {
		t.Fatalf("unknown group: %v", err)
	}
}

// byIDOf finds the population a row was placed in.
func byIDOf(res *Result, row int) string {
	for _, d := range res.Devices {
		if d.Row == row {
			return d.Population
		}
	}
	return ""
}

// TestSplitByUserSetsUsage: PCs with a primary user are the user's, those
// without are shared.
func TestSplitByUserSetsUsage(t *testing.T) {
	res, err := Read(strings.NewReader("Device name,OS,Primary user UPN,Managed by\nPC-1,Windows,user001@contoso.example,Intune\nPC-2,Windows,,Intune\nPC-3,Windows,user003@contoso.example,Intune\n"), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := MergeGroups(res, res.Groups[0].ID, res.Groups[1].ID)
	if err != nil || len(merged.Groups) != 1 || merged.Groups[0].Devices != 3 {
		t.Fatalf("merge: %v %+v", err, merged)
	}
	checkConsistent(t, merged)
	split, err := SplitGroup(merged, merged.Groups[0].ID, ByUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(split.Groups) != 2 || split.Groups[0].Usage != plan.UsageUser || split.Groups[1].Usage != plan.UsageShared || split.Groups[1].Devices != 1 {
		t.Fatalf("split by user: %+v", split.Groups)
	}
}

// TestSplitCapsParts: a split into many models keeps the biggest parts and
// puts the rest together.
func TestSplitCapsParts(t *testing.T) {
	var b strings.Builder
	b.WriteString("Device name,OS,Model\n")
	for i := range 40 {
		b.WriteString("PC-" + string(rune('A'+i%26)) + ",Windows,Model " + string(rune('A'+i%20)) + "\n")
	}
	res, err := Read(strings.NewReader(b.String()), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	split, err := SplitGroup(res, res.Groups[0].ID, ByModel)
	if err != nil {
		t.Fatal(err)
	}
	if len(split.Groups) != maxParts || !strings.HasSuffix(split.Groups[maxParts-1].Name, "(other models)") || split.Groups[maxParts-1].Devices != 26 {
		t.Fatalf("capped split: %d groups, last %+v", len(split.Groups), split.Groups[len(split.Groups)-1])
	}
	checkConsistent(t, split)
}

func TestMergeAndRename(t *testing.T) {
	res := readFile(t, "testdata/workspaceone.csv", Options{})
	var iphones, ipads, windows string
	for _, g := range res.Groups {
		switch {
		case strings.HasPrefix(g.Name, "iPhones"):
			iphones = g.ID
		case strings.HasPrefix(g.Name, "Shared iPads"):
			ipads = g.ID
		case strings.HasPrefix(g.Name, "Windows"):
			windows = g.ID
		}
	}
	if _, err := MergeGroups(res, iphones, windows); err == nil || !strings.Contains(err.Error(), "two platforms") {
		t.Fatalf("merging iPhones with Windows PCs: %v", err)
	}
	if _, err := MergeGroups(res, iphones, iphones); err == nil {
		t.Fatal("merging a group with itself")
	}
	merged, err := MergeGroups(res, iphones, ipads)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Groups) != len(res.Groups)-1 || merged.Groups[0].Devices != 85 || merged.Groups[0].Usage != plan.UsageUser {
		t.Fatalf("merged: %+v", merged.Groups[0])
	}
	checkConsistent(t, merged)

	renamed, err := RenameGroup(merged, iphones, "  Store staff iPhones and iPads ")
	if err != nil || renamed.Groups[0].Name != "Store staff iPhones and iPads" || renamed.Groups[0].ID != iphones || merged.Groups[0].Name == renamed.Groups[0].Name {
		t.Fatalf("rename: %v %+v", err, renamed.Groups[0])
	}
	for _, bad := range []string{"", "   ", "two\nlines", strings.Repeat("x", plan.MaxText+1)} {
		if _, err := RenameGroup(merged, iphones, bad); err == nil {
			t.Errorf("rename to %q accepted", bad)
		}
	}
}

// TestMergeIntoAnswers: ids the answers already use are renamed, in the
// result's devices too, and the summary places only populations' rows.
func TestMergeIntoAnswers(t *testing.T) {
	res := readFile(t, "testdata/intune.csv", Options{})
	a := &plan.Answers{Schema: plan.AnswersSchema, Organization: "Contoso", Populations: []plan.Population{
		{ID: "windows-pcs-configmgr", Name: "Typed by hand", Platform: "windows", Ownership: "corporate", Devices: 5},
	}}
	Merge(a, res)
	if len(a.Populations) != 4 || a.Populations[1].ID == "windows-pcs-configmgr" {
		t.Fatalf("populations: %+v", a.Populations)
	}
	renamed := a.Populations[1].ID
	if res.Groups[0].ID != renamed || byIDOf(res, a.Inventory.Devices[0].Row) == "" {
		t.Fatalf("result not renamed with the answers: %q vs %q", res.Groups[0].ID, renamed)
	}
	// 65 devices in populations; the 53 already in Intune, 6 stale and 2
	// unplaced rows are not placed.
	if len(a.Inventory.Devices) != 65 || a.Inventory.Rows != 126 {
		t.Fatalf("inventory: %d devices of %d rows", len(a.Inventory.Devices), a.Inventory.Rows)
	}
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Validate(a); err != nil {
		t.Fatalf("merged answers: %v", err)
	}
}
