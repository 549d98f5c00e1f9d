package inventory

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// A workbook is read with archive/zip and encoding/xml rather than a
// spreadsheet library: the one used before pulled in reflection that made
// the linker keep every exported method in the binary (35 → 190 MB).

// Bounds on unpacking a workbook: a 20 MB .xlsx of 100,000 devices with an
// Intune export's 50-odd columns unpacks to about 200 MB. The sheet streams;
// only the shared strings are kept, and they are bounded on their own.
const (
	xlsxUnzipFactor   = 12
	xlsxInMemory      = 16 << 20
	xlsxMaxStringText = 4 * xlsxInMemory // bytes of shared strings kept
	xlsxMaxStrings    = 8 << 20          // shared strings kept (4 bytes each besides their text)
	xlsxMaxRows       = 1_048_576        // Excel's limits
	xlsxMaxCols       = 16_384
)

// errUnpacksTooBig: an entry unpacks past the bound (its header lied).
var errUnpacksTooBig = errors.New("inventory: workbook unpacks too large")

// openXLSX reads the first sheet of a workbook, streaming its rows.
func openXLSX(data []byte, maxBytes int64) (source, error) {
	limit := max(maxBytes*xlsxUnzipFactor, xlsxInMemory)
	tooLarge := func() error {
		return fail(0, "The workbook unpacks to more than %d MB, more than a device list of 100,000 rows needs; save its first sheet as CSV and upload that.", limit>>20)
	}
	cannotOpen := func(err error) error {
		return fail(0, "The file starts like an Excel workbook (.xlsx) but cannot be opened (%v); save it again from Excel, or as CSV, and upload that.", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, cannotOpen(err)
	}
	// Refuse a bomb before unpacking anything: the sizes the zip declares
	// are checked here, and each entry is cut off at the bound as it is
	// read in case they lie.
	var total uint64
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(limit) {
			return nil, tooLarge()
		}
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	wb := &workbook{files: files, limit: limit}

	wbPath := wb.officeDocument()
	sheetName, rid, err := wb.firstSheet(wbPath)
	if err != nil {
		if errors.Is(err, errUnpacksTooBig) {
			return nil, tooLarge()
		}
		return nil, cannotOpen(err)
	}
	if rid == "" && sheetName == "" {
		return nil, fail(0, "The workbook has no sheet; put the device list on its first sheet.")
	}
	sheetPath, sstPath, err := wb.parts(wbPath, rid)
	if err != nil {
		if errors.Is(err, errUnpacksTooBig) {
			return nil, tooLarge()
		}
		return nil, cannotOpen(err)
	}
	sheet := files[sheetPath]
	if sheet == nil {
		return nil, fail(0, "The first sheet (%q) cannot be read (its part %s is missing); save it as CSV and upload that.", sheetName, sheetPath)
	}
	var sst *sharedStrings
	if f := files[sstPath]; f != nil {
		if sst, err = wb.readSharedStrings(f); err != nil {
			if errors.Is(err, errUnpacksTooBig) {
				return nil, tooLarge()
			}
			var e *Error
			if errors.As(err, &e) {
				return nil, e
			}
			return nil, cannotOpen(fmt.Errorf("shared strings: %w", err))
		}
	}
	rc, err := sheet.Open()
	if err != nil {
		return nil, fail(0, "The first sheet (%q) cannot be read (%v); save it as CSV and upload that.", sheetName, err)
	}
	return &sheetSource{
		rc:       rc,
		dec:      xml.NewDecoder(&capped{r: rc, left: limit}),
		sst:      sst,
		tooLarge: tooLarge,
	}, nil
}

// workbook finds the parts of a package.
type workbook struct {
	files map[string]*zip.File
	limit int64
}

// open opens a part, cut off past the bound.
func (w *workbook) open(name string) (io.ReadCloser, *xml.Decoder, error) {
	f := w.files[name]
	if f == nil {
		return nil, nil, fmt.Errorf("its part %s is missing", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	return rc, xml.NewDecoder(&capped{r: rc, left: w.limit}), nil
}

// officeDocument is the workbook part the package's relationships name,
// usually xl/workbook.xml.
func (w *workbook) officeDocument() string {
	if rels, err := w.relationships("_rels/.rels", ""); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.typ, "/officeDocument") && w.files[r.target] != nil {
				return r.target
			}
		}
	}
	return "xl/workbook.xml"
}

// firstSheet answers the name and relationship id of the workbook's first
// sheet; both empty when it has none.
func (w *workbook) firstSheet(wbPath string) (name, rid string, err error) {
	rc, dec, err := w.open(wbPath)
	if err != nil {
		return "", "", err
	}
	defer rc.Close()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", "", nil
		}
		if err != nil {
			return "", "", err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheet" {
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "name":
					name = a.Value
				case a.Name.Local == "id" && a.Name.Space != "": // r:id
					rid = a.Value
				}
			}
			return name, rid, nil
		}
	}
}

type relationship struct{ id, typ, target string }

// relationships reads a .rels part; targets are resolved against dir to
// package paths (a target may be absolute, "/xl/worksheets/sheet1.xml").
func (w *workbook) relationships(name, dir string) ([]relationship, error) {
	rc, dec, err := w.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []relationship
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			continue
		}
		var r relationship
		external := false
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				r.id = a.Value
			case "Type":
				r.typ = a.Value
			case "Target":
				r.target = a.Value
			case "TargetMode":
				external = a.Value == "External"
			}
		}
		if external || len(out) >= 10_000 {
			continue
		}
		if strings.HasPrefix(r.target, "/") {
			r.target = strings.TrimPrefix(path.Clean(r.target), "/")
		} else {
			r.target = path.Join(dir, r.target)
		}
		out = append(out, r)
	}
}

// parts answers the package paths of the sheet with relationship id rid
// and of the shared strings.
func (w *workbook) parts(wbPath, rid string) (sheet, sst string, err error) {
	dir := path.Dir(wbPath)
	relsPath := path.Join(dir, "_rels", path.Base(wbPath)+".rels")
	sheet, sst = path.Join(dir, "worksheets/sheet1.xml"), path.Join(dir, "sharedStrings.xml")
	if w.files[relsPath] == nil {
		return sheet, sst, nil // no relationships: the usual names
	}
	rels, err := w.relationships(relsPath, dir)
	if err != nil {
		return "", "", err
	}
	found := false
	for _, r := range rels {
		switch {
		case r.id == rid && rid != "":
			sheet, found = r.target, true
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			sst = r.target
		}
	}
	if !found && rid != "" {
		return "", "", fmt.Errorf("the first sheet's relationship %s is missing", rid)
	}
	return sheet, sst, nil
}

// sharedStrings is the workbook's string table: one text, cut at ends.
type sharedStrings struct {
	text []byte
	ends []uint32
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return unescapeOOXML(string(s.text[start:s.ends[i]])), true
}

// readSharedStrings reads each <si>'s text: its <t>, or the <t> of each of
// its rich-text runs <r>; phonetic runs (<rPh>) are not the text.
func (w *workbook) readSharedStrings(f *zip.File) (*sharedStrings, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(&capped{r: rc, left: w.limit})
	s := &sharedStrings{}
	inSI, inT, phonetic := false, false, 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
			case "rPh":
				phonetic++
			case "t":
				inT = inSI && phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if len(s.ends) >= xlsxMaxStrings {
					return nil, fail(0, "The workbook holds more than %d million distinct texts, more than a device list of 100,000 rows needs; save its first sheet as CSV and upload that.", xlsxMaxStrings>>20)
				}
				s.ends = append(s.ends, uint32(len(s.text)))
				inSI = false
			case "rPh":
				phonetic--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				if len(s.text)+len(t) > xlsxMaxStringText {
					return nil, fail(0, "The workbook's text is more than %d MB, more than a device list of 100,000 rows needs; save its first sheet as CSV and upload that.", xlsxMaxStringText>>20)
				}
				s.text = append(s.text, t...)
			}
		}
	}
}

// capped reads at most left bytes and fails with errUnpacksTooBig past them.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errUnpacksTooBig
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// sheetSource streams the rows of a sheet: <row r="3"><c r="B3" t="s"><v>…
type sheetSource struct {
	rc       io.ReadCloser
	dec      *xml.Decoder
	sst      *sharedStrings
	tooLarge func() error
	row      int // the sheet row of the last record
	cells    []string
	done     bool
}

func (s *sheetSource) next() ([]string, error) {
	if s.done {
		return nil, io.EOF
	}
	for {
		tok, err := s.dec.RawToken()
		if err == io.EOF {
			s.done = true
			return nil, io.EOF
		}
		if err != nil {
			return nil, s.readErr(err, s.row+1)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		r := s.row + 1
		if v := attr(se, "r"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fail(s.row+1, "the sheet has a row numbered %q; save it again from Excel, or as CSV, and upload that.", v)
			}
			r = n
		}
		if r > xlsxMaxRows {
			return nil, fail(s.row+1, "the sheet has more rows than Excel allows; save it again from Excel.")
		}
		s.row = r
		return s.readRow()
	}
}

// readRow reads the cells of the <row> just opened, placing each in the
// column its reference names so gaps (A1, C1) keep columns in line.
func (s *sheetSource) readRow() ([]string, error) {
	s.cells = s.cells[:0]
	col := -1
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, s.readErr(err, s.row)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "row" {
				return s.cells, nil
			}
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			ref := attr(t, "r")
			if ref != "" {
				c, ok := columnIndex(ref)
				if !ok {
					return nil, fail(s.row, "the sheet has a cell named %q, beyond Excel's last column; save it again from Excel, or as CSV, and upload that.", ref)
				}
				col = c
			} else {
				col++
			}
			if col >= xlsxMaxCols {
				return nil, fail(s.row, "the row has more columns than Excel allows; save the sheet again from Excel.")
			}
			v, err := s.readCell(attr(t, "t"))
			if err != nil {
				return nil, err
			}
			for len(s.cells) <= col {
				s.cells = append(s.cells, "")
			}
			s.cells[col] = v
		}
	}
}

// readCell reads a <c>'s value as stored: numbers (and dates, which Excel
// stores as serial numbers) stay their text, "46000.5"; the dates parser
// reads serial numbers.
func (s *sheetSource) readCell(typ string) (string, error) {
	var v, inline []byte
	inV, inT, inIS, phonetic := false, false, false, 0
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", s.readErr(err, s.row)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				inV = true
			case "is":
				inIS = true
			case "rPh":
				phonetic++
			case "t":
				inT = inIS && phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "c":
				return s.value(typ, v, inline)
			case "v":
				inV = false
			case "is":
				inIS = false
			case "rPh":
				phonetic--
			case "t":
				inT = false
			}
		case xml.CharData:
			switch {
			case inV:
				v = append(v, t...)
			case inT:
				inline = append(inline, t...)
			}
		}
	}
}

func (s *sheetSource) value(typ string, v, inline []byte) (string, error) {
	switch typ {
	case "s":
		if len(v) == 0 {
			return "", nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(string(v)))
		var str string
		ok := err == nil && s.sst != nil
		if ok {
			str, ok = s.sst.get(i)
		}
		if !ok {
			return "", fail(s.row, "the row refers to text %q the workbook does not hold; save the sheet again from Excel, or as CSV, and upload that.", v)
		}
		return str, nil
	case "inlineStr":
		if inline != nil {
			return unescapeOOXML(string(inline)), nil
		}
	}
	return string(v), nil // n, str, b ("0"/"1"), e ("#N/A"), d (ISO 8601)
}

// readErr words a failure to read the sheet at line.
func (s *sheetSource) readErr(err error, line int) error {
	if errors.Is(err, errUnpacksTooBig) {
		return s.tooLarge()
	}
	return fail(line, "the sheet cannot be read (%v); save it as CSV and upload that.", err)
}

func (s *sheetSource) line() int { return s.row }

func (s *sheetSource) close() { s.rc.Close() }

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// columnIndex answers the 0-based column of a cell reference: "B3" → 1,
// "AA1" → 26; false past XFD.
func columnIndex(ref string) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		if n = n*26 + int(c-'a'+1); n > xlsxMaxCols {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return n - 1, true
}

// unescapeOOXML decodes the _xHHHH_ escapes Excel writes for characters
// XML cannot hold (a line break in a cell is "_x000D_"); "_x005F_" escapes
// an underscore that would otherwise start one.
func unescapeOOXML(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if r, ok := ooxmlEscape(s[i:]); ok {
			if r == '_' {
				if _, ok := ooxmlEscape(s[i+7:]); ok {
					b.WriteString(s[i+7 : i+14]) // a literal "_xHHHH_"
					i += 14
					continue
				}
			}
			b.WriteRune(r)
			i += 7
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func ooxmlEscape(s string) (rune, bool) {
	if len(s) < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:6], 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
