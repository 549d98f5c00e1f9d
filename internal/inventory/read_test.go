package inventory

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// want is a group as a person would make it.
type want struct {
	name, platform, ownership, usage, managed string
	devices                                   int
	intune                                    bool
}

func (w want) String() string {
	return fmt.Sprintf("%q %s/%s/%s/%q %d intune=%v", w.name, w.platform, w.ownership, w.usage, w.managed, w.devices, w.intune)
}

func got(g Group) want {
	return want{g.Name, g.Platform, g.Ownership, g.Usage, g.ManagedBy, g.Devices, g.InIntune}
}

func readFile(t testing.TB, path string, opts Options) *Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if opts.Today.IsZero() {
		opts.Today = testToday
	}
	res, err := Read(f, opts)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res
}

const (
	win, ios, mac, android = "windows", "ios", "macos", "android"
	corp, pers             = plan.OwnCorporate, plan.OwnPersonal
	user, shared, kiosk    = plan.UsageUser, plan.UsageShared, plan.UsageDedicated
	cm, other, none        = plan.ManagedConfigMgr, plan.ManagedOtherMDM, plan.ManagedNone
)

// TestFixtures reads each vendor's export and checks the groups a person
// would make of it: names, platforms, ownership, use, what manages them and
// counts, and which rows are stale or cannot be placed.
func TestFixtures(t *testing.T) {
	cases := []struct {
		file     string
		format   string
		groups   []want
		stale    int
		unplaced []string // a word of each reason, in row order
	}{
		{"testdata/intune.csv", FormatIntune, []want{
			{"Windows PCs managed by Configuration Manager", win, corp, user, cm, 40, false},
			{"Shared Windows PCs managed by Configuration Manager", win, corp, shared, cm, 15, false},
			{"Windows PCs", win, corp, user, none, 10, false},
			{"Windows PCs already in Intune", win, corp, user, "", 25, true},
			{"Personal iPhones already in Intune", ios, pers, user, "", 20, true},
			{"Zebra Android kiosks already in Intune", android, corp, kiosk, "", 8, true},
		}, 6, []string{"Windows Server", "is empty"}},
		{"testdata/configmgr.csv", FormatConfigMgr, []want{
			{"Windows PCs managed by Configuration Manager", win, corp, user, cm, 50, false},
			{"Shared Windows PCs managed by Configuration Manager", win, corp, shared, cm, 20, false},
			{"Windows PCs", win, corp, user, none, 8, false},
			{"Personal Windows PCs managed by Configuration Manager", win, pers, user, cm, 3, false},
		}, 5, []string{"Windows Server", "is empty"}},
		{"testdata/jamf.csv", FormatJamf, []want{
			{"Macs managed by Jamf Pro", mac, corp, user, other, 45, false},
			{"Macs", mac, corp, user, none, 10, false},
		}, 4, nil},
		{"testdata/workspaceone.csv", FormatWorkspaceONE, []want{
			{"iPhones managed by Workspace ONE", ios, corp, user, other, 60, false},
			{"Personal Android devices managed by Workspace ONE", android, pers, user, other, 30, false},
			{"Shared iPads managed by Workspace ONE", ios, corp, shared, other, 25, false},
			{"Zebra Android kiosks managed by Workspace ONE", android, corp, kiosk, other, 12, false},
			{"Windows PCs managed by Workspace ONE", win, corp, user, other, 10, false},
		}, 5, []string{"Apple TV"}},
		{"testdata/apple-business.csv", FormatAppleBusiness, []want{
			{"iPads", ios, corp, user, none, 40, false},
			{"iPhones managed by another MDM", ios, corp, user, other, 30, false},
			{"Macs", mac, corp, user, none, 20, false},
		}, 0, []string{"Apple TV", "Apple TV"}},
		{"testdata/spreadsheet.csv", FormatSpreadsheet, []want{
			{"Windows PCs", win, corp, user, "", 30, false},
			{"Personal iPhones", ios, pers, user, "", 15, false},
			{"Shared iPads", ios, corp, shared, "", 12, false},
			{"Zebra Android kiosks", android, corp, kiosk, "", 8, false},
		}, 3, []string{"is empty", "Printer"}},
		{"testdata/spreadsheet.xlsx", FormatSpreadsheet, []want{
			{"Windows PCs", win, corp, user, "", 30, false},
			{"Personal iPhones", ios, pers, user, "", 15, false},
			{"Shared iPads", ios, corp, shared, "", 12, false},
			{"Zebra Android kiosks", android, corp, kiosk, "", 8, false},
		}, 3, []string{"is empty", "Printer"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res := readFile(t, tc.file, Options{})
			if res.Format != tc.format {
				t.Errorf("format %q, want %q", res.Format, tc.format)
			}
			var gs []want
			for _, g := range res.Groups {
				gs = append(gs, got(g))
			}
			if !slices.Equal(gs, tc.groups) {
				t.Errorf("groups:\n%s\nwant:\n%s", lines(gs), lines(tc.groups))
			}
			if len(res.Stale) != tc.stale {
				t.Errorf("%d stale, want %d: %v", len(res.Stale), tc.stale, res.Stale)
			}
			if len(res.Unplaced) != len(tc.unplaced) {
				t.Fatalf("unplaced %v, want %d", res.Unplaced, len(tc.unplaced))
			}
			for i, s := range res.Unplaced {
				if !strings.Contains(s.Reason, tc.unplaced[i]) {
					t.Errorf("unplaced row %d: %q does not say %q", s.Row, s.Reason, tc.unplaced[i])
				}
			}
			checkConsistent(t, res)
		})
	}
}

func lines[T fmt.Stringer](xs []T) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString("  " + x.String() + "\n")
	}
	return b.String()
}

// checkConsistent holds what every result must: each row once, devices in
// their group, counts adding up, ids the answers accept.
func checkConsistent(t testing.TB, res *Result) {
	t.Helper()
	seen := map[int]bool{}
	count := map[string]int{}
	rows := func(what string, row int) {
		if row < 1 || row > res.Rows {
			t.Fatalf("%s row %d is outside 1..%d", what, row, res.Rows)
		}
		if seen[row] {
			t.Fatalf("%s row %d appears twice", what, row)
		}
		seen[row] = true
	}
	for _, d := range res.Devices {
		rows("placed", d.Row)
		count[d.Population]++
	}
	for _, s := range res.Stale {
		rows("stale", s.Row)
	}
	for _, s := range res.Unplaced {
		rows("unplaced", s.Row)
	}
	ids := map[string]bool{}
	for _, g := range res.Groups {
		if ids[g.ID] || len(g.ID) > 40 || g.ID != slug(g.ID) {
			t.Fatalf("group id %q is repeated or not an id", g.ID)
		}
		ids[g.ID] = true
		if count[g.ID] != g.Devices {
			t.Fatalf("group %q counts %d devices, %d are placed in it", g.Name, g.Devices, count[g.ID])
		}
	}
	if len(count) != len(res.Groups) {
		t.Fatalf("devices are placed in %d groups, the result has %d", len(count), len(res.Groups))
	}
}

// TestHeadingRecognition: each vendor's column names are taken for the
// fields they hold.
func TestHeadingRecognition(t *testing.T) {
	cases := map[string]map[string]string{
		"testdata/intune.csv": {"name": "Device name", "serial": "Serial number", "os": "OS", "os_version": "OS version",
			"model": "Model", "manufacturer": "Manufacturer", "ownership": "Ownership", "user": "Primary user UPN",
			"last_seen": "Last check-in", "managed_by": "Managed by", "id": "Device ID", "usage": "Category"},
		"testdata/configmgr.csv": {"name": "Name", "serial": "Serial Number", "os": "Operating System", "model": "Model",
			"manufacturer": "Manufacturer", "ownership": "Device Owner", "user": "Primary User(s)", "last_seen": "Last Activity",
			"managed_by": "Client"},
		"testdata/jamf.csv": {"name": "Computer Name", "serial": "Serial Number", "model": "Model", "os_version": "Operating System Version",
			"user": "Username", "last_seen": "Last Check-in", "managed_by": "Managed"},
		"testdata/workspaceone.csv": {"name": "Friendly Name", "user": "Username", "os": "Platform", "os_version": "OS",
			"model": "Model", "ownership": "Ownership", "serial": "Serial Number", "last_seen": "Last Seen", "managed_by": "Enrollment Status"},
		"testdata/apple-business.csv": {"serial": "Serial Number", "os": "Device Family", "model": "Device Model", "managed_by": "Assigned Server"},
		"testdata/spreadsheet.csv": {"name": "Device", "usage": "Type", "ownership": "Owner", "user": "User",
			"manufacturer": "Manufacturer", "last_seen": "Last seen"},
	}
	for file, wantCols := range cases {
		res := readFile(t, file, Options{})
		_, inv := res.Answers()
		for field, heading := range wantCols {
			if inv.Columns[field] != heading {
				t.Errorf("%s: %s read from %q, want %q", file, field, inv.Columns[field], heading)
			}
		}
		if len(inv.Columns) != len(wantCols) {
			t.Errorf("%s: columns %v, want %v", file, inv.Columns, wantCols)
		}
	}
	// Graph's property names, as PowerShell exports write them.
	res, err := Read(strings.NewReader("deviceName,operatingSystem,osVersion,managedDeviceOwnerType,userPrincipalName,lastSyncDateTime,managementAgent\n"+
		"PC-1,Windows,10.0.22631.1,company,user001@contoso.example,2026-12-01T10:00:00Z,configurationManagerClientMdm\n"), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatIntune || len(res.Groups) != 1 || res.Groups[0].Name != "Windows PCs managed by Configuration Manager" {
		t.Fatalf("Graph names: format %q, groups %+v", res.Format, res.Groups)
	}
}

// TestMapping: the planner's word on a column wins over recognition, and
// "" ignores one.
func TestMapping(t *testing.T) {
	in := "Gerätename;Betriebssystem;Benutzer\nPC-0001;Windows 11 Enterprise;user001@contoso.example\nPC-0002;Windows 11 Enterprise;\n"
	_, err := Read(strings.NewReader(in), Options{Today: testToday})
	var e *Error
	if !errorsAs(err, &e) || len(e.Columns) != 3 || e.Columns[1].Samples[0] != "Windows 11 Enterprise" {
		t.Fatalf("unrecognised headings: want an *Error with the columns and samples, got %v", err)
	}
	res, err := Read(strings.NewReader(in), Options{Today: testToday, Mapping: map[string]string{"Betriebssystem": "os", "Benutzer": "user", "gerätename": "name"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 || res.Groups[0].Usage == res.Groups[1].Usage || res.Devices[0].Name != "PC-0001" {
		t.Fatalf("mapped: %+v", res.Groups)
	}
	// Ignoring the user column: neither PC is known to have no user.
	res, err = Read(strings.NewReader(in), Options{Today: testToday, Mapping: map[string]string{"Betriebssystem": "os", "Benutzer": ""}})
	if err != nil || len(res.Groups) != 1 || res.Groups[0].Usage != plan.UsageUser {
		t.Fatalf("ignored user column: %v %+v", err, res)
	}
	if _, err := Read(strings.NewReader(in), Options{Mapping: map[string]string{"Betriebssystem": "platform"}}); err == nil || !strings.Contains(err.Error(), "not a field") {
		t.Fatalf("unknown field: %v", err)
	}
}
