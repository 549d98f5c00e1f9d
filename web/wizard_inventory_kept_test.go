package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// TestInventoryKeptAcrossFiles: a hospital's three exports imported one
// after the other, each added with its list kept, give one kept list of
// every file's placed devices, each in a population of the answers;
// "Upload another file" in the middle brings the earlier list back, and
// replacing the populations drops it.
func TestInventoryKeptAcrossFiles(t *testing.T) {
	e := newInventoryEnv(t).step1()
	ctx := context.Background()
	keep := url.Values{"keep": {"1"}}
	// placed is what the grouping under way puts in the plan: its groups
	// with devices (Intune's left out), and their devices.
	placed := func() (groups, devices int) {
		t.Helper()
		inv := e.draft().Inventory
		for _, g := range inv.Groups {
			if n := g.devices(inv); !g.InIntune && n > 0 {
				groups, devices = groups+1, devices+n
			}
		}
		return groups, devices
	}
	apply := func(mode string, groups, devices int) {
		t.Helper()
		f := e.groupsForm("apply", url.Values{"keep": {"1"}})
		if mode != "" {
			f.Set("mode", mode)
		}
		expectRedirect(t, e.p.post(inventoryGroupsPath, f), fmt.Sprintf("/wizard/devices?imported=%d-%d", groups, devices))
	}
	checkKept := func(want int) {
		t.Helper()
		d := e.draft()
		if !d.deviceListKept() || d.Inventory.Devices != want {
			t.Fatalf("not a kept list of %d: %+v", want, d.Inventory)
		}
		data, _, err := e.db.GetDeviceList(ctx, store.DraftDevices(d.ID))
		if err != nil {
			t.Fatal(err)
		}
		list, err := inventory.DecodeList(data)
		if err != nil || len(list) != want {
			t.Fatalf("kept list: %d devices, want %d (%v)", len(list), want, err)
		}
		ids := map[string]bool{}
		for _, p := range d.Answers.Populations {
			ids[p.ID] = true
		}
		for _, dev := range list {
			if !ids[dev.Population] {
				t.Fatalf("device row %d in %q, no population of the answers", dev.Row, dev.Population)
			}
		}
	}

	e.importFile("hospital.csv", readFixture(t, "../examples/inventory/hospital.csv"), keep)
	g1, n1 := placed()
	rows1 := e.draft().Inventory.Rows
	apply("", g1, n1)
	checkKept(n1)

	// Another file, then "Upload another file": the first list is back.
	mdm := readFixture(t, "../examples/inventory/hospital-mdm.csv")
	e.importFile("hospital-mdm.csv", mdm, keep)
	if d := e.draft(); d.deviceListKept() || !d.Inventory.Carried {
		t.Fatalf("the second upload: %+v", d.Inventory)
	}
	expectRedirect(t, e.p.post(inventoryGroupsPath, url.Values{"action": {"another"}}), inventoryPath)
	checkKept(n1)

	// Added, kept: both files' devices.
	r := e.importFile("hospital-mdm.csv", mdm, keep)
	if page := text(r.body); !strings.Contains(page, fmt.Sprintf("kept from your earlier files (%s devices)", plan.Thousands(n1))) {
		t.Errorf("the grouping page does not say what becomes of the kept list: %.800s", page)
	}
	g2, n2 := placed()
	rows2 := e.draft().Inventory.Rows
	apply("add", g2, n2)
	checkKept(n1 + n2)
	if inv := e.draft().Answers.Inventory; inv.Rows != rows1+rows2 || inv.Columns["name"] != "Device name" {
		t.Errorf("summary after adding: rows %d (want %d), columns %v", inv.Rows, rows1+rows2, inv.Columns)
	}

	// The asset register asks about its column; discarding it while asked
	// brings the list back too.
	unmanaged := readFixture(t, "../examples/inventory/hospital-unmanaged.csv")
	expectRedirect(t, e.p.uploadInventory("hospital-unmanaged.csv", unmanaged, keep), inventoryGroupsPath)
	if page := text(e.p.get(inventoryGroupsPath).body); !strings.Contains(page, "Column “Ward”") {
		t.Fatalf("the Ward column not asked about: %.500s", page)
	}
	expectRedirect(t, e.p.post(inventoryGroupsPath, url.Values{"action": {"another"}}), inventoryPath)
	checkKept(n1 + n2)
	expectRedirect(t, e.p.uploadInventory("hospital-unmanaged.csv", unmanaged, keep), inventoryGroupsPath)
	expectRedirect(t, e.p.post(inventoryGroupsPath, url.Values{"action": {"columns"}}), inventoryGroupsPath)
	g3, n3 := placed()
	if n3 == 0 {
		t.Fatal("nothing placed from the asset register")
	}
	apply("add", g3, n3)
	checkKept(n1 + n2 + n3)

	// The draft's worklist: one row per kept device.
	{
		d := e.draft()
		d.Answers.Organization, d.Reached = "St Elsewhere", stepPlan
		if err := e.s.storeDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		r := e.p.get("/wizard/worklist.csv")
		if r.status != 200 {
			t.Fatalf("draft worklist: %d %.300s", r.status, r.body)
		}
		if rows := readCSV(t, r.body); len(rows) != n1+n2+n3 {
			t.Errorf("draft worklist: %d rows for %d kept devices", len(rows), n1+n2+n3)
		}
	}

	// A population removed from step 2 meanwhile takes its kept devices
	// with it.
	{
		d := e.draft()
		gone := d.Answers.Populations[0].ID
		data, _, _ := e.db.GetDeviceList(ctx, store.DraftDevices(d.ID))
		list, _ := inventory.DecodeList(data)
		in := 0
		for _, dev := range list {
			if dev.Population == gone {
				in++
			}
		}
		d.Answers.Populations = d.Answers.Populations[1:]
		if err := e.s.storeDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		e.importFile("hospital-mdm.csv", mdm, keep)
		g, n := placed()
		apply("add", g, n)
		checkKept(n1 + n2 + n3 - in + n)
		if in == 0 {
			t.Error("the removed population had no kept devices: the test proves nothing")
		}
	}

	// Replacing the populations drops the earlier list.
	r = e.importFile("hospital-mdm.csv", mdm, keep)
	if page := text(r.body); !strings.Contains(page, "So is the list of the") {
		t.Errorf("replacing does not say the kept list goes: %.800s", page)
	}
	apply("replace", g2, n2)
	checkKept(n2)
}
