package inventory

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The fixtures and the hospital example are made here, deterministically,
// from the vendors' documented column names; every device is invented
// (NURSE-0001, C02XTEST0001, user001@contoso.example). After changing
// this file run `go test ./internal/inventory -run TestFixturesUpToDate
// -generate` and review the diff.
var generate = flag.Bool("generate", false, "rewrite the fixtures in testdata and examples/inventory")

// testToday is the day the fixtures' check-ins are measured from.
var testToday = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

type fixture struct {
	path    string
	comma   rune
	crlf    bool
	heading []string
	rows    [][]string
}

// add appends a row given as heading → value.
func (f *fixture) add(values map[string]string) {
	row := make([]string, len(f.heading))
	for i, h := range f.heading {
		row[i] = values[h]
	}
	for h := range values {
		if !contains(f.heading, h) {
			panic("fixture " + f.path + ": no column " + h)
		}
	}
	f.rows = append(f.rows, row)
}

// shuffle mixes the rows as a real export would list them.
func (f *fixture) shuffle(seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(f.rows), func(i, j int) { f.rows[i], f.rows[j] = f.rows[j], f.rows[i] })
}

func (f *fixture) csv() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = f.comma
	w.UseCRLF = f.crlf
	w.Write(f.heading)
	w.WriteAll(f.rows)
	return buf.Bytes()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func daysAgo(n int) time.Time {
	return testToday.AddDate(0, 0, -n).Add(9*time.Hour + 15*time.Minute + 42*time.Second)
}

// intuneTime is how the Intune admin center's export writes a time.
func intuneTime(t time.Time) string { return t.Format("2006-01-02 15:04:05") + ".0000000" }

// intuneHeading is the Intune admin center's "All devices" export.
var intuneHeading = []string{"Device ID", "Device name", "Enrollment date", "Last check-in", "Azure AD Device ID", "OS version",
	"Azure AD registered", "EAS activation ID", "Serial number", "Manufacturer", "Model", "EAS activated", "IMEI",
	"Last EAS sync time", "EAS reason", "EAS status", "Compliance grace period expiration", "Security patch level",
	"Wi-Fi MAC", "MEID", "Subscriber carrier", "Total storage", "Free storage", "Management name", "Category", "UserId",
	"Primary user UPN", "Primary user email address", "Primary user display name", "WiFiIPv4Address", "WiFiSubnetID",
	"Compliance", "Managed by", "Ownership", "Device state", "Intune registered", "Supervised", "Encrypted", "OS",
	"SkuFamily", "JoinType", "Phone number", "Jailbroken", "ICCID", "EthernetMAC", "CellularTechnology",
	"ProcessorArchitecture", "EID", "SystemManagementBIOSVersion", "TPMManufacturerId", "TPMManufacturerVersion",
	"ProductName", "Management certificate expiration date"}

type intuneDevice struct {
	name, os, version, maker, model, user, managedBy, ownership string
	seen                                                        time.Time
}

func (f *fixture) addIntune(n int, d intuneDevice) {
	upn := d.user
	f.add(map[string]string{
		"Device ID":                          fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		"Device name":                        d.name,
		"Enrollment date":                    intuneTime(daysAgo(400 + n%200)),
		"Last check-in":                      intuneTime(d.seen),
		"Azure AD Device ID":                 fmt.Sprintf("10000000-0000-4000-8000-%012d", n),
		"OS version":                         d.version,
		"Serial number":                      fmt.Sprintf("C02XTEST%04d", n),
		"Manufacturer":                       d.maker,
		"Model":                              d.model,
		"Last EAS sync time":                 "0001-01-01 00:00:00.0000000",
		"Compliance grace period expiration": "9999-12-31 23:59:59.9999999",
		"Primary user UPN":                   upn,
		"Primary user email address":         upn,
		"Primary user display name":          map[bool]string{true: "", false: "User " + strings.TrimSuffix(upn, "@contoso.example")}[upn == ""],
		"Compliance":                         "Compliant",
		"Managed by":                         d.managedBy,
		"Ownership":                          d.ownership,
		"Device state":                       "Managed",
		"Intune registered":                  "Registered",
		"OS":                                 d.os,
		"JoinType":                           map[bool]string{true: "Hybrid Azure AD joined", false: "Azure AD registered"}[d.os == "Windows"],
		"Jailbroken":                         "Unknown",
	})
}

func upn(n int) string { return fmt.Sprintf("user%03d@contoso.example", n) }

func intuneFixture() *fixture {
	f := &fixture{path: "testdata/intune.csv", comma: ',', crlf: true, heading: intuneHeading}
	n := 0
	next := func() int { n++; return n }
	win := func(name, managedBy, owner, u string, seen time.Time) intuneDevice {
		return intuneDevice{name: name, os: "Windows", version: "10.0.22631.4460", maker: "Dell Inc.", model: "Latitude 7440", user: u, managedBy: managedBy, ownership: owner, seen: seen}
	}
	for i := range 40 {
		k := next()
		f.addIntune(k, win(fmt.Sprintf("CON-LT-%04d", i+1), "Co-managed", "Corporate", upn(k), daysAgo(k%30)))
	}
	for i := range 15 {
		k := next()
		d := win(fmt.Sprintf("LAB-PC-%04d", i+1), "ConfigMgr", "Corporate", "", daysAgo(k%30))
		d.model = "OptiPlex 7010"
		f.addIntune(k, d)
	}
	for i := range 25 {
		k := next()
		f.addIntune(k, win(fmt.Sprintf("CLOUD-%04d", i+1), "Intune", "Corporate", upn(k), daysAgo(k%30)))
	}
	for range 20 {
		k := next()
		f.addIntune(k, intuneDevice{name: fmt.Sprintf("iPhone of user%03d", k), os: "iOS/iPadOS", version: "17.5.1", maker: "Apple", model: "iPhone 15", user: upn(k), managedBy: "Intune", ownership: "Personal", seen: daysAgo(k % 30)})
	}
	for i := range 10 {
		k := next()
		f.addIntune(k, win(fmt.Sprintf("RND-%04d", i+1), "MDE", "Corporate", upn(k), daysAgo(k%30)))
	}
	for i := range 8 {
		k := next()
		f.addIntune(k, intuneDevice{name: fmt.Sprintf("DOCK-%04d", i+1), os: "Android (Dedicated)", version: "13", maker: "Zebra Technologies", model: "TC52", managedBy: "Intune", ownership: "Corporate", seen: daysAgo(k % 30)})
	}
	for i := range 6 {
		k := next()
		f.addIntune(k, win(fmt.Sprintf("OLD-LT-%04d", i+1), "Co-managed", "Corporate", upn(k), daysAgo(200+i)))
	}
	f.addIntune(next(), intuneDevice{name: "SRV-FILE-01", os: "Windows Server 2022 Datacenter", version: "10.0.20348.2700", maker: "VMware, Inc.", model: "VMware Virtual Platform", managedBy: "MDE", ownership: "Corporate", seen: daysAgo(1)})
	f.addIntune(next(), intuneDevice{name: "UNKNOWN-0001", managedBy: "Intune", ownership: "Corporate", seen: daysAgo(2)})
	f.shuffle(1)
	return f
}

func configMgrFixture() *fixture {
	f := &fixture{path: "testdata/configmgr.csv", comma: ',', crlf: true, heading: []string{"Name", "Client", "Site Code",
		"Client Activity", "Client Type", "Operating System", "Device Owner", "Domain", "Primary User(s)",
		"Currently Logged on User", "Last Logon User", "Co-managed", "Manufacturer", "Model", "Serial Number", "Last Activity"}}
	n := 0
	add := func(name, client, osName, owner, primary, model string, seen time.Time, activity string) {
		n++
		f.add(map[string]string{"Name": name, "Client": client, "Site Code": "P01", "Client Activity": activity,
			"Client Type": "Computer", "Operating System": osName, "Device Owner": owner, "Domain": "CONTOSO",
			"Primary User(s)": primary, "Last Logon User": fmt.Sprintf("user%03d", n), "Co-managed": "No",
			"Manufacturer": "Dell Inc.", "Model": model, "Serial Number": fmt.Sprintf("C02XTEST%04d", n),
			"Last Activity": seen.Format("1/2/2006 3:04 PM")})
	}
	const ws = "Microsoft Windows NT Workstation 10.0"
	for i := range 50 {
		add(fmt.Sprintf("CON-LT-%04d", i+1), "Yes", ws, "Company", fmt.Sprintf(`CONTOSO\user%03d`, i+1), "Latitude 7440", daysAgo(i%20), "Active")
	}
	for i := range 20 {
		add(fmt.Sprintf("LAB-PC-%04d", i+1), "Yes", ws, "Company", "", "OptiPlex 7010", daysAgo(i%20), "Active")
	}
	for i := range 8 {
		add(fmt.Sprintf("NOCLIENT-%04d", i+1), "No", ws, "Company", fmt.Sprintf(`CONTOSO\user%03d`, 100+i), "Latitude 5440", daysAgo(i%20), "")
	}
	for i := range 3 {
		add(fmt.Sprintf("BYOD-%04d", i+1), "Yes", ws, "Personal", fmt.Sprintf(`CONTOSO\user%03d`, 200+i), "XPS 13", daysAgo(i%20), "Active")
	}
	for i := range 5 {
		add(fmt.Sprintf("OLD-PC-%04d", i+1), "Yes", ws, "Company", fmt.Sprintf(`CONTOSO\user%03d`, 300+i), "OptiPlex 7010", daysAgo(150+i), "Inactive")
	}
	add("SRV-SQL-01", "Yes", "Microsoft Windows NT Server 10.0", "Company", "", "PowerEdge R650", daysAgo(1), "Active")
	add("UNKNOWN-0001", "No", "", "Company", "", "", daysAgo(1), "")
	f.shuffle(2)
	return f
}

func jamfFixture() *fixture {
	f := &fixture{path: "testdata/jamf.csv", comma: ',', heading: []string{"Computer Name", "Serial Number", "Model",
		"Model Identifier", "Operating System Version", "Last Check-in", "Last Inventory Update", "Username",
		"Full Name", "Email Address", "Managed", "Department", "Building"}}
	n := 0
	add := func(name, model, ident, username, managed string, seen time.Time) {
		n++
		email := ""
		if username != "" {
			email = username + "@contoso.example"
		}
		f.add(map[string]string{"Computer Name": name, "Serial Number": fmt.Sprintf("C02XTEST%04d", n), "Model": model,
			"Model Identifier": ident, "Operating System Version": "14.6.1", "Last Check-in": seen.Format("2006-01-02 15:04:05"),
			"Last Inventory Update": seen.Format("2006-01-02 15:04:05"), "Username": username, "Email Address": email,
			"Managed": managed, "Department": "Design", "Building": "HQ"})
	}
	for i := range 45 {
		add(fmt.Sprintf("MAC-%04d", i+1), "MacBook Pro (14-inch, 2023)", "Mac14,9", fmt.Sprintf("user%03d", i+1), "Managed", daysAgo(i%25))
	}
	for i := range 10 {
		add(fmt.Sprintf("STUDIO-%04d", i+1), "iMac (24-inch, 2023)", "Mac15,4", "", "Unmanaged", daysAgo(i%25))
	}
	for i := range 4 {
		add(fmt.Sprintf("OLD-MAC-%04d", i+1), "MacBook Air (M1, 2020)", "MacBookAir10,1", fmt.Sprintf("user%03d", 100+i), "Managed", daysAgo(120+i))
	}
	f.shuffle(3)
	return f
}

func workspaceOneFixture() *fixture {
	f := &fixture{path: "testdata/workspaceone.csv", comma: ',', heading: []string{"Friendly Name", "Username", "Platform",
		"OS", "Model", "Ownership", "Serial Number", "Last Seen", "Enrollment Status", "Organization Group",
		"Compliance Status", "Compromised Status"}}
	n := 0
	add := func(name, username, platform, osv, model, owner string, seen time.Time) {
		n++
		f.add(map[string]string{"Friendly Name": name, "Username": username, "Platform": platform, "OS": osv, "Model": model,
			"Ownership": owner, "Serial Number": fmt.Sprintf("C02XTEST%04d", n), "Last Seen": seen.Format("1/2/2006 3:04:05 PM"),
			"Enrollment Status": "Enrolled", "Organization Group": "Contoso", "Compliance Status": "Compliant", "Compromised Status": "Not Compromised"})
	}
	for i := range 60 {
		add(fmt.Sprintf("user%03d iPhone iOS 17.5.1 TEST%04d", i+1, i+1), fmt.Sprintf("user%03d", i+1), "Apple", "17.5.1", "iPhone 15", "C", daysAgo(i%30))
	}
	for i := range 25 {
		add(fmt.Sprintf("STORE-IPAD-%04d", i+1), "", "Apple", "17.5.1", "iPad (10th generation)", "S", daysAgo(i%30))
	}
	for i := range 30 {
		add(fmt.Sprintf("user%03d Android 14 TEST%04d", 100+i, i+1), fmt.Sprintf("user%03d", 100+i), "Android", "14.0.0", "Galaxy S23", "E", daysAgo(i%30))
	}
	for i := range 12 {
		add(fmt.Sprintf("WH-KIOSK-%04d", i+1), "", "Android", "13.0.0", "Zebra TC52", "C", daysAgo(i%30))
	}
	for i := range 10 {
		add(fmt.Sprintf("user%03d Windows TEST%04d", 200+i, i+1), fmt.Sprintf("user%03d", 200+i), "WinRT", "10.0.22631", "Surface Laptop 5", "C", daysAgo(i%30))
	}
	for i := range 5 {
		add(fmt.Sprintf("user%03d iPhone iOS 15 OLD%04d", 300+i, i+1), fmt.Sprintf("user%03d", 300+i), "Apple", "15.8", "iPhone 8", "C", daysAgo(100+i))
	}
	add("LOBBY-TV-0001", "", "AppleTV", "17.5", "Apple TV 4K", "C", daysAgo(3))
	f.shuffle(4)
	return f
}

func appleBusinessFixture() *fixture {
	f := &fixture{path: "testdata/apple-business.csv", comma: ',', heading: []string{"Serial Number", "Device Family",
		"Device Model", "Order Number", "Order Date", "Device Added By", "Assigned Server"}}
	n := 0
	add := func(family, model, server string) {
		n++
		f.add(map[string]string{"Serial Number": fmt.Sprintf("C02XTEST%04d", n), "Device Family": family, "Device Model": model,
			"Order Number": fmt.Sprintf("ORD%06d", 1000+n/20), "Order Date": "2026-09-01", "Device Added By": "Apple Store for Business",
			"Assigned Server": server})
	}
	for range 40 {
		add("iPad", "iPad (10th generation)", "")
	}
	for range 30 {
		add("iPhone", "iPhone 15", "Contoso Jamf Pro")
	}
	for range 20 {
		add("Mac", "MacBook Air (13-inch, M3, 2024)", "Contoso Intune")
	}
	for range 2 {
		add("AppleTV", "Apple TV 4K", "")
	}
	f.shuffle(5)
	return f
}

func spreadsheetFixture() *fixture {
	f := &fixture{path: "testdata/spreadsheet.csv", comma: ',', heading: []string{"Device", "Type", "Owner", "User",
		"Location", "Manufacturer", "Last seen"}}
	n := 0
	add := func(name, typ, owner, u, maker string, seen time.Time) {
		n++
		f.add(map[string]string{"Device": name, "Type": typ, "Owner": owner, "User": u, "Location": "Head office",
			"Manufacturer": maker, "Last seen": seen.Format("02.01.2006")})
	}
	for i := range 30 {
		add(fmt.Sprintf("LT-%04d", i+1), "Windows laptop", "Company", upn(i+1), "Lenovo", daysAgo(i%20))
	}
	for i := range 12 {
		add(fmt.Sprintf("SHOP-IPAD-%02d", i+1), "iPad", "Company", "", "Apple", daysAgo(i%20))
	}
	for i := range 8 {
		add(fmt.Sprintf("GATE-%02d", i+1), "Android kiosk", "Company", "", "Zebra", daysAgo(i%20))
	}
	for i := range 15 {
		add(fmt.Sprintf("PHONE-%04d", i+1), "iPhone", "Personal", upn(100+i), "Apple", daysAgo(i%20))
	}
	for i := range 3 {
		add(fmt.Sprintf("OLD-LT-%04d", i+1), "Windows laptop", "Company", upn(200+i), "Lenovo", daysAgo(300+i))
	}
	add("PRN-0001", "Printer", "Company", "", "Brother", daysAgo(1))
	add("BOX-0001", "", "Company", "", "", daysAgo(1))
	f.shuffle(6)
	return f
}

// spreadsheetXLSX is the spreadsheet fixture as a workbook, its dates
// stored as Excel serial numbers the way Excel stores a typed date.
func spreadsheetXLSX(f *fixture) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	dateStyle, err := x.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return nil, err
	}
	cells := func(row []string, dateCol int) []any {
		out := make([]any, len(row))
		for i, v := range row {
			out[i] = v
			if i == dateCol {
				t, ok := parseDate(v)
				if !ok {
					panic("fixture date " + v)
				}
				out[i] = excelize.Cell{StyleID: dateStyle, Value: t.Sub(excelEpoch).Hours() / 24}
			}
		}
		return out
	}
	if err := sw.SetRow("A1", cells(f.heading, -1)); err != nil {
		return nil, err
	}
	for i, row := range f.rows {
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), cells(row, len(row)-1)); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// The hospital of examples/hospital-rollout.json, as its three exports: the
// Windows fleet from Intune (Configuration Manager clients shown through
// tenant attach), the clinicians' iPhones from Workspace ONE (another MDM's
// devices are not in Intune's list), and the asset register of devices no
// MDM manages yet (ward iPads, Zebra check-in kiosks, Samsung porter phones).
func hospitalFixtures() []*fixture {
	pcs := &fixture{path: "../../examples/inventory/hospital.csv", comma: ',', crlf: true, heading: intuneHeading}
	n := 0
	next := func() int { n++; return n }
	hosp := func(prefix string, i int) string { return fmt.Sprintf("%s%03d@lakeside.example", prefix, i) }
	for i := range 600 {
		k := next()
		pcs.addIntune(k, intuneDevice{name: fmt.Sprintf("NURSE-%04d", i+1), os: "Windows", version: "10.0.19045.5131", maker: "Dell Inc.", model: "OptiPlex 7010 Micro", managedBy: "ConfigMgr", ownership: "Corporate", seen: daysAgo(k % 14)})
	}
	for i := range 420 {
		k := next()
		pcs.addIntune(k, intuneDevice{name: fmt.Sprintf("DOC-LT-%04d", i+1), os: "Windows", version: "10.0.22631.4460", maker: "Dell Inc.", model: "Latitude 7440", user: hosp("doctor", i+1), managedBy: "Co-managed", ownership: "Corporate", seen: daysAgo(k % 14)})
	}
	for i := range 380 {
		k := next()
		pcs.addIntune(k, intuneDevice{name: fmt.Sprintf("ADM-%04d", i+1), os: "Windows", version: "10.0.19045.5131", maker: "HP", model: "EliteDesk 800 G9", user: hosp("admin", i+1), managedBy: "ConfigMgr", ownership: "Corporate", seen: daysAgo(k % 14)})
	}
	for i := range 20 {
		k := next()
		pcs.addIntune(k, intuneDevice{name: fmt.Sprintf("NURSE-%04d", 901+i), os: "Windows", version: "10.0.19045.3803", maker: "Dell Inc.", model: "OptiPlex 7010 Micro", managedBy: "ConfigMgr", ownership: "Corporate", seen: daysAgo(120 + 3*i)})
	}
	pcs.addIntune(next(), intuneDevice{name: "SRV-PACS-01", os: "Windows Server 2019 Standard", version: "10.0.17763.6414", maker: "HP", model: "ProLiant DL380 Gen10", managedBy: "MDE", ownership: "Corporate", seen: daysAgo(1)})
	pcs.addIntune(next(), intuneDevice{name: "IMAGING-CART-01", managedBy: "ConfigMgr", ownership: "Corporate", seen: daysAgo(2)})
	pcs.addIntune(next(), intuneDevice{name: "LAB-ANALYSER-01", os: "Unknown", model: "Analyser 5000", managedBy: "ConfigMgr", ownership: "Corporate", seen: daysAgo(3)})
	pcs.shuffle(11)

	mdm := &fixture{path: "../../examples/inventory/hospital-mdm.csv", comma: ',', heading: []string{"Friendly Name", "Username",
		"Platform", "OS", "Model", "Ownership", "Serial Number", "Last Seen", "Enrollment Status", "Organization Group",
		"Compliance Status", "Compromised Status"}}
	for i := range 250 {
		mdm.add(map[string]string{"Friendly Name": fmt.Sprintf("clinician%03d iPhone iOS 17.6.1 C%04d", i+1, i+1), "Username": fmt.Sprintf("clinician%03d", i+1),
			"Platform": "Apple", "OS": "17.6.1", "Model": "iPhone 14", "Ownership": "C", "Serial Number": fmt.Sprintf("C02XTEST%04d", 2000+i),
			"Last Seen": daysAgo(i % 10).Format("1/2/2006 3:04:05 PM"), "Enrollment Status": "Enrolled", "Organization Group": "Lakeside General",
			"Compliance Status": "Compliant", "Compromised Status": "Not Compromised"})
	}

	register := &fixture{path: "../../examples/inventory/hospital-unmanaged.csv", comma: ',', heading: []string{"Device", "Type", "Model",
		"Manufacturer", "Serial number", "Owner", "User", "Ward", "MDM"}}
	s := 3000
	reg := func(name, typ, model, maker, u, ward string) {
		s++
		register.add(map[string]string{"Device": name, "Type": typ, "Model": model, "Manufacturer": maker,
			"Serial number": fmt.Sprintf("C02XTEST%04d", s), "Owner": "Company", "User": u, "Ward": ward, "MDM": "None"})
	}
	wards := []string{"Ward A", "Ward B", "Ward C", "Ward D", "Ward E", "Ward F", "Ward G", "Ward H", "Theatres"}
	for i := range 180 {
		reg(fmt.Sprintf("WARD-IPAD-%03d", i+1), "iPad", "iPad (10th generation)", "Apple", "", wards[i%len(wards)])
	}
	for i := range 60 {
		reg(fmt.Sprintf("CHECKIN-KIOSK-%02d", i+1), "Kiosk", "CC6000", "Zebra Technologies", "", "Outpatients")
	}
	for i := range 150 {
		reg(fmt.Sprintf("PORTER-PHONE-%03d", i+1), "Phone", "Galaxy XCover7", "Samsung", hosp("porter", i+1), "Facilities")
	}
	return []*fixture{pcs, mdm, register}
}

func allFixtures() []*fixture {
	return append([]*fixture{intuneFixture(), configMgrFixture(), jamfFixture(), workspaceOneFixture(),
		appleBusinessFixture(), spreadsheetFixture()}, hospitalFixtures()...)
}

// TestFixturesUpToDate holds the committed fixtures to this file, so they
// cannot drift from what the tests expect of them; -generate rewrites them.
func TestFixturesUpToDate(t *testing.T) {
	files := map[string][]byte{}
	for _, f := range allFixtures() {
		files[f.path] = f.csv()
	}
	xlsx, err := spreadsheetXLSX(spreadsheetFixture())
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range files {
		if *generate {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -generate)", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s differs from what gen_test.go makes; run `go test ./internal/inventory -run TestFixturesUpToDate -generate`", path)
		}
	}
	// A workbook's bytes carry a timestamp, so it is rewritten only when
	// asked for; TestFixtures checks that it reads like the CSV.
	if *generate {
		if err := os.WriteFile("testdata/spreadsheet.xlsx", xlsx, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if _, err := os.Stat("testdata/spreadsheet.xlsx"); err != nil {
		t.Errorf("%v (run with -generate)", err)
	}
}
