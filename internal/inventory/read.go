package inventory

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// Defaults of Options.
const (
	DefaultStaleDays = 90
	DefaultMaxBytes  = 20 << 20
)

// Options tune Read.
type Options struct {
	// Mapping is the planner's word on columns: heading → field (a
	// plan.InventoryFields value), or "" to ignore the column. It wins over
	// recognition.
	Mapping map[string]string
	// Today is the day staleness is measured from (zero: now).
	Today time.Time
	// StaleDays: a device whose last check-in is more than this many days
	// before Today is stale (0: DefaultStaleDays; negative: none is).
	StaleDays int
	// MaxBytes bounds the file (0: DefaultMaxBytes).
	MaxBytes int64
}

// Result is what an inventory says: its columns and the groups a person
// would make of its devices.
type Result struct {
	// Format names the export recognised: one of the Format* constants.
	Format string `json:"format"`
	// Rows counts data rows: the heading and blank rows are not counted.
	Rows    int      `json:"rows"`
	Columns []Column `json:"columns"`
	Groups  []Group  `json:"groups"`
	// Devices are the placed rows in row order, each with its group's id
	// in Population.
	Devices []Device `json:"devices"`
	// Stale rows last checked in before the cut-off: offered to retire
	// rather than enrol, and in no group.
	Stale []Skipped `json:"stale,omitempty"`
	// Unplaced rows could not be placed, each with the reason.
	Unplaced []Skipped `json:"unplaced,omitempty"`
}

// Skipped is a row left out of the groups, with the reason in words.
type Skipped struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
	Device Device `json:"device"` // what the row holds; Population is empty
}

// String is the line the command line prints: "row 17 (NURSE-0017): …".
func (s Skipped) String() string {
	if id := cmp.Or(s.Device.Name, s.Device.Serial); id != "" {
		return fmt.Sprintf("row %d (%s): %s", s.Row, id, s.Reason)
	}
	return fmt.Sprintf("row %d: %s", s.Row, s.Reason)
}

const (
	maxValue   = 128 // bytes kept of one value: names, serials and UPNs are shorter
	maxSample  = 80  // characters of a sample value
	maxInterns = 10_000
)

// Read reads a device inventory (CSV or .xlsx, as exported by Intune,
// Configuration Manager, Jamf Pro, Workspace ONE, Apple Business or a
// spreadsheet) and proposes its groups. It streams: beyond the devices it
// keeps, memory does not grow with the file. A problem with the file as a
// whole is an *Error; problems with single rows are in Result.Unplaced.
func Read(r io.Reader, opts Options) (*Result, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.StaleDays == 0 {
		opts.StaleDays = DefaultStaleDays
	}
	if opts.Today.IsZero() {
		opts.Today = time.Now()
	}
	src, err := open(r, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	defer src.close()
	rd := &reader{src: src, opts: opts, keys: map[groupKey]int{}, interned: map[string]string{}}
	if err := rd.readHeading(); err != nil {
		return nil, err
	}
	if err := rd.readRows(); err != nil {
		return nil, err
	}
	return rd.result()
}

type reader struct {
	src  source
	opts Options
	res  Result

	pending     []record // records read while looking for the heading
	index       map[string]int
	ctx         context
	headingLine int
	width       int // values the heading row has, empty ones included

	keys     map[groupKey]int
	keyList  []groupKey
	counts   []int
	makers   []string // each group's maker, "" once two differ
	devGroup []int32  // group of each placed device, by position
	interned map[string]string
}

// readHeading takes the first non-blank record as the heading row, unless
// one of the next few is recognisably a heading (a title line above it).
func (rd *reader) readHeading() error {
	var seen []record
	for len(seen) < 5 {
		rec, err := rd.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blank(rec) {
			continue
		}
		seen = append(seen, record{slices.Clone(rec), rd.src.line()})
		if recognisedCount(rec) >= 2 {
			break
		}
	}
	if len(seen) == 0 {
		return fail(0, "The file is empty; export the device list again and upload that file.")
	}
	h := 0
	if last := len(seen) - 1; recognisedCount(seen[last].fields) >= 2 {
		h = last // lines above the heading are a title
	}
	rd.pending = seen[h+1:]
	return rd.useHeading(seen[h].fields, seen[h].line)
}

// record is a record read ahead, with the line it started on.
type record struct {
	fields []string
	line   int
}

func recognisedCount(rec []string) int {
	n := 0
	for _, h := range rec {
		if lookupHeading(normHeading(h)) != nil {
			n++
		}
	}
	return n
}

func (rd *reader) useHeading(rec []string, line int) error {
	rd.width = len(rec) // Excel's trailing empty cells: a row may be as wide
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	if len(rec) > maxColumns {
		return fail(line, "the heading row has %s columns, more than the %s a device list can have; is this the right file?", plan.Thousands(len(rec)), plan.Thousands(maxColumns))
	}
	cols := make([]Column, len(rec))
	norms := make([]string, len(rec))
	for i, h := range rec {
		cols[i].Heading = cleanHeading(h, i)
		norms[i] = normHeading(h)
	}
	format := detectFormat(norms)
	if err := assignFields(cols, format, rd.opts.Mapping); err != nil {
		return err
	}
	rd.res.Format, rd.res.Columns, rd.headingLine = format, cols, line
	rd.index = map[string]int{}
	rd.ctx = context{format: format, heading: map[string]string{}}
	for i, c := range cols {
		if c.Field != "" {
			rd.index[c.Field] = i
			rd.ctx.heading[c.Field] = c.Heading
		}
	}
	if format == FormatJamf {
		switch {
		case slices.Contains(norms, "computername"):
			rd.ctx.defaultPlatform = "macos"
		case slices.Contains(norms, "mobiledevicename"):
			rd.ctx.defaultPlatform = "ios"
		}
	}
	return nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func (rd *reader) readRows() error {
	for _, rec := range rd.pending {
		if err := rd.readRow(rec.fields, rec.line, false); err != nil {
			return err
		}
	}
	rd.pending = nil
	for {
		rec, err := rd.src.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if blank(rec) {
			continue
		}
		if err := rd.readRow(rec, rd.src.line(), true); err != nil {
			return err
		}
	}
}

// readRow reads one data record that started on line; last says whether
// it is the record the source read last (so its fields' lines are known).
func (rd *reader) readRow(rec []string, line int, last bool) error {
	rd.res.Rows++
	row := rd.res.Rows
	if row > plan.MaxInventoryRows {
		return fail(0, "The file has more than %s devices; split it (for example by platform, or by site) and import each part, or leave out retired devices first.", plan.Thousands(plan.MaxInventoryRows))
	}
	if cs, ok := rd.src.(*csvSource); ok {
		for i, v := range rec {
			if runaway(v, len(rec) < len(rd.res.Columns), cs.r.Comma) {
				if last {
					line = cs.fieldLine(i)
				}
				return fail(line, "a quotation mark opens a value here that is never closed, so the lines after it run together; correct the quotes on this line, or save the file again as CSV from Excel.")
			}
		}
	}
	rd.sample(rec)
	f := rd.fields(rec)
	d := Device{Row: row, Name: f.name, Serial: f.serial, User: f.user, OS: f.os, OSVersion: f.osVersion, Model: f.model, Maker: tidyMaker(f.maker)}
	if len(rec) > rd.width && !blank(rec[rd.width:]) {
		rd.skip(&rd.res.Unplaced, d, fmt.Sprintf("the row has %d values where the heading names %d columns; a value may hold an unquoted %s", len(rec), rd.width, separatorName(rd.src)))
		return nil
	}
	if t, ok := parseDate(f.lastSeen); ok {
		d.LastSeen = t
	}
	if why := rd.staleness(d, f.lastSeen); why != "" {
		rd.skip(&rd.res.Stale, d, why)
		return nil
	}
	c, why := rd.ctx.classify(f)
	if why != "" {
		rd.skip(&rd.res.Unplaced, d, why)
		return nil
	}
	d.Maker = rd.intern(c.maker)
	k := keyOf(c)
	g, ok := rd.keys[k]
	if !ok {
		g = len(rd.keyList)
		rd.keys[k] = g
		rd.keyList = append(rd.keyList, k)
		rd.counts = append(rd.counts, 0)
		rd.makers = append(rd.makers, c.maker)
	}
	rd.counts[g]++
	if rd.makers[g] != c.maker {
		rd.makers[g] = ""
	}
	rd.res.Devices = append(rd.res.Devices, d)
	rd.devGroup = append(rd.devGroup, int32(g))
	return nil
}

// runaway says whether a value is the rest of the file swallowed by a
// quotation mark that never closes: it spans lines, and its record is short
// of values, or it spans many lines, or its later lines hold separators.
// (A quoted note of a line or two in a full record is fine.)
func runaway(v string, short bool, sep rune) bool {
	_, rest, multi := strings.Cut(v, "\n")
	if !multi {
		return false
	}
	lines := strings.Count(v, "\n")
	return short || lines > 3 || (lines >= 2 && strings.ContainsRune(rest, sep))
}

func (rd *reader) skip(list *[]Skipped, d Device, reason string) {
	*list = append(*list, Skipped{Row: d.Row, Reason: reason, Device: d})
}

// staleness says why a device counts as stale, or "".
func (rd *reader) staleness(d Device, lastSeen string) string {
	if rd.opts.StaleDays < 0 {
		return ""
	}
	if d.LastSeen.IsZero() {
		if isAny(strings.ToLower(strings.TrimSpace(lastSeen)), "inactive", "stale") {
			return fmt.Sprintf("the %s says %s: offer to retire it rather than enrol it", rd.ctx.label("last_seen"), quote(lastSeen))
		}
		return ""
	}
	today := rd.opts.Today.UTC().Truncate(24 * time.Hour)
	days := int(today.Sub(d.LastSeen.Truncate(24*time.Hour)).Hours() / 24)
	if days <= rd.opts.StaleDays {
		return ""
	}
	return fmt.Sprintf("last checked in on %s, %s days before %s (more than %d): offer to retire it rather than enrol it",
		d.LastSeen.Format(time.DateOnly), plan.Thousands(days), today.Format(time.DateOnly), rd.opts.StaleDays)
}

func separatorName(src source) string {
	if cs, ok := src.(*csvSource); ok {
		switch cs.r.Comma {
		case ';':
			return "semicolon"
		case '\t':
			return "tab"
		}
	}
	return "comma"
}

// fields picks the recognised values out of a record.
func (rd *reader) fields(rec []string) fields {
	get := func(field string) string {
		i, ok := rd.index[field]
		if !ok || i >= len(rec) {
			return ""
		}
		return clean(rec[i])
	}
	return fields{
		name: get("name"), serial: get("serial"), os: rd.intern(get("os")), osVersion: rd.intern(get("os_version")),
		model: rd.intern(get("model")), maker: get("manufacturer"), ownership: get("ownership"), user: get("user"),
		lastSeen: get("last_seen"), managedBy: get("managed_by"), usage: get("usage"), id: get("id"),
	}
}

// clean trims a value and bounds it, copying it so the record's buffer is
// not kept alive by the devices.
func clean(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > maxValue {
		v = v[:maxValue]
		for len(v) > 0 && !validEnd(v) {
			v = v[:len(v)-1]
		}
	}
	return strings.Clone(strings.ToValidUTF8(v, "\uFFFD"))
}

func validEnd(s string) bool { return strings.ToValidUTF8(s, "") == s }

// intern shares repeated values (OS, model, maker) between devices.
func (rd *reader) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := rd.interned[s]; ok {
		return v
	}
	if len(rd.interned) < maxInterns {
		rd.interned[s] = s
	}
	return s
}

// sample keeps up to three distinct values of each column.
func (rd *reader) sample(rec []string) {
	for i := range rd.res.Columns {
		c := &rd.res.Columns[i]
		if len(c.Samples) >= 3 || i >= len(rec) {
			continue
		}
		v := truncateRunes(clean(rec[i]), maxSample)
		if v != "" && !slices.Contains(c.Samples, v) {
			c.Samples = append(c.Samples, v)
		}
	}
}

// result names the groups, gives each device its group's id, and checks
// that the file said enough to place anything.
func (rd *reader) result() (*Result, error) {
	if err := rd.platformColumnCheck(); err != nil {
		return nil, err
	}
	if rd.res.Rows == 0 {
		return nil, fail(0, "The file has a heading row but no devices below it; export the list again with its devices.")
	}
	groups := make([]Group, len(rd.keyList))
	order := make([]int, len(groups))
	for i, k := range rd.keyList {
		groups[i] = newGroup(k, rd.counts[i], rd.res.Format)
		if groups[i].Manufacturer == "" {
			groups[i].Manufacturer = rd.makers[i] // all the group's devices have one maker
		}
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareGroups(groups[a], groups[b]) })
	sorted := make([]Group, len(groups))
	pos := make([]int, len(groups))
	taken := map[string]bool{}
	for p, i := range order {
		sorted[p], pos[i] = groups[i], p
		sorted[p].ID = uniqueID(sorted[p].ID, taken)
	}
	for i := range rd.res.Devices {
		rd.res.Devices[i].Population = sorted[pos[rd.devGroup[i]]].ID
	}
	rd.res.Groups = sorted
	rd.devGroup = nil
	return &rd.res, nil
}

// platformColumnCheck fails when nothing was placed and no column can tell
// a platform, giving the columns so the planner can say which one does.
func (rd *reader) platformColumnCheck() error {
	if len(rd.res.Devices) > 0 || rd.ctx.has("os") || rd.ctx.has("model") || rd.ctx.has("usage") {
		return nil
	}
	e := &Error{Line: rd.headingLine, Columns: rd.res.Columns}
	if len(rd.ctx.heading) == 0 {
		e.Msg = "no column heading was recognised: this line has no heading such as “Device name”, “Serial number”, “OS” or “Model”. If it is the heading row, say which column holds what; otherwise add a heading row."
	} else {
		e.Msg = "no column tells the platform (Windows, iOS/iPadOS, macOS, Android or Linux): none is headed like “OS”, “Operating system”, “Platform” or “Model”. Say which column holds it."
	}
	return e
}
