package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/worklist"
)

// worklistAnswers is the mixed fleet cut to three populations of 30
// devices (12 laptops, 10 iPhones, 8 Android phones), a pilot of 2 of
// each and two waves: wave 1 takes the laptops and 4 iPhones, wave 2 the
// other 4 iPhones and the Android phones.
func worklistAnswers(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../examples/mixed-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]any
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	a["organization"] = "Northwind Traders"
	var pops []any
	for _, p := range a["populations"].([]any) {
		pm := p.(map[string]any)
		switch pm["id"] {
		case "office-pcs":
			pm["devices"] = 12
		case "sales-iphones":
			pm["devices"] = 10
		case "field-android":
			pm["devices"] = 8
		default:
			continue
		}
		pops = append(pops, pm)
	}
	a["populations"] = pops
	a["rollout"] = map[string]any{
		"pilot_group":   "Intune Pilot",
		"pilot_devices": 2,
		"waves": []any{
			map[string]any{"name": "Wave 1", "group": "Office and Sales", "start": "2027-02-01", "populations": []string{"office-pcs", "sales-iphones"}, "devices": map[string]int{"sales-iphones": 4}},
			map[string]any{"name": "Wave 2", "group": "Field service", "start": "2027-03-01", "populations": []string{"sales-iphones", "field-android"}, "devices": map[string]int{"sales-iphones": 4}},
		},
	}
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// worklistDevices is the kept list: 30 devices, the populations
// interleaved by row; the first laptop's name would run as a formula.
func worklistDevices() []inventory.Device {
	left := map[string]int{"office-pcs": 12, "sales-iphones": 10, "field-android": 8}
	var out []inventory.Device
	for row := 1; len(out) < 30; {
		for _, pop := range []string{"field-android", "sales-iphones", "office-pcs"} {
			if left[pop] == 0 {
				continue
			}
			left[pop]--
			out = append(out, inventory.Device{Row: row, Name: fmt.Sprintf("%s-%02d", pop, row), Serial: fmt.Sprintf("SN%05d", row), User: fmt.Sprintf("user%02d@northwind.example", row), Population: pop})
			row++
		}
	}
	out[2].Name = `=HYPERLINK("http://evil.example","open")`
	return out
}

// keepList stores a device list as the wizard does.
func keepList(t *testing.T, st store.Store, owner string, devices []inventory.Device) {
	t.Helper()
	data, err := inventory.EncodeList(devices)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveDeviceList(context.Background(), owner, data); err != nil {
		t.Fatal(err)
	}
}

// createWorklistPlan saves the 30-device plan through the API and keeps
// its device list.
func createWorklistPlan(t *testing.T, ts *testServer) createdPlan {
	t.Helper()
	r := ts.do(t, "POST", "/api/v1/plans", worklistAnswers(t))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatal(err)
	}
	keepList(t, ts.fault.Store, store.PlanDevices(c.ID), worklistDevices())
	return c
}

// scheduleOf reads the saved plan's schedule and task titles.
func scheduleOf(t *testing.T, ts *testServer, id string) (entries []struct {
	Wave, WaveID, Start, Population string
	Devices                         int
	Tasks                           []string
}, titles map[string]string) {
	t.Helper()
	r := ts.do(t, "GET", "/api/v1/plans/"+id, "")
	var doc struct {
		Plan struct {
			Schedule []struct {
				Wave       string   `json:"wave"`
				WaveID     string   `json:"wave_id"`
				Start      string   `json:"start"`
				Population string   `json:"population"`
				Devices    int      `json:"devices"`
				Tasks      []string `json:"tasks"`
			} `json:"schedule"`
			Tasks []struct{ ID, Title string } `json:"tasks"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("plan %d: %v", r.status, err)
	}
	titles = map[string]string{}
	for _, tk := range doc.Plan.Tasks {
		titles[tk.ID] = tk.Title
	}
	for _, e := range doc.Plan.Schedule {
		entries = append(entries, struct {
			Wave, WaveID, Start, Population string
			Devices                         int
			Tasks                           []string
		}{e.Wave, e.WaveID, e.Start, e.Population, e.Devices, e.Tasks})
	}
	return entries, titles
}

// readCSV parses a worklist CSV into records keyed by the heading.
func readCSV(t *testing.T, body string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the worklist is not CSV: %v\n%s", err, body)
	}
	if !slices.Equal(recs[0], worklist.Header) {
		t.Fatalf("heading %v, want %v", recs[0], worklist.Header)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func TestWorklistOfASavedPlan(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	c := createWorklistPlan(t, ts)
	alex := newPlanner(t, ts.srv.URL)
	csvURL, xlsxURL := "/p/"+c.ID+"/worklist.csv", "/p/"+c.ID+"/worklist.xlsx"

	// The share link alone does not open it.
	for _, u := range []string{csvURL, xlsxURL} {
		r := alex.get(u)
		if r.status != 403 || !strings.Contains(r.body, "/p/"+c.ID+"/progress") || strings.Contains(r.body, "SN0000") {
			t.Fatalf("%s without the edit key: %d %.300s", u, r.status, r.body)
		}
	}
	if r := ts.do(t, "GET", csvURL, "", "Authorization", "Bearer not-the-key"); r.status != 403 {
		t.Fatalf("a wrong key: %d", r.status)
	}
	// The edit key as Bearer opens it, for scripts.
	if r := ts.do(t, "GET", csvURL, "", "Authorization", "Bearer "+c.EditKey); r.status != 200 {
		t.Fatalf("with the edit key as Bearer: %d %.300s", r.status, r.body)
	}

	// Record progress: the pilot's laptops done, wave 1's iPhones blocked.
	entries, titles := scheduleOf(t, ts, c.ID)
	var pilotPCs, wave1Phones []string
	for _, e := range entries {
		switch {
		case e.WaveID == "pilot" && e.Population == "office-pcs":
			pilotPCs = e.Tasks
		case e.Wave == "Wave 1" && e.Population == "sales-iphones":
			wave1Phones = e.Tasks
		}
	}
	if len(pilotPCs) < 2 || len(wave1Phones) < 2 {
		t.Fatalf("the schedule lacks the pilot's laptops or wave 1's iPhones: %+v", entries)
	}
	patch := map[string]any{"tasks": map[string]any{}, "enrolled": map[string]any{"pilot": map[string]int{"office-pcs": 1}}, "by": "Alex"}
	for _, id := range pilotPCs {
		patch["tasks"].(map[string]any)[id] = map[string]string{"status": "done"}
	}
	patch["tasks"].(map[string]any)[wave1Phones[1]] = map[string]string{"status": "blocked", "note": "Waiting for the Apple token"}
	body, _ := json.Marshal(patch)
	if r := ts.patchProgress(t, c.ID, c.EditKey, `"p0"`, string(body)); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}

	// This browser opens the tracker with the edit link: now it may.
	expectRedirect(t, alex.post("/p/"+c.ID+"/progress/key", url.Values{"key": {c.EditURL}}), "/p/"+c.ID+"/progress")
	r := alex.get(csvURL)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("worklist: %d %q %q", r.status, r.header.Get("Cache-Control"), r.header.Get("Content-Type"))
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="northwind-traders-worklist-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows := readCSV(t, r.body)
	if len(rows) != 30 {
		t.Fatalf("%d rows, want one per kept device (30)", len(rows))
	}

	// Each device is in the wave the plan's counts put it in, in row order.
	names := map[string]string{"office-pcs": "Office laptops", "sales-iphones": "Sales iPhones", "field-android": "Field service Android phones"}
	want := map[string]string{} // inventory row → wave
	stepsOf := map[string]string{}
	for pop := range names {
		var popRows []int
		for _, d := range worklistDevices() {
			if d.Population == pop {
				popRows = append(popRows, d.Row)
			}
		}
		i := 0
		for _, e := range entries {
			if e.Population != pop {
				continue
			}
			var steps []string
			for _, id := range e.Tasks {
				steps = append(steps, titles[id])
			}
			stepsOf[e.Wave+"/"+pop] = strings.Join(steps, worklist.StepSeparator)
			for n := 0; n < e.Devices && i < len(popRows); n++ {
				want[fmt.Sprint(popRows[i])] = e.Wave
				i++
			}
		}
		if i != len(popRows) {
			t.Fatalf("the plan places %d of the %d %s", i, len(popRows), pop)
		}
	}
	perWave := map[string]int{}
	var waveSeq []string
	for _, row := range rows {
		if got := want[row["Row in inventory"]]; row["Wave"] != got {
			t.Errorf("row %s (%s) is in %q, want %q", row["Row in inventory"], row["Group"], row["Wave"], got)
		}
		if len(waveSeq) == 0 || waveSeq[len(waveSeq)-1] != row["Wave"] {
			waveSeq = append(waveSeq, row["Wave"])
		}
		perWave[row["Wave"]+"/"+row["Group"]]++
		var pop string
		for id, name := range names {
			if name == row["Group"] {
				pop = id
			}
		}
		if pop == "" {
			t.Fatalf("row %v: group %q is none of the plan's", row, row["Group"])
		}
		if steps := stepsOf[row["Wave"]+"/"+pop]; row["Steps for this device"] != steps || steps == "" {
			t.Errorf("row %s: steps %q, want the population's tasks in its wave %q", row["Row in inventory"], row["Steps for this device"], steps)
		}
		if row["Method"] == "" || row["Factory reset"] == "" || row["Serial number"] == "" || row["User"] == "" {
			t.Errorf("row %v lacks method, factory reset, serial or user", row)
		}
	}
	if !slices.Equal(waveSeq, []string{"Pilot", "Wave 1", "Wave 2"}) {
		t.Errorf("the rows run through the waves %v, want the pilot, wave 1, wave 2 in turn", waveSeq)
	}
	if perWave["Pilot/Office laptops"] != 2 || perWave["Wave 1/Office laptops"] != 10 || perWave["Wave 1/Sales iPhones"] != 4 || perWave["Wave 2/Sales iPhones"] != 4 || perWave["Wave 2/Field service Android phones"] != 6 {
		t.Errorf("devices per wave and group: %v", perWave)
	}

	// The statuses are what the team recorded.
	for _, row := range rows {
		switch row["Wave"] + "/" + row["Group"] {
		case "Pilot/Office laptops":
			if row["Status"] != "Done" || row["Enrolled in wave"] != "1 of 2" {
				t.Errorf("pilot laptop: status %q, enrolled %q; want Done, 1 of 2", row["Status"], row["Enrolled in wave"])
			}
		case "Wave 1/Sales iPhones":
			if row["Status"] != "Blocked: Waiting for the Apple token" {
				t.Errorf("wave 1 iPhone: status %q", row["Status"])
			}
		case "Wave 2/Field service Android phones":
			if row["Status"] != "To do" || row["Enrolled in wave"] != "0 of 6" || row["Wave start"] != "2027-03-01" {
				t.Errorf("wave 2 Android: %v", row)
			}
		}
	}
	// The hostile name is text.
	if !strings.Contains(r.body, `'=HYPERLINK(`) {
		t.Error("a device name starting with = is not neutralised")
	}

	// The workbook: the same rows, a frozen heading and a filter.
	x := alex.get(xlsxURL)
	if x.status != 200 || x.header.Get("Content-Type") != worklistFormats["xlsx"] || x.header.Get("Cache-Control") != "no-store" || !strings.HasSuffix(x.header.Get("Content-Disposition"), `.xlsx"`) {
		t.Fatalf("workbook: %d %q %q", x.status, x.header.Get("Content-Type"), x.header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(strings.NewReader(x.body))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	if panes, err := f.GetPanes(worklist.SheetName); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v %v: want the heading frozen", panes, err)
	}
	filtered := false
	for _, dn := range f.GetDefinedName() {
		filtered = filtered || dn.Name == "_xlnm._FilterDatabase" && strings.HasSuffix(dn.RefersTo, "$A$1:$L$31")
	}
	if !filtered {
		t.Errorf("no filter over the heading and 30 rows: %+v", f.GetDefinedName())
	}
	sheet, err := f.GetRows(worklist.SheetName)
	if err != nil {
		t.Fatal(err)
	}
	csvRecs, _ := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if len(sheet) != len(csvRecs) {
		t.Fatalf("%d rows in the workbook, %d in the CSV", len(sheet), len(csvRecs))
	}
	for i := range sheet {
		for j := range worklist.Header {
			cell := ""
			if j < len(sheet[i]) {
				cell = sheet[i][j]
			}
			if c := csvRecs[i][j]; c != cell && c != "'"+cell {
				t.Errorf("row %d, %s: workbook %q, CSV %q", i+1, worklist.Header[j], cell, c)
			}
		}
	}
}

func TestWorklistWithoutAList(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	c := ts.create(t) // keeps no device list
	alex := newPlanner(t, ts.srv.URL)
	expectRedirect(t, alex.post("/p/"+c.ID+"/progress/key", url.Values{"key": {c.EditURL}}), "/p/"+c.ID+"/progress")
	for _, u := range []string{"/p/" + c.ID + "/worklist.csv", "/p/" + c.ID + "/worklist.xlsx"} {
		if r := alex.get(u); r.status != 404 || !strings.Contains(r.body, "keeps no device list") {
			t.Errorf("%s without a list: %d %.300s", u, r.status, r.body)
		}
	}
	if r := alex.get("/p/" + c.ID); strings.Contains(r.body, "keeps a list of") || strings.Contains(r.body, "worklist.csv") {
		t.Error("the share page of a plan without a device list mentions one")
	}
	if r := alex.get("/p/" + c.ID + "/progress"); strings.Contains(r.body, "Forget the device list") {
		t.Error("the tracker offers to forget a list the plan does not keep")
	}
	if r := alex.get("/p/AAAAAAAAAAAAAAAAAAAAAA/worklist.csv"); r.status != 404 {
		t.Errorf("an unknown plan's worklist: %d", r.status)
	}
}

func TestForgetTheDeviceList(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	c := createWorklistPlan(t, ts)
	share, tracker := "/p/"+c.ID, "/p/"+c.ID+"/progress"
	alex, eve := newPlanner(t, ts.srv.URL), newPlanner(t, ts.srv.URL)

	page := eve.get(share)
	if page.status != 200 || !strings.Contains(page.body, "This plan keeps a list of 30 devices with their names, serial numbers and users, for the team's worklist. Deleting the plan erases it.") {
		t.Fatalf("the share page does not say it keeps the device list: %d", page.status)
	}
	if !strings.Contains(page.body, share+"/worklist.csv") || !strings.Contains(page.body, share+"/worklist.xlsx") || strings.Contains(page.body, "/devices/forget") {
		t.Error("the share page does not link the worklist, or offers everyone the forget button")
	}
	if strings.Contains(page.body, "SN00001") || strings.Contains(page.body, "user01@") {
		t.Error("the share page shows a serial number or a user")
	}

	// Without the edit key: refused, the list kept.
	if r := eve.post(share+"/devices/forget", url.Values{}); r.status != 403 || !strings.Contains(r.body, "edit key") {
		t.Fatalf("forget without the key: %d", r.status)
	}
	expectRedirect(t, alex.post(tracker+"/key", url.Values{"key": {c.EditURL}}), tracker)
	if r := ts.do(t, "POST", share+"/devices/forget", "", "Sec-Fetch-Site", "cross-site", "Authorization", "Bearer "+c.EditKey); r.status != 403 {
		t.Fatalf("a cross-site forget: %d", r.status)
	}
	if _, _, err := ts.fault.Store.GetDeviceList(context.Background(), store.PlanDevices(c.ID)); err != nil {
		t.Fatalf("a refused forget erased the list: %v", err)
	}

	// The tracker offers it to whoever opened it with the key.
	tp := alex.get(tracker)
	if !strings.Contains(tp.body, `action="`+share+`/devices/forget"`) || !strings.Contains(tp.body, "30 devices") {
		t.Fatal("the tracker does not offer to forget the device list")
	}
	expectRedirect(t, alex.post(share+"/devices/forget", url.Values{}), tracker+"?devices=forgotten#device-list")
	if _, _, err := ts.fault.Store.GetDeviceList(context.Background(), store.PlanDevices(c.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after forgetting, the list reads: %v", err)
	}
	if r := alex.get(tracker + "?devices=forgotten"); !strings.Contains(r.body, "The device list is erased") || strings.Contains(r.body, "Forget the device list") {
		t.Error("the tracker does not say the list is erased")
	}
	if r := eve.get(share); r.status != 200 || strings.Contains(r.body, "keeps a list of") || strings.Contains(r.body, "worklist.csv") {
		t.Errorf("the share page still says it keeps the list: %d", r.status)
	}
	if r := alex.get(share + "/worklist.csv"); r.status != 404 {
		t.Errorf("the worklist after forgetting: %d", r.status)
	}
}

func TestRevokingErasesTheDeviceList(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	c := createWorklistPlan(t, ts)
	if r := ts.do(t, "DELETE", "/api/v1/plans/"+c.ID, "", "Authorization", "Bearer "+c.EditKey); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	// No row left: the store then answers for the list as for the plan, gone.
	if _, _, err := ts.fault.Store.GetDeviceList(context.Background(), store.PlanDevices(c.ID)); !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrGone) {
		t.Fatalf("after deleting the plan, its device list reads: %v", err)
	}
	if r := ts.do(t, "GET", "/p/"+c.ID+"/worklist.csv", "", "Authorization", "Bearer "+c.EditKey); r.status != 410 {
		t.Errorf("the worklist of a deleted plan: %d", r.status)
	}
}

// draftSpy remembers the drafts saved through it.
type draftSpy struct {
	store.Store
	mu  sync.Mutex
	ids []string
}

func (d *draftSpy) SaveDraft(ctx context.Context, dr store.Draft) error {
	d.mu.Lock()
	d.ids = append(d.ids, dr.ID)
	d.mu.Unlock()
	return d.Store.SaveDraft(ctx, dr)
}

func (d *draftSpy) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ids[len(d.ids)-1]
}

func TestWorklistOfTheDraft(t *testing.T) {
	var spy *draftSpy
	ts := newTestServer(t, func(o *Options) { spy = &draftSpy{Store: o.Store}; o.Store = spy }, nil)
	c := createWorklistPlan(t, ts)
	alex := newPlanner(t, ts.srv.URL)

	// No draft yet: the wizard's own answer, not a worklist.
	if r := alex.get("/wizard/worklist.csv"); r.status == 200 {
		t.Fatalf("a worklist without a draft: %d", r.status)
	}
	// The saved plan opened in the wizard: its kept list, nothing recorded.
	expectRedirect(t, alex.post("/p/"+c.ID+"/edit", url.Values{"key": {c.EditKey}}), "/wizard/plan")
	r := alex.get("/wizard/worklist.csv")
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" || !strings.Contains(r.header.Get("Content-Disposition"), `filename="northwind-traders-worklist-draft.csv"`) {
		t.Fatalf("draft worklist: %d %q %q %.300s", r.status, r.header.Get("Cache-Control"), r.header.Get("Content-Disposition"), r.body)
	}
	rows := readCSV(t, r.body)
	if len(rows) != 30 || rows[0]["Wave"] != "Pilot" || rows[0]["Status"] != "To do" || rows[0]["Enrolled in wave"] != "" {
		t.Fatalf("draft worklist: %d rows, first %v", len(rows), rows[0])
	}

	// A list under the draft that the planner has not chosen to keep (an
	// upload still being grouped, or its raw bytes while a column is asked
	// about) is not the worklist's: the plan's kept list still is. The
	// draft's own kept list is followed from the import in
	// TestInventoryKeptMovesToPlan.
	keepList(t, ts.fault.Store, store.DraftDevices(spy.last()), []inventory.Device{
		{Row: 1, Name: "new-pc", Population: "office-pcs"},
	})
	if rows = readCSV(t, alex.get("/wizard/worklist.csv").body); len(rows) != 30 || rows[0]["Device name"] == "new-pc" {
		t.Fatalf("a list being grouped became the worklist: %d rows, first %v", len(rows), rows[0])
	}
	if err := ts.fault.Store.SaveDeviceList(context.Background(), store.DraftDevices(spy.last()), []byte("Device name,OS\nraw,upload\n")); err != nil {
		t.Fatal(err)
	}
	if r := alex.get("/wizard/worklist.csv"); r.status != 200 {
		t.Fatalf("a raw upload under the draft broke the worklist: %d %.200s", r.status, r.body)
	}
	x := alex.get("/wizard/worklist.xlsx")
	if x.status != 200 {
		t.Fatalf("draft workbook: %d", x.status)
	}
	if _, err := excelize.OpenReader(bytes.NewReader([]byte(x.body))); err != nil {
		t.Fatalf("the draft's workbook does not open: %v", err)
	}

	// Neither list: 404 in words.
	ctx := context.Background()
	ts.fault.Store.DeleteDeviceList(ctx, store.DraftDevices(spy.last()))
	ts.fault.Store.DeleteDeviceList(ctx, store.PlanDevices(c.ID))
	if r := alex.get("/wizard/worklist.csv"); r.status != 404 || !strings.Contains(r.body, "keeps no device list") {
		t.Errorf("a draft without a list: %d %.300s", r.status, r.body)
	}
}
