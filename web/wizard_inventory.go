package web

import (
	"bytes"
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
	// Carried: the stored blob carries the list kept from earlier files
	// (keptMark), for apply to add to, or "Upload another file" to restore.
	Carried     bool `json:"carried,omitempty"`
	KeptDevices int  `json:"kept_devices,omitempty"` // how many are carried
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
	// A list kept from an earlier file shares the owner: carried along.
	kept, carried, err := s.carriedDevices(r.Context(), d)
	if err != nil {
		return err
	}
	var blob []byte
	if up.state.Pending {
		blob, err = rawBlob(up.raw, kept, carried)
	} else {
		blob, err = withKept(up.devices, kept)
	}
	if err != nil {
		return err
	}
	up.state.Carried, up.state.KeptDevices = carried, len(kept)
	if err := s.store.SaveDeviceList(keepCtx(r), store.DraftDevices(d.ID), blob); err != nil {
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

// upload is a read inventory: the draft's grouping and what is stored
// under the draft's device-list owner: the devices once grouped, the
// upload (gzip) while its columns are asked about (state.Pending).
type upload struct {
	state   *inventoryDraft
	devices []inventory.Device
	raw     []byte
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
		return &upload{state: inv, raw: raw.Bytes()}, nil
	}
	devices, err := s.groupInventory(inv, res, raw.Bytes(), nil)
	if err != nil {
		return nil, err
	}
	return &upload{state: inv, devices: devices}, nil
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

// groupInventory fills inv with the groups of res and returns the devices
// to store while the planner groups: every placed device with its
// group's id, the stale ones marked (staleMark) and placed in the group
// they would be in had they checked in, so that "Enroll them with their
// groups" can enroll them. That needs a second reading, of the kept copy
// with nothing stale (raw: the file, gzip-compressed).
func (s *Server) groupInventory(inv *inventoryDraft, res *inventory.Result, raw []byte, mapping map[string]string) ([]inventory.Device, error) {
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
	return devices, nil
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
