package worklist

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/enrollplan/enrollplan/internal/inventory"
)

func hostileRows(t *testing.T) []Row {
	t.Helper()
	p := testPlan()
	devices := testDevices()
	devices[0].Name = "=HYPERLINK(\"http://evil.example\",\"click\")"
	devices[1].User = "+1-555-0100"
	devices[2].Serial = "@SUM(A1)"
	devices[3].Name = "-2+3"
	devices[4].User = "Zoë Ångström"
	return Build(p, devices, fakeProgress{enrolled: map[string]int{"pilot/phones": 1}})
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	rows := hostileRows(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Error("the CSV starts with a byte order mark; the plan's CSV has none")
	}
	if !strings.Contains(buf.String(), "\r\n") {
		t.Error("the CSV's lines do not end with CRLF, as the plan's do")
	}
	text := buf.String()
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], Header) || len(recs) != len(rows)+1 {
		t.Fatalf("header %v and %d records; want %v and one per device (%d)", recs[0], len(recs)-1, Header, len(rows))
	}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	if !strings.Contains(text, `'=HYPERLINK(`) || !strings.Contains(text, "Zoë Ångström") {
		t.Errorf("the hostile name is not kept, quoted, or the accented name is lost:\n%s", text)
	}
}

func TestXLSXHasFrozenHeaderFilterAndTheCSVsRows(t *testing.T) {
	rows := hostileRows(t)
	var xb, cb bytes.Buffer
	if err := WriteXLSX(&xb, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&cb, rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&xb)
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetName}) {
		t.Errorf("sheets %v, want one, %q", got, SheetName)
	}
	panes, err := f.GetPanes(SheetName)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v (%v): want the heading row frozen", panes, err)
	}
	data, err := f.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	csvRecs, _ := csv.NewReader(&cb).ReadAll()
	if len(data) != len(csvRecs) {
		t.Fatalf("%d rows in the workbook, %d in the CSV", len(data), len(csvRecs))
	}
	for i := range data {
		for j := range Header {
			x := ""
			if j < len(data[i]) {
				x = data[i][j]
			}
			want := rows0(rows, i, j)
			if x != want {
				t.Errorf("workbook row %d column %q is %q, want %q", i+1, Header[j], x, want)
			}
			// The CSV holds the same text, quoted where a spreadsheet would run it.
			if c := csvRecs[i][j]; c != x && c != "'"+x {
				t.Errorf("CSV row %d column %q is %q, the workbook's %q", i+1, Header[j], c, x)
			}
		}
	}
	// The hostile cell stays text: no formula in the workbook.
	if fm, _ := f.GetCellFormula(SheetName, "A2"); fm != "" {
		t.Errorf("A2 holds the formula %q", fm)
	}
	// Bold heading.
	styleID, _ := f.GetCellStyle(SheetName, "A1")
	st, err := f.GetStyle(styleID)
	if err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("the heading's style %+v is not bold", st)
	}
	// The wave's start is a date shown as YYYY-MM-DD.
	if v, _ := f.GetCellValue(SheetName, "F2"); v != rows[0].WaveStart {
		t.Errorf("F2 shows %q, want %q", v, rows[0].WaveStart)
	}
	if typ, _ := f.GetCellType(SheetName, "F2"); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("F2 is text (%v), want a date", typ)
	}
	// The filter covers the heading and every row.
	if raw := f.GetDefinedName(); !hasFilter(raw, "$A$1:$L$"+itoa(len(rows)+1)) {
		t.Errorf("no filter over A1:L%d in %+v", len(rows)+1, raw)
	}
	if w, _ := f.GetColWidth(SheetName, "I"); w <= 20 {
		t.Errorf("the steps column is %v wide; want it sized to its content", w)
	}
}

// rows0 is the workbook's expected text of header (i 0) and rows.
func rows0(rows []Row, i, j int) string {
	if i == 0 {
		return Header[j]
	}
	return rows[i-1].Cells()[j]
}

func hasFilter(names []excelize.DefinedName, ref string) bool {
	for _, n := range names {
		if n.Name == "_xlnm._FilterDatabase" && strings.HasSuffix(n.RefersTo, ref) {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestEmptyWorklistStillWrites(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, Build(testPlan(), []inventory.Device{}, fakeProgress{})); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, _ := f.GetRows(SheetName)
	if len(data) != 1 {
		t.Errorf("%d rows, want the heading alone", len(data))
	}
}

// A device name carrying markup or control characters (pasted from a
// console) still gives a workbook Excel opens, with the text kept and only
// the characters XML cannot hold dropped.
func TestXLSXKeepsMarkupAndDropsControlCharacters(t *testing.T) {
	p := testPlan()
	devices := testDevices()
	devices[0].Name = "<b>laptop</b> & \"co\"\x01\x1f"
	devices[1].User = "tab\there"
	rows := Build(p, devices, fakeProgress{})
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	data, err := f.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	var names, users []string
	for _, r := range data[1:] {
		names = append(names, r[0])
		users = append(users, r[2])
	}
	if !slices.Contains(names, `<b>laptop</b> & "co"`) {
		t.Errorf("names %q: want the markup kept as text and the control characters dropped", names)
	}
	if !slices.Contains(users, "tab\there") {
		t.Errorf("users %q: want the tab kept", users)
	}
	// The sheet itself carries the filter and the frozen pane Excel reads,
	// and the workbook's filter name is hidden, as Excel writes it.
	sheet, book := zipPart(t, buf.Bytes(), "xl/worksheets/sheet1.xml"), zipPart(t, buf.Bytes(), "xl/workbook.xml")
	if want := `<autoFilter ref="A1:L` + itoa(len(rows)+1) + `"/>`; !strings.Contains(sheet, want) {
		t.Errorf("the sheet has no %s", want)
	}
	if !strings.Contains(sheet, `state="frozen"`) {
		t.Error("the sheet's pane is not frozen")
	}
	if !strings.Contains(book, `name="_xlnm._FilterDatabase" localSheetId="0" hidden="1"`) {
		t.Errorf("the filter's defined name is not hidden: %s", book)
	}
}

func zipPart(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatalf("no part %s: %v", name, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
