package web

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// inventoryToday is the server's clock in the inventory tests: the
// fixtures' devices checked in up to 7 December 2026.
var inventoryToday = time.Date(2026, time.December, 8, 9, 0, 0, 0, time.UTC)

// inventoryEnv is a server over a SQLite file the test can read.
type inventoryEnv struct {
	t      *testing.T
	s      *Server
	db     *sqlite.DB
	dbPath string
	p      *planner
}

func newInventoryEnv(t *testing.T) *inventoryEnv {
	t.Helper()
	cat, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inventory.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(Options{Store: db, Catalog: cat, SessionKeys: []string{strings.Repeat("i", 40)}, Now: func() time.Time { return inventoryToday }})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &inventoryEnv{t: t, s: s, db: db, dbPath: path, p: newPlanner(t, ts.URL)}
}

// step1 answers step 1, as a planner who imports after it has.
func (e *inventoryEnv) step1() *inventoryEnv {
	e.t.Helper()
	expectRedirect(e.t, e.p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	return e
}

// uploadInventory posts the inventory form as a browser does: the options
// first, then the file.
func (p *planner) uploadInventory(name string, content []byte, fields url.Values) resp {
	p.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, k := range []string{"stale_days", "keep"} {
		if v := fields.Get(k); v != "" {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("inventory", name)
	if err != nil {
		p.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return p.postBody(inventoryPath, mw.FormDataContentType(), &body)
}

func (p *planner) postBody(path, contentType string, body *bytes.Buffer) resp {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.base+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	return readResp(p.t, res)
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// draft is the planner's draft as stored.
func (e *inventoryEnv) draft() *draft {
	e.t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	u, _ := url.Parse(e.p.base)
	for _, c := range e.p.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	d, err := e.s.loadDraft(req)
	if err != nil || d == nil {
		e.t.Fatalf("draft: %v, %v", d, err)
	}
	return d
}

// importFile uploads a file and answers the column question, if asked,
// with its defaults; the grouping page is returned.
func (e *inventoryEnv) importFile(name string, content []byte, fields url.Values) resp {
	e.t.Helper()
	expectRedirect(e.t, e.p.uploadInventory(name, content, fields), inventoryGroupsPath)
	r := e.p.get(inventoryGroupsPath)
	if strings.Contains(r.body, `value="columns"`) {
		expectRedirect(e.t, e.p.post(inventoryGroupsPath, url.Values{"action": {"columns"}}), inventoryGroupsPath)
		r = e.p.get(inventoryGroupsPath)
	}
	if r.status != 200 {
		e.t.Fatalf("groups page: %d: %.300s", r.status, r.body)
	}
	return r
}

// groupsForm is the grouping page's form as a browser would post it: the
// names, the choices, and action.
func (e *inventoryEnv) groupsForm(action string, extra url.Values) url.Values {
	f := url.Values{"action": {action}}
	d := e.draft()
	for i, g := range d.Inventory.Groups {
		f.Set(groupField(i, "name"), g.Pop.Name)
	}
	if !d.Inventory.Enroll {
		f.Set("stale", "retire")
	} else {
		f.Set("stale", "enroll")
	}
	for k, vs := range extra {
		f[k] = vs
	}
	return f
}

func (e *inventoryEnv) groupIndex(name string) int {
	e.t.Helper()
	for i, g := range e.draft().Inventory.Groups {
		if g.Pop.Name == name {
			return i
		}
	}
	e.t.Fatalf("no group %q", name)
	return -1
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// text is a page's text, tags out and spaces folded.
func text(body string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(body, " "))), " ")
}

func draftJSON(d *draft) string {
	data, _ := stdjson.Marshal(d)
	return string(data)
}

const forgetForm = `action="/wizard/inventory/forget"`

// TestInventoryFixturesProposeGroups: each export the import knows, uploaded
// in the wizard, gives a grouping page that lists the groups the reader
// proposes, and a summary line in numbers a person reads.
func TestInventoryFixturesProposeGroups(t *testing.T) {
	files, _ := filepath.Glob("../internal/inventory/testdata/*.*")
	files = append(files, "../examples/inventory/hospital.csv", "../examples/inventory/hospital-mdm.csv", "../examples/inventory/hospital-unmanaged.csv")
	if len(files) < 8 {
		t.Fatalf("fixtures: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			e := newInventoryEnv(t)
			data := readFixture(t, f)
			want, err := inventory.Read(bytes.NewReader(data), inventory.Options{Today: inventoryToday})
			if err != nil {
				t.Fatal(err)
			}
			r := e.importFile(filepath.Base(f), data, nil)
			page := text(r.body)
			for _, g := range want.Groups {
				if !strings.Contains(r.body, `value="`+html.EscapeString(g.Name)+`"`) {
					t.Errorf("group %q missing", g.Name)
				}
			}
			if !strings.Contains(page, " devices in ") && !strings.Contains(page, " device in ") {
				t.Errorf("no summary line: %.400s", page)
			}
		})
	}
	e := newInventoryEnv(t)
	page := text(e.importFile("hospital.csv", readFixture(t, "../examples/inventory/hospital.csv"), nil).body)
	for _, want := range []string{"1,400 devices in 2 groups; 20 stale; 3 left out", "Retire these 20 devices (don't enroll them)", "3 rows left out", "Windows Server"} {
		if !strings.Contains(page, want) {
			t.Errorf("hospital: %q missing from %.600s", want, page)
		}
	}
}

// TestInventoryColumnMapping: a spreadsheet's column the import does not
// know is asked about, with samples; a file with no column that tells the
// platform asks about every column, and the planner's answer places the
// devices.
func TestInventoryColumnMapping(t *testing.T) {
	e := newInventoryEnv(t)
	expectRedirect(t, e.p.uploadInventory("hospital-unmanaged.csv", readFixture(t, "../examples/inventory/hospital-unmanaged.csv"), nil), inventoryGroupsPath)
	r := e.p.get(inventoryGroupsPath)
	if page := text(r.body); !strings.Contains(page, "Column “Ward”") || !strings.Contains(page, "Ward A") || strings.Contains(page, "Proposed groups") {
		t.Fatalf("the Ward column not asked about first: %.500s", page)
	}
	expectRedirect(t, e.p.post(inventoryGroupsPath, url.Values{"action": {"columns"}}), inventoryGroupsPath)
	if page := text(e.p.get(inventoryGroupsPath).body); !strings.Contains(page, "Zebra Android kiosks") || !strings.Contains(page, "390 devices in 3 groups") {
		t.Errorf("after the columns: %.500s", page)
	}
	if d := e.draft(); strings.Contains(draftJSON(d), "Ward A") {
		t.Error("the samples stay in the draft after the question")
	}

	// Nothing says the platform until the planner says "Kind" does.
	e = newInventoryEnv(t)
	csv := "Asset,Kind,Person,Bought\nA-001,iPhone 15,ann@example.org,2025-01-02\nA-002,iPhone 15,bob@example.org,2025-01-02\nA-003,Surface Laptop 5,,2025-02-03\n"
	expectRedirect(t, e.p.uploadInventory("assets.csv", []byte(csv), nil), inventoryGroupsPath)
	r = e.p.get(inventoryGroupsPath)
	page := text(r.body)
	if !strings.Contains(page, "no column tells the platform") && !strings.Contains(page, "no column heading was recognised") {
		t.Errorf("why the columns are asked about: %.500s", page)
	}
	column := func(heading string) string {
		for i, c := range e.draft().Inventory.Columns {
			if c.Heading == heading && c.Asked {
				return columnField(i)
			}
		}
		t.Fatalf("%s not asked about: %.500s", heading, page)
		return ""
	}
	kind, person := column("Kind"), column("Person")
	if !strings.Contains(page, "iPhone 15") {
		t.Errorf("no samples: %.500s", page)
	}
	// The same field twice is refused beside the second.
	r = e.p.post(inventoryGroupsPath, url.Values{"action": {"columns"}, kind: {"model"}, person: {"model"}})
	if r.status != 422 || !strings.Contains(text(r.body), "holds the model already") || !strings.Contains(r.body, `id="`+pages.FieldID(person)+`-error"`) {
		t.Errorf("the same field twice: %d %.400s", r.status, text(r.body))
	}
	expectRedirect(t, e.p.post(inventoryGroupsPath, url.Values{"action": {"columns"}, kind: {"model"}, person: {"user"}}), inventoryGroupsPath)
	page = text(e.p.get(inventoryGroupsPath).body)
	if !strings.Contains(page, "3 devices in 2 groups") || !strings.Contains(page, "iPhones") {
		t.Errorf("after saying Kind is the model: %.600s", page)
	}
	if inv := e.draft().Inventory; inv.Pending || len(inv.Groups) != 2 {
		t.Errorf("grouping: %+v", inv)
	}
}

// TestInventoryMergeSplitRename: the grouping page's buttons change the
// groups, each a POST answered with a redirect; a name used twice or left
// empty, and a merge of two platforms, are errors beside their field.
func TestInventoryMergeSplitRename(t *testing.T) {
	e := newInventoryEnv(t)
	e.importFile("spreadsheet.csv", readFixture(t, "../internal/inventory/testdata/spreadsheet.csv"), nil)
	iphones, ipads, pcs := e.groupIndex("Personal iPhones"), e.groupIndex("Shared iPads"), e.groupIndex("Windows PCs")

	// Rename.
	expectRedirect(t, e.p.post(inventoryGroupsPath, e.groupsForm("rename", url.Values{groupField(pcs, "name"): {"  Head office   laptops "}})), inventoryGroupsPath)
	if i := e.groupIndex("Head office laptops"); i != pcs {
		t.Errorf("renamed group moved: %d", i)
	}
	r := e.p.post(inventoryGroupsPath, e.groupsForm("rename", url.Values{groupField(pcs, "name"): {"shared ipads"}}))
	if r.status != 422 || !strings.Contains(r.body, `id="f-groups-`+fmt.Sprint(pcs)+`-name-error"`) || !strings.Contains(text(r.body), "give each group a name of its own") {
		t.Errorf("a name used twice: %d %.400s", r.status, text(r.body))
	}
	if !strings.Contains(r.body, `value="shared ipads"`) {
		t.Error("the name typed is not shown again")
	}
	r = e.p.post(inventoryGroupsPath, e.groupsForm("apply", url.Values{groupField(pcs, "name"): {" "}}))
	if r.status != 422 || !strings.Contains(text(r.body), "Give the group a name") {
		t.Errorf("an empty name: %d %.400s", r.status, text(r.body))
	}
	if e.draft().Inventory.Applied {
		t.Fatal("applied despite the error")
	}

	// Merge across platforms is refused, within one platform done.
	r = e.p.post(inventoryGroupsPath, e.groupsForm(fmt.Sprintf("merge-%d", pcs), url.Values{groupField(pcs, "merge"): {fmt.Sprint(iphones)}}))
	if r.status != 422 || !strings.Contains(text(r.body), "two platforms") {
		t.Errorf("merge across platforms: %d %.400s", r.status, text(r.body))
	}
	before := e.draft().Inventory.Groups
	r = e.p.post(inventoryGroupsPath, e.groupsForm(fmt.Sprintf("merge-%d", ipads), url.Values{groupField(ipads, "merge"): {fmt.Sprint(iphones)}}))
	if r.status != 303 {
		t.Fatalf("merge: %d %.300s", r.status, text(r.body))
	}
	after := e.draft().Inventory.Groups
	if len(after) != len(before)-1 || after[e.groupIndex("Personal iPhones")].Pop.Devices != before[iphones].Pop.Devices+before[ipads].Pop.Devices {
		t.Errorf("after the merge: %+v", after)
	}

	// Split the PCs by the start of their names.
	pcs = e.groupIndex("Head office laptops")
	n := len(e.draft().Inventory.Groups)
	expectRedirect(t, e.p.post(inventoryGroupsPath, e.groupsForm(fmt.Sprintf("split-%d", pcs), url.Values{groupField(pcs, "split"): {inventory.ByNamePrefix}})), inventoryGroupsPath+"#f-groups-"+fmt.Sprint(pcs)+"-name")
	inv := e.draft().Inventory
	if len(inv.Groups) <= n {
		t.Fatalf("split made no groups: %+v", inv.Groups)
	}
	if page := text(e.p.get(inventoryGroupsPath).body); !strings.Contains(page, "Head office laptops (names starting") {
		t.Errorf("split groups not named after the part: %.600s", page)
	}
	// Every device is still in one group: the stored devices agree with the counts.
	devices, err := e.s.groupingDevices(context.Background(), e.draft())
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, g := range inv.Groups {
		sum += g.Pop.Devices
	}
	if sum != len(devices) {
		t.Errorf("groups hold %d devices, the list %d", sum, len(devices))
	}
	// A split by something all share is an error beside it.
	k := e.groupIndex("Zebra Android kiosks")
	r = e.p.post(inventoryGroupsPath, e.groupsForm(fmt.Sprintf("split-%d", k), url.Values{groupField(k, "split"): {inventory.ByMaker}}))
	if r.status != 422 || !strings.Contains(text(r.body), "nothing to split") {
		t.Errorf("split by a shared maker: %d %.400s", r.status, text(r.body))
	}
	// Upload another file: the grouping and its devices are gone.
	d := e.draft()
	expectRedirect(t, e.p.post(inventoryGroupsPath, url.Values{"action": {"another"}}), inventoryPath)
	if _, _, err := e.db.GetDeviceList(context.Background(), store.DraftDevices(d.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("devices after Upload another file: %v", err)
	}
	if e.draft().Inventory != nil {
		t.Error("the grouping stays in the draft")
	}
}

// TestInventoryStaleRetireOrEnroll: stale devices are retired by default
// (left out of the populations), or enrolled with their groups.
func TestInventoryStaleRetireOrEnroll(t *testing.T) {
	hospital := readFixture(t, "../examples/inventory/hospital.csv")
	for _, c := range []struct {
		stale string
		want  int
	}{{"retire", 1400}, {"enroll", 1420}} {
		t.Run(c.stale, func(t *testing.T) {
			e := newInventoryEnv(t).step1()
			e.importFile("hospital.csv", hospital, nil)
			r := e.p.post(inventoryGroupsPath, e.groupsForm("apply", url.Values{"stale": {c.stale}}))
			if r.status != 303 || r.header.Get("Location") != fmt.Sprintf("/wizard/devices?imported=2-%d", c.want) {
				t.Fatalf("apply: %d %s %.300s", r.status, r.header.Get("Location"), text(r.body))
			}
			sum := 0
			for _, p := range e.draft().Answers.Populations {
				sum += p.Devices
			}
			if sum != c.want {
				t.Errorf("devices in the populations: %d, want %d", sum, c.want)
			}
		})
	}
	// The stale days are the planner's.
	e := newInventoryEnv(t)
	page := text(e.importFile("hospital.csv", hospital, url.Values{"stale_days": {"400"}}).body)
	if !strings.Contains(page, "1,420 devices in 2 groups; 3 left out") || strings.Contains(page, "Retire these") {
		t.Errorf("no device is stale after 400 days: %.400s", page)
	}
}

// TestInventoryUnplacedRows: rows the import cannot place are counted and
// listed with their row number and the reason, at most 20.
func TestInventoryUnplacedRows(t *testing.T) {
	e := newInventoryEnv(t)
	var b strings.Builder
	b.WriteString("Device name,OS,Ownership\n")
	for i := range 30 {
		fmt.Fprintf(&b, "PRN-%02d,Printer OS,Corporate\n", i)
	}
	b.WriteString("LT-1,Windows,Corporate\n")
	r := e.importFile("mixed.csv", []byte(b.String()), nil)
	page := text(r.body)
	if !strings.Contains(page, "30 rows left out") || !strings.Contains(page, "1 device in 1 group; 30 left out") {
		t.Errorf("unplaced: %.600s", page)
	}
	if n := strings.Count(r.body, "Printer OS"); n != 20 {
		t.Errorf("listed %d rows left out, want the first 20", n)
	}
}

// TestInventoryApplyFillsStep2: "Use these groups" makes the groups step 2's
// populations, says so there, keeps only counts in the answers, and the
// plan builds. A planner who started from the inventory answers step 1
// first, told that the groups wait in step 2. With populations already
// there, the planner chooses to replace or add them.
func TestInventoryApplyFillsStep2(t *testing.T) {
	e := newInventoryEnv(t)
	// Without a draft, before step 1: the start page's button leads here.
	if r := e.p.get(inventoryPath); r.status != 200 || !strings.Contains(r.body, `enctype="multipart/form-data"`) {
		t.Fatalf("import page: %d", r.status)
	}
	e.importFile("hospital.csv", readFixture(t, "../examples/inventory/hospital.csv"), nil)
	r := e.p.post(inventoryGroupsPath, e.groupsForm("apply", nil))
	expectRedirect(t, r, "/wizard/organisation?imported=2-1400")
	if page := text(e.p.get(r.header.Get("Location")).body); !strings.Contains(page, "2 groups from your inventory (1,400 devices) are in step 2. First, say who the plan is for") {
		t.Errorf("step 1 after the import: %.600s", page)
	}
	expectRedirect(t, e.p.post("/wizard/organisation", orgForm()), "/wizard/devices")
	step2 := e.p.get("/wizard/devices")
	if step2.status != 200 || !strings.Contains(step2.body, `value="Shared Windows PCs managed by Configuration Manager"`) || !strings.Contains(step2.body, `value="600"`) {
		t.Fatalf("step 2 after the import: %d %.800s", step2.status, text(step2.body))
	}
	d := e.draft()
	inv := d.Answers.Inventory
	if inv == nil || inv.Rows != 1423 || len(inv.Devices) != 0 || inv.Columns["name"] != "Device name" {
		t.Errorf("answers' inventory: %+v", inv)
	}
	for _, p := range d.Answers.Populations {
		if p.ManagedBy != plan.ManagedConfigMgr || p.InUse == nil || !*p.InUse || p.ID == "" {
			t.Errorf("population %+v", p)
		}
	}
	if _, err := e.s.build(context.Background(), d.Answers); err != nil {
		t.Errorf("the plan does not build: %v", err)
	}
	// Back to the import with populations there: replace or add; step 1
	// is done, so the groups lead to step 2, which says so.
	e.importFile("spreadsheet.csv", readFixture(t, "../internal/inventory/testdata/spreadsheet.csv"), nil)
	if page := text(e.p.get(inventoryGroupsPath).body); !strings.Contains(page, "Step 2 already has 2 populations") {
		t.Errorf("not asked to replace or add: %.500s", page)
	}
	r = e.p.post(inventoryGroupsPath, e.groupsForm("apply", url.Values{"mode": {"add"}}))
	expectRedirect(t, r, "/wizard/devices?imported=4-65")
	if page := text(e.p.get(r.header.Get("Location")).body); !strings.Contains(page, "4 groups from your inventory (65 devices) — check them and continue.") {
		t.Errorf("step 2 flash: %.600s", page)
	}
	ids := map[string]bool{}
	for _, p := range e.draft().Answers.Populations {
		if ids[p.ID] {
			t.Errorf("id %s twice", p.ID)
		}
		ids[p.ID] = true
	}
	if len(ids) != 6 {
		t.Errorf("added: %d populations, want 6", len(ids))
	}
	e.importFile("spreadsheet.csv", readFixture(t, "../internal/inventory/testdata/spreadsheet.csv"), nil)
	expectRedirect(t, e.p.post(inventoryGroupsPath, e.groupsForm("apply", url.Values{"mode": {"replace"}})), "/wizard/devices?imported=4-65")
	if n := len(e.draft().Answers.Populations); n != 4 {
		t.Errorf("replaced: %d populations, want 4", n)
	}
	// The grouping is over: its page leads back to the upload.
	expectRedirect(t, e.p.get(inventoryGroupsPath), inventoryPath)
}

// TestInventoryNotKeptLeavesNoDevices: without "keep", applying the groups
// erases the devices: no list in the store, and no device name, serial or
// piece of the stored list left in the database file.
func TestInventoryNotKeptLeavesNoDevices(t *testing.T) {
	e := newInventoryEnv(t).step1()
	e.importFile("hospital.csv", readFixture(t, "../examples/inventory/hospital.csv"), nil)
	d := e.draft()
	if d.deviceListKept() {
		t.Error("the devices being grouped are taken for a kept list")
	}
	stored, _, err := e.db.GetDeviceList(context.Background(), store.DraftDevices(d.ID))
	if err != nil {
		t.Fatal(err)
	}
	if data := draftJSON(d); strings.Contains(data, "NURSE-0240") || strings.Contains(data, "C02XTEST0240") {
		t.Error("the draft holds a device's name or serial while grouping")
	}
	expectRedirect(t, e.p.post(inventoryGroupsPath, e.groupsForm("apply", nil)), "/wizard/devices?imported=2-1400")
	if _, _, err := e.db.GetDeviceList(context.Background(), store.DraftDevices(d.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("device list after apply: %v", err)
	}
	if r := e.p.get(inventoryPath); strings.Contains(r.body, forgetForm) {
		t.Error("a list is said to be kept")
	}
	e.db.Close() // checkpoints the WAL into the file
	chunk := stored[len(stored)/2 : len(stored)/2+48]
	for _, p := range []string{e.dbPath, e.dbPath + "-wal"} {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, marker := range [][]byte{[]byte("NURSE-0240"), []byte("C02XTEST0240"), []byte("doctor293"), chunk} {
			if bytes.Contains(data, marker) {
				t.Errorf("%s still holds %q", filepath.Base(p), marker[:min(len(marker), 16)])
			}
		}
	}
}

// TestInventoryKeptMovesToPlan: with "keep", the list stays with the
// draft, each device in its population, until Save & share moves it to the
// plan; a later import not kept leaves the next revision without a list;
// "Forget the device list" erases it from both.
func TestInventoryKeptMovesToPlan(t *testing.T) {
	e := newInventoryEnv(t).step1()
	hospital := readFixture(t, "../examples/inventory/hospital.csv")
	if r := e.importFile("hospital.csv", hospital, url.Values{"keep": {"1"}}); !strings.Contains(r.body, `name="keep" value="1" checked`) {
		t.Error("keep not carried to the grouping page")
	}
	expectRedirect(t, e.p.post(inventoryGroupsPath, e.groupsForm("apply", url.Values{"keep": {"1"}})), "/wizard/devices?imported=2-1400")
	d := e.draft()
	data, _, err := e.db.GetDeviceList(context.Background(), store.DraftDevices(d.ID))
	if err != nil {
		t.Fatal(err)
	}
	devices, err := inventory.DecodeList(data)
	if err != nil || len(devices) != 1400 {
		t.Fatalf("kept list: %d devices, %v", len(devices), err)
	}
	ids := map[string]bool{}
	for _, p := range d.Answers.Populations {
		ids[p.ID] = true
	}
	for _, dev := range devices {
		if !ids[dev.Population] {
			t.Fatalf("device %+v in no population of the answers", dev)
		}
	}
	if !d.deviceListKept() {
		t.Error("the kept list is not said to be kept")
	}
	if page := text(e.p.get(inventoryPath).body); !strings.Contains(page, "The names, serial numbers and users of 1,400 devices are kept with this draft") {
		t.Errorf("import page: %.500s", page)
	}
	// The draft's worklist is that list, one row per kept device.
	{
		d := e.draft()
		d.Answers.Organization, d.Reached = "St Elsewhere", stepPlan
		if err := e.s.storeDraft(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		r := e.p.get("/wizard/worklist.csv")
		if r.status != 200 {
			t.Fatalf("draft worklist: %d %.300s", r.status, r.body)
		}
		if rows := readCSV(t, r.body); len(rows) != 1400 {
			t.Errorf("draft worklist: %d rows for 1,400 kept devices", len(rows))
		}
	}

	// Save & share: the plan gets the list, the draft keeps none.
	save := func(org string, want int) {
		t.Helper()
		d := e.draft()
		d.Answers.Organization = org
		d.Reached = stepPlan
		if err := e.s.storeDraft(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		if r := e.p.post("/wizard/save", nil); r.status != want {
			t.Fatalf("save: %d %.300s", r.status, text(r.body))
		}
	}
	save("Lakeside General", 200)
	d = e.draft()
	if d.PlanID == "" {
		t.Fatal("no plan")
	}
	if got, _, err := e.db.GetDeviceList(context.Background(), store.PlanDevices(d.PlanID)); err != nil || !bytes.Equal(got, data) {
		t.Errorf("plan's list: %d bytes, %v", len(got), err)
	}
	if _, _, err := e.db.GetDeviceList(context.Background(), store.DraftDevices(d.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the draft still has a list: %v", err)
	}
	if page := text(e.p.get(inventoryPath).body); !strings.Contains(page, "kept with the saved plan") {
		t.Errorf("import page after save: %.500s", page)
	}
	// A new import, not kept: the next revision has no list.
	e.importFile("hospital.csv", hospital, nil)
	expectRedirect(t, e.p.post(inventoryGroupsPath, e.groupsForm("apply", url.Values{"mode": {"replace"}})), "/wizard/devices?imported=2-1400")
	save("Lakeside General hospital", 303)
	if _, _, err := e.db.GetDeviceList(context.Background(), store.PlanDevices(d.PlanID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the plan keeps the old list after a revision without one: %v", err)
	}

	// Forget: erased from the draft and the plan at once.
	e.importFile("hospital.csv", hospital, nil)
	expectRedirect(t, e.p.post(inventoryGroupsPath, e.groupsForm("apply", url.Values{"keep": {"1"}, "mode": {"replace"}})), "/wizard/devices?imported=2-1400")
	if err := e.db.SaveDeviceList(context.Background(), store.PlanDevices(d.PlanID), data); err != nil {
		t.Fatal(err)
	}
	if r := e.p.get(inventoryPath); !strings.Contains(r.body, forgetForm) {
		t.Error("no Forget button with a kept list")
	}
	expectRedirect(t, e.p.post("/wizard/inventory/forget", nil), "/wizard/inventory?forgotten=1")
	for _, owner := range []string{store.DraftDevices(d.ID), store.PlanDevices(d.PlanID)} {
		if _, _, err := e.db.GetDeviceList(context.Background(), owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after forget: %v", owner, err)
		}
	}
	r := e.p.get("/wizard/inventory?forgotten=1")
	if !strings.Contains(text(r.body), "The device list was erased") || strings.Contains(r.body, forgetForm) {
		t.Errorf("after forget: %.400s", text(r.body))
	}
}

// TestInventoryBadFiles: a file that cannot be read is a 4xx page with the
// reason beside the file field, never a 5xx.
func TestInventoryBadFiles(t *testing.T) {
	e := newInventoryEnv(t)
	var many strings.Builder
	many.WriteString("Device name,OS\n")
	for i := range plan.MaxInventoryRows + 1 {
		fmt.Fprintf(&many, "D%d,Windows\n", i)
	}
	big := bytes.Repeat([]byte("Device name,OS,Notes\nPC-1,Windows,"+strings.Repeat("x", 1000)+"\n"), 21<<10)
	for _, c := range []struct {
		name, file string
		content    []byte
		status     int
		says       string
	}{
		{"binary", "devices.csv", []byte("\x00\x01\x02\xff\xfe\x00PK\x00garbage\x00\x00\x89PNG"), 422, ""},
		{"broken quote", "devices.csv", []byte("Device name,OS,Model\nPC-1,Windows,\"Latitude\nPC-2,Windows,Latitude\nPC-3,Windows,Latitude\nPC-4,Windows,Latitude\nPC-5,Windows,Latitude\n"), 422, "quotation mark"},
		{"too many rows", "devices.csv", []byte(many.String()), 422, "more than 100,000 devices"},
		{"too large", "devices.csv", big, 413, "larger than 20 MB"},
		{"empty", "devices.csv", nil, 422, "empty"},
		{"old Excel", "devices.xls", []byte("x"), 422, ".xlsx"},
		{"a PDF", "devices.pdf", []byte("%PDF-1.4"), 422, "That is a .pdf file"},
		{"heading only", "devices.csv", []byte("Device name,OS\n"), 422, "no devices"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.p.uploadInventory(c.file, c.content, nil)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %.400s", r.status, c.status, text(r.body))
			}
			msg := regexp.MustCompile(`(?s)<p class="error-message" id="f-inventory-error">(.*?)</p>`).FindStringSubmatch(r.body)
			if msg == nil {
				t.Fatalf("no message beside the file field: %.600s", text(r.body))
			}
			if !strings.Contains(text(msg[1]), c.says) {
				t.Errorf("message %q does not say %q", text(msg[1]), c.says)
			}
			if !strings.Contains(r.body, "<title>Error: ") {
				t.Error("the title does not start with Error:")
			}
		})
	}
	// No file chosen, a form that is not multipart, a bad number of days.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("stale_days", "90")
	mw.CreateFormFile("inventory", "")
	mw.Close()
	if r := e.p.postBody(inventoryPath, mw.FormDataContentType(), &body); r.status != 422 || !strings.Contains(text(r.body), "Choose the inventory file") {
		t.Errorf("no file: %d %.300s", r.status, text(r.body))
	}
	if r := e.p.post(inventoryPath, url.Values{"x": {"y"}}); r.status != 400 || !strings.Contains(text(r.body), "Choose the inventory file") {
		t.Errorf("not multipart: %d %.300s", r.status, text(r.body))
	}
	if r := e.p.uploadInventory("d.csv", []byte("Device name,OS\nA,Windows\n"), url.Values{"stale_days": {"soon"}}); r.status != 422 || !strings.Contains(r.body, `id="f-stale-days-error"`) {
		t.Errorf("stale days: %d %.300s", r.status, text(r.body))
	}
	// A body announced over the bound: refused before it is read, beside the field.
	req, _ := http.NewRequest("POST", e.p.base+inventoryPath, strings.NewReader("x"))
	req.ContentLength = maxInventoryBody + 1
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if res, err := e.p.c.Do(req); err == nil {
		if r := readResp(t, res); r.status != 413 || !strings.Contains(r.body, `id="f-inventory-error"`) {
			t.Errorf("announced too large: %d", r.status)
		}
	}
	// Other forms keep the server's usual bound.
	if r := e.p.post("/wizard/organisation", url.Values{"organization": {strings.Repeat("x", MaxBody)}}); r.status != 413 {
		t.Errorf("step 1 over MaxBody: %d", r.status)
	}
}

// TestInventoryRandomBytesNever5xx: whatever bytes are uploaded, under
// whatever name, the answer is a page, never a server error.
func TestInventoryRandomBytesNever5xx(t *testing.T) {
	e := newInventoryEnv(t)
	rng := rand.New(rand.NewPCG(18, 2))
	seeds := [][]byte{readFixture(t, "../internal/inventory/testdata/spreadsheet.xlsx"), readFixture(t, "../internal/inventory/testdata/spreadsheet.csv")}
	for i := range 60 {
		var content []byte
		switch i % 3 {
		case 0: // noise
			content = make([]byte, rng.IntN(4096))
			for j := range content {
				content[j] = byte(rng.UintN(256))
			}
		default: // a real file, damaged
			content = bytes.Clone(seeds[i%2])
			for range 1 + rng.IntN(20) {
				content[rng.IntN(len(content))] = byte(rng.UintN(256))
			}
			content = content[:rng.IntN(len(content))+1]
		}
		name := []string{"a.csv", "a.xlsx", "a.txt", "a"}[rng.IntN(4)]
		r := e.p.uploadInventory(name, content, nil)
		if r.status >= 500 {
			t.Fatalf("upload %d (%s, %d bytes): %d %.300s", i, name, len(content), r.status, text(r.body))
		}
		if r.status == 303 {
			if g := e.p.get(inventoryGroupsPath); g.status >= 500 {
				t.Fatalf("groups after upload %d: %d", i, g.status)
			}
		}
	}
}
