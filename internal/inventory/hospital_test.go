package inventory

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// TestHospitalExample reads the hospital's three exports (examples/inventory)
// and checks that, after the one split a planner makes (doctors' laptops
// from administration desktops, by the start of their names), the groups
// are the populations of examples/hospital-rollout.json: platform,
// ownership, use, what manages them, maker and count. The staff's own
// phones are in no inventory: they get app protection without enrollment.
func TestHospitalExample(t *testing.T) {
	data, err := os.ReadFile("../../examples/hospital-rollout.json")
	if err != nil {
		t.Fatal(err)
	}
	var example plan.Answers
	if err := json.Unmarshal(data, &example); err != nil {
		t.Fatal(err)
	}

	pcs := readFile(t, "../../examples/inventory/hospital.csv", Options{})
	if len(pcs.Stale) != 20 || len(pcs.Unplaced) != 3 {
		t.Fatalf("hospital.csv: %d stale (want 20), %d unplaced (want 3): %v", len(pcs.Stale), len(pcs.Unplaced), pcs.Unplaced)
	}
	i := slices.IndexFunc(pcs.Groups, func(g Group) bool { return g.Usage == plan.UsageUser })
	split, err := SplitGroup(pcs, pcs.Groups[i].ID, ByNamePrefix)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, split)

	a := &plan.Answers{Organization: example.Organization}
	Merge(a, split)
	Merge(a, readFile(t, "../../examples/inventory/hospital-mdm.csv", Options{}))
	Merge(a, readFile(t, "../../examples/inventory/hospital-unmanaged.csv", Options{}))

	type pop struct {
		platform, ownership, usage, managed, maker string
		devices                                    int
	}
	key := func(p plan.Population) pop {
		return pop{p.Platform, p.Ownership, p.EffectiveUsage(), p.ManagedBy, p.Manufacturer, p.Devices}
	}
	var got, want []pop
	for _, p := range a.Populations {
		k := key(p)
		if k.platform != "android" {
			k.maker = "" // the example names a maker only where it changes the path
		}
		got = append(got, k)
	}
	for _, p := range example.Populations {
		if p.Enrolls() {
			want = append(want, key(p))
		}
	}
	cmpPop := func(a, b pop) int {
		if a.devices != b.devices {
			return a.devices - b.devices
		}
		return 0
	}
	slices.SortFunc(got, cmpPop)
	slices.SortFunc(want, cmpPop)
	if !slices.Equal(got, want) {
		t.Fatalf("populations from the inventories:\n%v\nthe example's:\n%v", got, want)
	}
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Validate(a); err != nil {
		t.Fatalf("merged answers do not validate: %v", err)
	}
}
