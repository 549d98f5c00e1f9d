package web

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/templates/layout"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// The inventory import of step 2 (issue 18): the planner uploads a device
// list, the groups are proposed, the planner reworks them and applies them
// as step 2's populations.
//
// Device names, serial numbers and users are personal data. The draft (at
// most 256 KiB, kept for weeks) holds only the grouping: counts, names, the
// first rows left out. The devices themselves are stored under the draft's
// device-list owner while the planner groups them (merging and splitting
// need them), and erased when the groups are applied unless the planner
// chose to keep them for a worklist; a kept list moves to the saved plan
// when the plan is saved (keepDeviceList).

const (
	inventoryPath       = "/wizard/inventory"
	inventoryGroupsPath = "/wizard/inventory/groups"
	// maxInventoryBytes bounds the file (CONTRACT §8.5); the request may
	// carry a little more: the form's other fields and the part headers.
	maxInventoryBytes = 20 << 20
	maxInventoryBody  = maxInventoryBytes + 64<<10
	// inventoryReadTime is how long the upload may take to arrive: 20 MB
	// on a slow line takes longer than the server's usual read timeout.
	inventoryReadTime = 3 * time.Minute
	defaultStaleDays  = 90
	maxStaleDays      = 3650
	// maxFirstUnplaced is how many rows left out the page lists.
	maxFirstUnplaced = 20
	// maxAskedColumns bounds the columns the planner is asked about (and
	// the draft remembers), with at most maxColumnSamples samples of at
	// most maxSampleRunes each.
	maxAskedColumns  = 60
	maxColumnSamples = 3
	maxSampleRunes   = 40
	maxHeadingRunes  = 80
	// maxInventoryGroups bounds the groups one file may propose, so the
	// draft stays small; a plan holds plan.MaxPopulations.
	maxInventoryGroups = 150
)

// bodyLimit is the most a request may send: MaxBody, more for the
// inventory upload, which carries a file of up to maxInventoryBytes.
func bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == inventoryPath {
		return maxInventoryBody
	}
	return MaxBody
}

// inventoryDraft is the grouping of an imported inventory, as the draft
// keeps it: no device names, serials or users (the column samples asked
// about, while they are asked, excepted).
type inventoryDraft struct {
	File      string `json:"file,omitempty"`
	Format    string `json:"format,omitempty"`
	Rows      int    `json:"rows,omitempty"`
	StaleDays int    `json:"stale_days,omitempty"`
	Keep      bool   `json:"keep,omitempty"`
	// Pending: some columns were not recognised, and the stored list is
	// the upload itself until the planner says what they hold.
	Pending  bool          `json:"pending,omitempty"`
	Why      string        `json:"why,omitempty"` // why the columns are asked about, when nothing could be placed
	Columns  []invColumn   `json:"columns,omitempty"`
	Unused   []string      `json:"unused,omitempty"` // headings of the columns not used
	Groups   []invGroup    `json:"groups,omitempty"`
	Stale    int           `json:"stale,omitempty"`
	Enroll   bool          `json:"enroll_stale,omitempty"` // the stale devices enroll with their groups (default: retire them)
	Unplaced int           `json:"unplaced,omitempty"`
	First    []invUnplaced `json:"first_unplaced,omitempty"`
	Mode     string        `json:"mode,omitempty"` // "add": the groups join step 2's populations instead of replacing them
	// Applied: the groups are step 2's populations now; the fields above
	// are cleared, and only what the next save does remains.
	Applied bool `json:"applied,omitempty"`
	Devices int  `json:"devices,omitempty"` // devices in the kept list, once applied
	// PlanList is what the next Save & share does with the saved plan's
	// device list: "keep" (the draft's list replaces it) or "drop".
	PlanList string `json:"plan_list,omitempty"`
}

type invColumn struct {
	Heading string   `json:"heading"`
	Field   string   `json:"field,omitempty"` // "" when not recognised (or ignored)
	Samples []string `json:"samples,omitempty"`
	Asked   bool     `json:"asked,omitempty"` // not recognised: the planner says what it holds
}

type invGroup struct {
	Pop    plan.Population `json:"pop"`
	Reason string          `json:"reason,omitempty"`
	Stale  int             `json:"stale,omitempty"` // of its devices, how many are stale
	// InIntune: already enrolled in Intune; nothing to plan, left out.
	InIntune bool `json:"in_intune,omitempty"`
}

type invUnplaced struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// ---- the upload ---------------------------------------------------------

func (s *Server) inventoryHead(title string) layout.Head {
	h := s.head(title, false)
	h.CSS = append(h.CSS, s.assets.URL("css/inventory.css"))
	return h
}

func (s *Server) importView(r *http.Request, d *draft, errs pages.FormErrors) pages.InventoryImportView {
	v := pages.InventoryImportView{Head: s.inventoryHead("Import a device inventory"), Nav: s.nav(r, d, stepDevices), Errors: errs,
		StaleDays: strconv.Itoa(defaultStaleDays), MaxRows: plan.Thousands(plan.MaxInventoryRows), MaxMB: maxInventoryBytes >> 20}
	if d.Reached < stepDevices {
		v.Nav.BackURL = "/" // started here, from the start page
	} else {
		v.Nav.BackURL = stepURL(stepDevices)
	}
	if inv := d.Inventory; inv != nil && !inv.Applied && len(inv.Groups)+len(inv.Columns) > 0 {
		v.Grouping = true
	}
	if r.URL.Query().Has("forgotten") {
		v.Nav.Flash = "The device list was erased: only the counts are kept."
	}
	v.Kept = s.keptList(r.Context(), d)
	return v
}

// keptList describes the device list kept with the draft (once its groups
// were applied) or with the plan it edits; nil when there is none.
func (s *Server) keptList(ctx context.Context, d *draft) *pages.KeptDeviceList {
	if d.ID == "" {
		return nil
	}
	if inv := d.Inventory; inv != nil && inv.Applied && inv.PlanList == "keep" {
		if _, at, err := s.store.GetDeviceList(ctx, store.DraftDevices(d.ID)); err == nil {
			return &pages.KeptDeviceList{Devices: plan.Thousands(inv.Devices), Saved: at.UTC().Format("2 Jan 2006")}
		}
	}
	if d.PlanID == "" {
		return nil
	}
	data, at, err := s.store.GetDeviceList(ctx, store.PlanDevices(d.PlanID))
	if err != nil {
		return nil
	}
	k := &pages.KeptDeviceList{Saved: at.UTC().Format("2 Jan 2006"), Plan: true, Devices: "the"}
	if devs, err := inventory.DecodeList(data); err == nil {
		k.Devices = plan.Thousands(len(devs))
	}
	return k
}

// handleInventoryGet is GET /wizard/inventory. It needs no draft and no
// earlier step: an inventory can be where a plan starts.
func (s *Server) handleInventoryGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, pages.InventoryImportPage(s.importView(r, d, nil)))
}

// uploadError is a problem with the upload, said beside its field.
type uploadError struct {
	status int
	field  string
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

func fileError(status int, msg string) *uploadError {
	return &uploadError{status: status, field: "inventory", msg: msg}
}

var errInventoryTooLarge = fileError(http.StatusRequestEntityTooLarge, fmt.Sprintf("The file is larger than %d MB. Export only the columns you need (device name, serial number, OS, model, owner, user, last check-in), or upload the devices in parts.", maxInventoryBytes>>20))

// handleInventoryPost is POST /wizard/inventory: the file is read as it
// arrives, never stored whole; only its devices are (and, while the
// planner says what unrecognised columns hold, the upload, compressed).
func (s *Server) handleInventoryPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	fail := func(e *uploadError) error {
		errs := pages.FormErrors{{Field: e.field, Message: e.msg}}
		v := s.importView(r, d, errs)
		return s.render(w, r, e.status, pages.InventoryImportPage(v))
	}
	if r.ContentLength > maxInventoryBody {
		return fail(errInventoryTooLarge)
	}
	// The server's read deadline suits forms, not 20 MB on a slow line.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(inventoryReadTime))
	up, err := s.readUpload(r)
	if err != nil {
		var ue *uploadError
		if errors.As(err, &ue) {
			return fail(ue)
		}
		return err
	}
	if d.ID == "" { // the upload makes the planner's draft
		if err := s.takeCreate(w, r); err != nil {
			return err
		}
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
	}
	if err := s.store.SaveDeviceList(keepCtx(r), store.DraftDevices(d.ID), up.blob); err != nil {
		if errors.Is(err, store.ErrTooLarge) {
			return fail(errInventoryTooLarge)
		}
		return err
	}
	d.Inventory = up.state
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, inventoryGroupsPath, http.StatusSeeOther)
	return nil
}

// keepCtx is the request's context, detached from the client giving up: a
// write that has begun is finished.
func keepCtx(r *http.Request) context.Context { return ctxWithoutCancel(r.Context()) }

// upload is a read inventory: the draft's grouping and the blob stored
// under the draft's device-list owner.
type upload struct {
	state *inventoryDraft
	blob  []byte
}

// readUpload reads the multipart form part by part: the options first
// (the page puts them before the file), then the file, streamed into the
// reader. Fields after the file are not read.
func (s *Server) readUpload(r *http.Request) (*upload, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fileError(http.StatusBadRequest, "Choose the inventory file (CSV or Excel), then upload it.")
	}
	staleDays, keep := defaultStaleDays, false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fileError(http.StatusUnprocessableEntity, "Choose the inventory file (CSV or Excel), then upload it.")
		}
		if err != nil {
			return nil, partError(err)
		}
		switch part.FormName() {
		case "stale_days":
			typed, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				return nil, partError(err)
			}
			n, msg := parseStaleDays(string(typed))
			if msg != "" {
				return nil, &uploadError{status: http.StatusUnprocessableEntity, field: "stale_days", msg: msg}
			}
			staleDays = n
		case "keep":
			keep = true
		case "inventory":
			return s.readInventoryPart(part, staleDays, keep)
		}
		part.Close()
	}
}

// partError words a failure to read the form: too large, or cut off.
func partError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, multipart.ErrMessageTooLarge) {
		return errInventoryTooLarge
	}
	if isTimeout(err) {
		return fileError(http.StatusRequestTimeout, "The file arrived too slowly and was not read; upload it again.")
	}
	return fileError(http.StatusBadRequest, "The upload was cut off or could not be read; upload the file again.")
}

// parseStaleDays reads "No check-in for more than N days counts as stale".
func parseStaleDays(typed string) (int, string) {
	t := strings.TrimSpace(typed)
	if t == "" {
		return defaultStaleDays, ""
	}
	n, err := strconv.Atoi(strings.NewReplacer(",", "", " ", "").Replace(t))
	if err != nil || n < 1 || n > maxStaleDays {
		return 0, fmt.Sprintf("Enter a number of days from 1 to %s, like 90, not “%s”", plan.Thousands(maxStaleDays), clip(t, 20))
	}
	return n, ""
}

// clip shortens what a planner typed for a message.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// inventoryExts are the file names the import reads; anything else is
// refused by its name before a byte is read, with what to do instead.
var inventoryExts = []string{".csv", ".txt", ".tsv", ".xlsx", ""}

// readInventoryPart streams the file into inventory.Read, keeping a
// compressed copy: reading it again is how the planner's word on columns
// not recognised, and the stale devices' groups, are had.
func (s *Server) readInventoryPart(part *multipart.Part, staleDays int, keep bool) (*upload, error) {
	defer part.Close()
	if part.FileName() == "" {
		return nil, fileError(http.StatusUnprocessableEntity, "Choose the inventory file (CSV or Excel), then upload it.")
	}
	name := clip(path.Base(strings.ReplaceAll(part.FileName(), `\`, "/")), maxHeadingRunes)
	switch ext := strings.ToLower(path.Ext(name)); {
	case ext == ".xls":
		return nil, fileError(http.StatusUnprocessableEntity, "That is an older Excel file (.xls). Open it in Excel and save it as an Excel workbook (.xlsx) or as CSV, then upload that.")
	case !slices.Contains(inventoryExts, ext):
		return nil, fileError(http.StatusUnprocessableEntity, fmt.Sprintf("That is a %s file. Upload a CSV file (.csv or .txt) or an Excel workbook (.xlsx) with a heading row.", ext))
	}
	var raw bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&raw, gzip.BestSpeed)
	counted := &countingReader{r: io.TeeReader(part, zw)}
	res, err := inventory.Read(counted, s.inventoryOptions(staleDays, nil))
	if counted.n > maxInventoryBytes {
		return nil, errInventoryTooLarge
	}
	var ie *inventory.Error
	asked := err != nil && errors.As(err, &ie) && len(ie.Columns) > 0 // no column tells the platform: which does?
	if err != nil && !asked {
		return nil, readError(err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	inv := &inventoryDraft{File: name, StaleDays: staleDays, Keep: keep}
	switch {
	case asked:
		inv.Pending, inv.Why = true, ie.Msg
		inv.Columns = askColumns(ie.Columns, func(inventory.Column) bool { return true })
	case res.Format == inventory.FormatSpreadsheet && slices.ContainsFunc(res.Columns, unknownColumn):
		inv.Pending, inv.Rows, inv.Format = true, res.Rows, res.Format
		inv.Columns = askColumns(res.Columns, unknownColumn)
	}
	if inv.Pending {
		return &upload{state: inv, blob: append([]byte(rawUploadMagic), raw.Bytes()...)}, nil
	}
	blob, err := s.groupInventory(inv, res, raw.Bytes(), nil)
	if err != nil {
		return nil, err
	}
	return &upload{state: inv, blob: blob}, nil
}

// unknownColumn is a column of a spreadsheet the planner is asked about:
// not recognised, and not empty. An export the import knows (Intune,
// Configuration Manager, …) has many more columns than it needs; those are
// listed as not used, and nobody is asked about them.
func unknownColumn(c inventory.Column) bool { return c.Field == "" && len(c.Samples) > 0 }

// askColumns keeps the columns for the draft: each recognised heading and
// its field, and those ask says the planner is asked about, with a few
// samples.
func askColumns(cols []inventory.Column, ask func(inventory.Column) bool) []invColumn {
	var out []invColumn
	asked := 0
	for _, c := range cols {
		ic := invColumn{Heading: clip(c.Heading, maxHeadingRunes), Field: c.Field}
		if ask(c) && asked < maxAskedColumns {
			ic.Asked = true
			asked++
			for _, v := range c.Samples[:min(len(c.Samples), maxColumnSamples)] {
				ic.Samples = append(ic.Samples, clip(v, maxSampleRunes))
			}
		}
		if ic.Asked || ic.Field != "" {
			out = append(out, ic)
		}
	}
	return out
}

// groupInventory fills inv with the groups of res and returns the device
// list to store while the planner groups: every placed device with its
// group's id, the stale ones marked (staleMark) and placed in the group
// they would be in had they checked in, so that "Enroll them with their
// groups" can enroll them. That needs a second reading, of the kept copy
// with nothing stale (raw: the file, gzip-compressed).
func (s *Server) groupInventory(inv *inventoryDraft, res *inventory.Result, raw []byte, mapping map[string]string) ([]byte, error) {
	inv.Pending, inv.Why, inv.Rows, inv.Format = false, "", res.Rows, res.Format
	inv.Columns = askColumns(res.Columns, func(inventory.Column) bool { return false }) // asked, or never: no samples kept
	inv.Unused = nil
	for _, c := range res.Columns {
		if c.Field == "" && len(inv.Unused) < maxAskedColumns {
			inv.Unused = append(inv.Unused, clip(c.Heading, maxHeadingRunes))
		}
	}
	inv.Stale, inv.Unplaced, inv.First = len(res.Stale), len(res.Unplaced), nil
	for _, u := range res.Unplaced[:min(len(res.Unplaced), maxFirstUnplaced)] {
		inv.First = append(inv.First, invUnplaced{Row: u.Row, Reason: clip(u.Reason, 300)})
	}
	groups, devices := res.Groups, res.Devices
	if len(res.Stale) > 0 {
		all, err := readAgain(raw, s.inventoryOptions(-1, mapping))
		if err != nil {
			return nil, err
		}
		stale := make(map[int]bool, len(res.Stale))
		for _, sk := range res.Stale {
			stale[sk.Row] = true
		}
		groups, devices = all.Groups, all.Devices
		for i := range devices {
			if stale[devices[i].Row] {
				devices[i].Population = staleMark + devices[i].Population
			}
		}
	}
	if len(groups) > maxInventoryGroups {
		return nil, fileError(http.StatusUnprocessableEntity, fmt.Sprintf("The devices fall into %s groups, more than the %d that can be reworked here; check that the columns hold what their headings say (a maker or model column holding serial numbers, say).", plan.Thousands(len(groups)), maxInventoryGroups))
	}
	inv.Groups = nil
	for _, g := range groups {
		inv.Groups = append(inv.Groups, invGroup{Pop: g.Population, Reason: g.Reason, InIntune: g.InIntune})
	}
	inv.countStale(devices)
	return inventory.EncodeList(devices)
}

// staleMark starts the population of a stale device in the list kept while
// grouping, before the id of the group it would be in.
const staleMark = "stale:"

// countStale counts each group's stale devices.
func (inv *inventoryDraft) countStale(devices []inventory.Device) {
	at := map[string]int{}
	for i, g := range inv.Groups {
		at[g.Pop.ID] = i
		inv.Groups[i].Stale = 0
	}
	for _, d := range devices {
		if id, ok := strings.CutPrefix(d.Population, staleMark); ok {
			if i, ok := at[id]; ok {
				inv.Groups[i].Stale++
			}
		}
	}
}

// readAgain reads the kept copy of an upload.
func readAgain(raw []byte, opts inventory.Options) (*inventory.Result, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	res, err := inventory.Read(zr, opts)
	if err != nil {
		return nil, readError(err)
	}
	return res, nil
}

// rawUploadMagic starts a stored upload whose columns wait on the planner,
// so that it is never taken for a device list (gzip from its first byte).
const rawUploadMagic = "enrollplan-upload\n"

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (s *Server) inventoryOptions(staleDays int, mapping map[string]string) inventory.Options {
	return inventory.Options{Today: s.now(), StaleDays: staleDays, Mapping: mapping, MaxBytes: maxInventoryBytes}
}

// readError words what inventory.Read refused, for beside the file field.
func readError(err error) error {
	var ie *inventory.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ie):
		return fileError(http.StatusUnprocessableEntity, upperFirst(ie.Error()))
	case errors.As(err, &mbe), errors.Is(err, multipart.ErrMessageTooLarge):
		return errInventoryTooLarge
	}
	// Anything else came from reading the request: the upload was cut off.
	return partError(err)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// ---- the grouping ---------------------------------------------------------

// inventoryFields are what a column not recognised may hold, in the words
// of the mapping form; "" ignores the column.
var inventoryFields = []pages.Choice{
	{Value: "", Label: "Ignore this column"},
	{Value: "name", Label: "Device name"},
	{Value: "serial", Label: "Serial number"},
	{Value: "os", Label: "Operating system"},
	{Value: "os_version", Label: "OS version"},
	{Value: "model", Label: "Model"},
	{Value: "manufacturer", Label: "Maker"},
	{Value: "ownership", Label: "Ownership (company or personal)"},
	{Value: "user", Label: "Primary user"},
	{Value: "last_seen", Label: "Last check-in"},
	{Value: "managed_by", Label: "Managed by"},
	{Value: "usage", Label: "Use (one user, shared, kiosk)"},
}

func fieldLabel(field string) string {
	for _, c := range inventoryFields {
		if c.Value == field {
			return c.Label
		}
	}
	return field
}

// splitChoices are what a group can be split by (inventory.SplitGroup).
var splitChoices = []pages.Choice{
	{Value: inventory.ByMaker, Label: "Maker"},
	{Value: inventory.ByModel, Label: "Model"},
	{Value: inventory.ByOSVersion, Label: "OS version"},
	{Value: inventory.ByNamePrefix, Label: "Start of the device name"},
	{Value: inventory.ByUser, Label: "With or without a user"},
}

// inventoryDraftOf is the grouping under way, or a redirect to the upload
// when there is none (it was applied, discarded, or never made).
func (s *Server) inventoryDraftOf(w http.ResponseWriter, r *http.Request) (*draft, bool, error) {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return nil, false, err
	}
	if inv := d.Inventory; d.ID == "" || inv == nil || inv.Applied {
		http.Redirect(w, r, inventoryPath, http.StatusSeeOther)
		return nil, false, nil
	}
	return d, true, nil
}

func (s *Server) groupsView(r *http.Request, d *draft, errs pages.FormErrors) pages.InventoryGroupsView {
	inv := d.Inventory
	v := pages.InventoryGroupsView{Head: s.inventoryHead("Groups from your inventory"), Nav: s.nav(r, d, stepDevices), Errors: errs,
		File: inv.File, Summary: inventorySummary(inv), Pending: inv.Pending, Fields: inventoryFields, SplitBy: splitChoices,
		Existing: len(d.Answers.Populations), Mode: cmp.Or(inv.Mode, "replace"), Keep: inv.Keep}
	v.Nav.BackURL = inventoryPath
	v.Why = inv.Why
	v.Unused = strings.Join(inv.Unused, ", ")
	for i, c := range inv.Columns {
		if !c.Asked {
			if c.Field != "" {
				v.Recognised = append(v.Recognised, fmt.Sprintf("%s (%s)", c.Heading, strings.ToLower(fieldLabel(c.Field))))
			}
			continue
		}
		v.Columns = append(v.Columns, pages.InventoryColumn{Index: i, Heading: c.Heading, Samples: strings.Join(c.Samples, ", "), Field: c.Field})
	}
	for i, g := range inv.Groups {
		p := g.Pop
		row := pages.InventoryGroup{Index: i, Name: p.Name, Platform: s.platformName(p.Platform), Ownership: ownershipWords(p.Ownership),
			Usage: usageWords(p.Usage), ManagedBy: managedByWords(p.KnownManagedBy(), g.InIntune), Maker: cmp.Or(p.Manufacturer, "—"),
			Devices: plan.Thousands(g.devices(inv)), Reason: g.Reason}
		switch {
		case g.Stale > 0 && inv.Enroll:
			row.Stale = "including " + plan.Thousands(g.Stale) + " stale"
		case g.Stale > 0:
			row.Stale = "and " + plan.Thousands(g.Stale) + " stale, left out"
		}
		for j, o := range inv.Groups {
			if j != i {
				row.Others = append(row.Others, pages.Choice{Value: strconv.Itoa(j), Label: o.Pop.Name})
			}
		}
		v.Groups = append(v.Groups, row)
	}
	if inv.Stale > 0 {
		v.Stale = &pages.InventoryStale{Devices: plan.Thousands(inv.Stale), Days: plan.Thousands(inv.StaleDays), Retire: !inv.Enroll}
	}
	if inv.Unplaced > 0 {
		v.Unplaced = plural(inv.Unplaced, "row", "rows")
		for _, u := range inv.First {
			v.FirstRows = append(v.FirstRows, pages.InventoryRow{Row: plan.Thousands(u.Row), Reason: u.Reason})
		}
	}
	if errs != nil {
		for i := range v.Groups { // what was typed, not what was saved
			v.Groups[i].Name = r.PostForm.Get(groupField(i, "name"))
		}
	}
	return v
}

// devices is how many devices the group's population gets: all of them
// (Pop.Devices counts the stale too), less the stale unless they enroll.
func (g invGroup) devices(inv *inventoryDraft) int {
	if inv.Enroll {
		return g.Pop.Devices
	}
	return g.Pop.Devices - g.Stale
}

// inventorySummary is the line above the groups: "1,998 devices in 8
// groups; 22 stale; 3 left out".
func inventorySummary(inv *inventoryDraft) string {
	if inv.Pending {
		return fmt.Sprintf("%s read; %s not recognised.", plural(inv.Rows, "row", "rows"), plural(countAsked(inv), "column was", "columns were"))
	}
	n := 0
	for _, g := range inv.Groups {
		n += g.devices(inv)
	}
	parts := []string{fmt.Sprintf("%s in %s", plural(n, "device", "devices"), plural(len(inv.Groups), "group", "groups"))}
	if inv.Stale > 0 {
		parts = append(parts, plan.Thousands(inv.Stale)+" stale")
	}
	if inv.Unplaced > 0 {
		parts = append(parts, plan.Thousands(inv.Unplaced)+" left out")
	}
	return strings.Join(parts, "; ")
}

func countAsked(inv *inventoryDraft) int {
	n := 0
	for _, c := range inv.Columns {
		if c.Asked {
			n++
		}
	}
	return n
}

// plural is "1 device" or "1,998 devices"; a "one" ending in " was" /
// "many" in " were" reads "1 column was", "2 columns were".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return plan.Thousands(n) + " " + many
}

func (s *Server) platformName(id string) string {
	if p := s.cat.Platform(id); p != nil {
		return p.Name
	}
	return cmp.Or(id, "—")
}

func ownershipWords(o string) string {
	switch o {
	case plan.OwnCorporate:
		return "Organisation"
	case plan.OwnPersonal:
		return "Personal"
	}
	return "Not known"
}

func usageWords(u string) string {
	switch u {
	case plan.UsageUser:
		return "One user"
	case plan.UsageShared:
		return "Shared"
	case plan.UsageDedicated:
		return "Kiosk or single purpose"
	}
	return "Not known"
}

func managedByWords(m string, inIntune bool) string {
	switch {
	case inIntune:
		return "Intune already: left out of the plan"
	}
	switch m {
	case plan.ManagedNone:
		return "Nothing"
	case plan.ManagedConfigMgr:
		return "Configuration Manager"
	case plan.ManagedOtherMDM:
		return "Another MDM"
	}
	return "Not known"
}

func groupField(i int, name string) string { return fmt.Sprintf("groups[%d].%s", i, name) }

// handleInventoryGroupsGet is GET /wizard/inventory/groups.
func (s *Server) handleInventoryGroupsGet(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.inventoryDraftOf(w, r)
	if !ok || err != nil {
		return err
	}
	v := s.groupsView(r, d, nil)
	return s.render(w, r, http.StatusOK, pages.InventoryGroupsPage(v))
}

// handleInventoryGroupsPost is POST /wizard/inventory/groups: every button
// of the grouping page, named by its action; each posts the names and the
// choices with it, and redirects back when done (Post/Redirect/Get).
func (s *Server) handleInventoryGroupsPost(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.inventoryDraftOf(w, r)
	if !ok || err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	inv := d.Inventory
	action := r.PostForm.Get("action")
	if action == "another" {
		return s.discardInventory(w, r, d)
	}
	if inv.Pending {
		return s.confirmColumns(w, r, d)
	}
	again := func(errs pages.FormErrors) error {
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, errs)))
	}
	// The choices of the page, whatever the button.
	inv.Enroll = r.PostForm.Get("stale") == "enroll"
	inv.Keep = r.PostForm.Get("keep") == "1"
	if m := r.PostForm.Get("mode"); m == "add" || m == "replace" {
		inv.Mode = m
	}
	if errs := renameGroups(inv, r.PostForm); len(errs) > 0 {
		return again(errs)
	}
	target := inventoryGroupsPath
	kind, i := groupAction(action, len(inv.Groups))
	var op func(*inventory.Result) (*inventory.Result, error)
	switch kind {
	case "merge":
		j, err := strconv.Atoi(r.PostForm.Get(groupField(i, "merge")))
		if err != nil || j < 0 || j >= len(inv.Groups) || j == i {
			break // a forged or outdated choice: nothing is merged
		}
		into, from := inv.Groups[j].Pop.ID, inv.Groups[i].Pop.ID
		op = func(res *inventory.Result) (*inventory.Result, error) { return inventory.MergeGroups(res, into, from) }
		target += "#" + pages.FieldID(groupField(min(i, j), "name"))
	case "split":
		by := r.PostForm.Get(groupField(i, "split"))
		if !slices.Contains(inventory.SplitBys, by) {
			break
		}
		id := inv.Groups[i].Pop.ID
		op = func(res *inventory.Result) (*inventory.Result, error) { return inventory.SplitGroup(res, id, by) }
		target += "#" + pages.FieldID(groupField(i, "name"))
	case "apply":
		return s.applyInventory(w, r, d)
	}
	if op != nil {
		if err := s.regroup(r.Context(), d, op); err != nil {
			var ie *inventory.Error
			if !errors.As(err, &ie) {
				return err
			}
			return again(pages.FormErrors{{Field: groupField(i, kind), Message: ie.Msg, Where: inv.Groups[i].Pop.Name}})
		}
	}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// groupAction reads "merge-3" or "split-0" for a page of n groups.
func groupAction(action string, n int) (string, int) {
	for _, kind := range []string{"merge", "split"} {
		if num, ok := strings.CutPrefix(action, kind+"-"); ok {
			if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < n {
				return kind, i
			}
			return "", -1
		}
	}
	return action, -1
}

// renameGroups takes the names typed: each needs one (inventory.RenameGroup
// says what a name may be), and no two groups may share one, as they
// become the populations of step 2; a name used twice is an error beside
// the one just typed.
func renameGroups(inv *inventoryDraft, f map[string][]string) pages.FormErrors {
	res := &inventory.Result{}
	for _, g := range inv.Groups {
		res.Groups = append(res.Groups, inventory.Group{Population: g.Pop})
	}
	msgs := map[int]string{} // by group, one each
	fail := func(i int, msg string) {
		if msgs[i] == "" {
			msgs[i] = msg
		}
	}
	for i, g := range inv.Groups {
		name := g.Pop.Name
		if vs := f[groupField(i, "name")]; len(vs) > 0 {
			name = strings.Join(strings.Fields(vs[0]), " ")
		}
		next, err := inventory.RenameGroup(res, g.Pop.ID, name)
		var ie *inventory.Error
		switch {
		case errors.As(err, &ie):
			fail(i, ie.Msg)
		case err != nil:
			fail(i, "Give the group a name, for example “Ward iPads”.")
		default:
			res = next
		}
	}
	first := map[string]int{}
	for i, g := range res.Groups {
		key := strings.ToLower(g.Name)
		j, dup := first[key]
		if !dup {
			first[key] = i
			continue
		}
		blame, other := i, j
		if g.Name == inv.Groups[i].Pop.Name && res.Groups[j].Name != inv.Groups[j].Pop.Name {
			blame, other = j, i // the earlier one was just renamed
		}
		fail(blame, fmt.Sprintf("Group %d is called “%s” already; give each group a name of its own.", other+1, res.Groups[other].Name))
	}
	if len(msgs) > 0 {
		var errs pages.FormErrors
		for i := range inv.Groups {
			if msg := msgs[i]; msg != "" {
				errs = append(errs, pages.FormError{Field: groupField(i, "name"), Message: msg, Where: fmt.Sprintf("Group %d", i+1)})
			}
		}
		return errs
	}
	for i := range inv.Groups {
		inv.Groups[i].Pop.Name = res.Groups[i].Name
	}
	return nil
}

// regroup carries out a merge or a split on the devices stored while
// grouping. The stale devices take part as members of the group they
// would be in, and stay marked.
func (s *Server) regroup(ctx context.Context, d *draft, op func(*inventory.Result) (*inventory.Result, error)) error {
	inv := d.Inventory
	devices, err := s.groupingDevices(ctx, d)
	if err != nil {
		return err
	}
	stale := map[int]bool{}
	for i, dev := range devices {
		if id, ok := strings.CutPrefix(dev.Population, staleMark); ok {
			stale[dev.Row], devices[i].Population = true, id
		}
	}
	res := &inventory.Result{Devices: devices}
	for _, g := range inv.Groups {
		res.Groups = append(res.Groups, inventory.Group{Population: g.Pop, Reason: g.Reason, InIntune: g.InIntune})
	}
	out, err := op(res)
	if err != nil {
		return err
	}
	for i := range out.Devices {
		if stale[out.Devices[i].Row] {
			out.Devices[i].Population = staleMark + out.Devices[i].Population
		}
	}
	blob, err := inventory.EncodeList(out.Devices)
	if err != nil {
		return err
	}
	if err := s.store.SaveDeviceList(ctxWithoutCancel(ctx), store.DraftDevices(d.ID), blob); err != nil {
		return err
	}
	inv.Groups = nil
	for _, g := range out.Groups {
		inv.Groups = append(inv.Groups, invGroup{Pop: g.Population, Reason: g.Reason, InIntune: g.InIntune})
	}
	inv.countStale(out.Devices)
	return nil
}

// groupingDevices reads the devices stored while grouping.
func (s *Server) groupingDevices(ctx context.Context, d *draft) ([]inventory.Device, error) {
	data, _, err := s.store.GetDeviceList(ctx, store.DraftDevices(d.ID))
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte(rawUploadMagic)) {
		return nil, errors.New("inventory: the stored upload waits on its columns")
	}
	return inventory.DecodeList(data)
}

// confirmColumns is "Use these columns": the upload is read again with
// the planner's word on each column asked about, and the groups proposed.
func (s *Server) confirmColumns(w http.ResponseWriter, r *http.Request, d *draft) error {
	inv := d.Inventory
	mapping := map[string]string{}
	var errs pages.FormErrors
	chosen := map[string]int{}
	for i := range inv.Columns {
		c := &inv.Columns[i]
		if !c.Asked {
			continue
		}
		field := r.PostForm.Get(columnField(i))
		if field != "" && !slices.ContainsFunc(inventoryFields, func(ch pages.Choice) bool { return ch.Value == field }) {
			field = ""
		}
		c.Field = field
		mapping[c.Heading] = field
		if field == "" {
			continue
		}
		if j, dup := chosen[field]; dup {
			errs = append(errs, pages.FormError{Field: columnField(i), Message: fmt.Sprintf("Column “%s” holds the %s already; choose it for one column only", inv.Columns[j].Heading, strings.ToLower(fieldLabel(field)))})
		}
		chosen[field] = i
	}
	if len(errs) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, errs)))
	}
	data, _, err := s.store.GetDeviceList(r.Context(), store.DraftDevices(d.ID))
	if errors.Is(err, store.ErrNotFound) { // erased meanwhile (Forget, another tab)
		return s.discardInventory(w, r, d)
	}
	if err != nil {
		return err
	}
	raw, ok := bytes.CutPrefix(data, []byte(rawUploadMagic))
	if !ok {
		return s.discardInventory(w, r, d)
	}
	res, err := readAgain(raw, s.inventoryOptions(inv.StaleDays, mapping))
	var blob []byte
	if err == nil {
		blob, err = s.groupInventory(inv, res, raw, mapping)
	}
	if err != nil {
		var ue *uploadError
		if !errors.As(err, &ue) {
			return err
		}
		// Still nothing to place by: said above the columns, to choose again.
		first := 0
		for i, c := range inv.Columns {
			if c.Asked {
				first = i
				break
			}
		}
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, pages.FormErrors{{Field: columnField(first), Message: ue.msg}})))
	}
	if err := s.store.SaveDeviceList(keepCtx(r), store.DraftDevices(d.ID), blob); err != nil {
		return err
	}
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, inventoryGroupsPath, http.StatusSeeOther)
	return nil
}

func columnField(i int) string { return fmt.Sprintf("columns[%d]", i) }

// applyInventory is "Use these groups": they become step 2's populations
// (replacing those there, or added to them), the answers get the
// inventory's counts, and the device list is kept only when the planner
// chose to keep it.
func (s *Server) applyInventory(w http.ResponseWriter, r *http.Request, d *draft) error {
	inv := d.Inventory
	fail := func(field, msg string) error {
		return s.render(w, r, http.StatusUnprocessableEntity, pages.InventoryGroupsPage(s.groupsView(r, d, pages.FormErrors{{Field: field, Message: msg}})))
	}
	var pops []plan.Population
	var from []string // the group each of pops came from
	for _, g := range inv.Groups {
		n := g.devices(inv)
		if g.InIntune || n == 0 {
			continue
		}
		p := g.Pop
		p.Devices = n
		pops = append(pops, p)
		from = append(from, g.Pop.ID)
	}
	if len(pops) == 0 {
		return fail("apply", "No group has devices to enroll: every device is stale or already in Intune. Choose Enroll them with their groups, or upload another file.")
	}
	add := inv.Mode == "add" && len(d.Answers.Populations) > 0
	kept := 0
	if add {
		kept = len(d.Answers.Populations)
	}
	if n := kept + len(pops); n > plan.MaxPopulations {
		return fail("apply", fmt.Sprintf("That makes %d populations, more than the %d a plan holds: merge some groups first.", n, plan.MaxPopulations))
	}
	all := append(slices.Clone(d.Answers.Populations[:kept]), pops...)
	all = withIDs(all)
	idOf := map[string]string{}
	for k, id := range from {
		idOf[id] = all[kept+k].ID
	}
	var devices []inventory.Device
	if inv.Keep {
		list, err := s.groupingDevices(r.Context(), d)
		if err != nil {
			return err
		}
		for _, dev := range list {
			id, stale := strings.CutPrefix(dev.Population, staleMark)
			if stale && !inv.Enroll {
				continue // retired: not kept
			}
			if dev.Population = idOf[id]; dev.Population != "" {
				devices = append(devices, dev)
			}
		}
	}
	summary := &plan.Inventory{Rows: inv.Rows, Columns: map[string]string{}, Devices: []plan.InventoryDevice{}}
	for _, c := range inv.Columns {
		if c.Field != "" && summary.Columns[c.Field] == "" {
			summary.Columns[c.Field] = c.Heading
		}
	}
	if d.Answers.Schema == "" {
		d.Answers.Schema = plan.AnswersSchema
	}
	d.Answers.Populations = all
	d.Answers.Inventory = summary
	delete(d.Forms, devicesSpec.key) // step 2 shows the populations as they now are
	s.populationsChanged(d)
	d.Reached = max(d.Reached, stepDevices)
	placed := 0
	for _, p := range pops {
		placed += p.Devices
	}
	applied := &inventoryDraft{Applied: true, Keep: inv.Keep, PlanList: "drop"}
	if inv.Keep {
		blob, err := inventory.EncodeList(devices)
		if err != nil {
			return err
		}
		if err := s.store.SaveDeviceList(keepCtx(r), store.DraftDevices(d.ID), blob); err != nil {
			return err
		}
		applied.PlanList, applied.Devices = "keep", len(devices)
	} else if err := s.store.DeleteDeviceList(keepCtx(r), store.DraftDevices(d.ID)); err != nil {
		return err
	}
	d.Inventory = applied
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	// Step 2 shows the groups; before it, step 1 when its answers are
	// missing (the planner started from the inventory): the later steps
	// need the organisation's name.
	target := stepURL(stepDevices)
	if d.Answers.Organization == "" {
		target = stepURL(stepOrg)
	}
	http.Redirect(w, r, fmt.Sprintf("%s?imported=%d-%d", target, len(pops), placed), http.StatusSeeOther)
	return nil
}

// discardInventory is "Upload another file": the grouping and its devices
// are dropped, and the upload page shown again.
func (s *Server) discardInventory(w http.ResponseWriter, r *http.Request, d *draft) error {
	if err := s.store.DeleteDeviceList(keepCtx(r), store.DraftDevices(d.ID)); err != nil {
		return err
	}
	d.Inventory = nil
	if err := s.saveDraft(w, r, d); err != nil {
		return err
	}
	http.Redirect(w, r, inventoryPath, http.StatusSeeOther)
	return nil
}

// handleInventoryForget is POST /wizard/inventory/forget: "Forget the
// device list" erases the list kept with the draft and with the saved plan
// it edits, at once; the answers keep their counts.
func (s *Server) handleInventoryForget(w http.ResponseWriter, r *http.Request) error {
	d, ok, err := s.wizardDraft(w, r, stepOrg)
	if !ok || err != nil {
		return err
	}
	if d.ID != "" {
		if err := s.store.DeleteDeviceList(keepCtx(r), store.DraftDevices(d.ID)); err != nil {
			return err
		}
		if d.PlanID != "" {
			if err := s.store.DeleteDeviceList(keepCtx(r), store.PlanDevices(d.PlanID)); err != nil {
				return err
			}
		}
		d.Inventory = nil
		if err := s.saveDraft(w, r, d); err != nil {
			return err
		}
	}
	http.Redirect(w, r, inventoryPath+"?forgotten=1", http.StatusSeeOther)
	return nil
}

// keepDeviceList is called by Save & share once the draft's answers are
// plan planID (new, or a new revision): a device list the planner kept
// moves from the draft to the plan, replacing the plan's; one they chose
// not to keep leaves the plan without a list. The caller saves the draft
// next. A failure is logged and tried again at the next save: the plan is
// saved either way, and the share page says whether a list is kept.
func (s *Server) keepDeviceList(ctx context.Context, d *draft, planID string) {
	inv := d.Inventory
	if inv == nil || inv.PlanList == "" || d.ID == "" {
		return
	}
	ctx = ctxWithoutCancel(ctx)
	var err error
	switch inv.PlanList {
	case "keep":
		var data []byte
		data, _, err = s.store.GetDeviceList(ctx, store.DraftDevices(d.ID))
		switch {
		case errors.Is(err, store.ErrNotFound): // forgotten since
			err = s.store.DeleteDeviceList(ctx, store.PlanDevices(planID))
		case err == nil:
			if err = s.store.SaveDeviceList(ctx, store.PlanDevices(planID), data); err == nil {
				err = s.store.DeleteDeviceList(ctx, store.DraftDevices(d.ID))
			}
		}
	default:
		err = s.store.DeleteDeviceList(ctx, store.PlanDevices(planID))
	}
	if err != nil {
		s.log.Warn("device list not moved to the saved plan; the next save tries again", "plan", planID, "err", err)
		return
	}
	inv.PlanList = ""
}

// inventoryFlash is the message after the groups were applied
// (?imported=groups-devices), on step 2, or on step 1 when the planner must
// answer it first: numbers only, so a link made elsewhere can say nothing else.
func inventoryFlash(r *http.Request, step int) string {
	g, n, ok := strings.Cut(r.URL.Query().Get("imported"), "-")
	groups, err1 := strconv.Atoi(g)
	devices, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || groups < 1 || devices < 0 || groups > plan.MaxPopulations || devices > plan.MaxInventoryRows {
		return ""
	}
	what := fmt.Sprintf("%s from your inventory (%s)", plural(groups, "group", "groups"), plural(devices, "device", "devices"))
	switch step {
	case stepDevices:
		return what + " — check them and continue."
	case stepOrg:
		return what + " are in step 2. First, say who the plan is for; step 2 follows."
	}
	return ""
}
