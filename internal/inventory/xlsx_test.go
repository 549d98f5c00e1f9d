package inventory

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const (
	testWorkbookXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Devices" sheetId="1" r:id="rId7"/><sheet name="Other" sheetId="2" r:id="rId8"/></sheets></workbook>`
	testRootRels = `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
)

// testWorkbookRels names the first sheet's part as target and the shared
// strings relatively.
func testWorkbookRels(target string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/other.xml"/>` +
		`<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="` + target + `"/>` +
		`<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
}

func testSheet(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
}

// sheetRows reads a workbook's first sheet as the row consumer sees it,
// each row with its sheet row number.
func sheetRows(t *testing.T, data []byte) (rows [][]string, lines []int) {
	t.Helper()
	src, err := openXLSX(data, DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	for {
		rec, err := src.next()
		if err == io.EOF {
			return rows, lines
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, slices.Clone(rec))
		lines = append(lines, src.line())
	}
}

// TestXLSXCells: sparse cells land in the column their reference names,
// shared strings (rich text too, without phonetic runs) and inline strings
// are their text, numbers and dates stay as stored (serial numbers, which
// the dates parser reads), and the first sheet is the one read even when
// its part is named absolutely and listed second.
func TestXLSXCells(t *testing.T) {
	sst := `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">` +
		`<si><t>Device name</t></si>` +
		`<si><r><rPr><b/></rPr><t>Last </t></r><r><t xml:space="preserve">check-in</t></r><rPh sb="0" eb="1"><t>ignored</t></rPh></si>` +
		`<si><t>PC-0001</t></si>` +
		`<si><t>line_x000D_break _x005F_x0041_</t></si></sst>`
	sheet := testSheet(
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><t>OS</t></is></c></row>` +
			`<row r="3"><c r="A3" t="s"><v>2</v></c><c r="C3" s="1"><v>46000.5</v></c><c r="D3" t="inlineStr"><is><r><t>Win</t></r><r><t>dows</t></r></is></c><c r="AA3" t="b"><v>1</v></c></row>` +
			`<row><c t="str"><f>A3</f><v>PC-0002</v></c><c/><c r="C4"><v>46000</v></c><c t="s"><v>3</v></c></row>`)
	for name, target := range map[string]string{"relative": "worksheets/sheet1.xml", "absolute": "/xl/worksheets/sheet1.xml"} {
		t.Run(name, func(t *testing.T) {
			data := zipOf(t, map[string]string{
				"_rels/.rels":                testRootRels,
				"xl/workbook.xml":            testWorkbookXML,
				"xl/_rels/workbook.xml.rels": testWorkbookRels(target),
				"xl/sharedStrings.xml":       sst,
				"xl/worksheets/sheet1.xml":   sheet,
				"xl/worksheets/other.xml":    testSheet(`<row r="1"><c r="A1" t="inlineStr"><is><t>wrong sheet</t></is></c></row>`),
			})
			rows, lines := sheetRows(t, []byte(data))
			want := [][]string{
				{"Device name", "", "Last check-in", "OS"},
				append([]string{"PC-0001", "", "46000.5", "Windows"}, append(make([]string, 22), "1")...),
				{"PC-0002", "", "46000", "line\rbreak _x0041_"},
			}
			if !slices.EqualFunc(rows, want, slices.Equal) || !slices.Equal(lines, []int{1, 3, 4}) {
				t.Fatalf("rows %q at lines %v,\nwant %q at 1, 3, 4", rows, lines, want)
			}
		})
	}
}

// TestXLSXLikeExcelize: a workbook Excel's way (written by excelize, the
// library this reader replaced) reads as excelize read it with raw values.
func TestXLSXLikeExcelize(t *testing.T) {
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	set := map[string]any{
		"A1": "Device name", "B1": "OS", "D1": "Enrolled", "E1": "Compliant",
		"A2": "PC-0001", "B2": "Windows 11", "D2": 45991.25, "E2": true,
		"A5": "Mac_x0041_", "C5": 12, "E5": false,
	}
	for cell, v := range set {
		if err := x.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.SetCellRichText(sheet, "B5", []excelize.RichTextRun{{Text: "mac"}, {Text: "OS", Font: &excelize.Font{Bold: true}}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rows, lines := sheetRows(t, buf.Bytes())

	y, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	want, err := y.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var wantLines []int
	for i := range want {
		if len(want[i]) > 0 {
			wantLines = append(wantLines, i+1)
		}
	}
	want = slices.DeleteFunc(want, func(r []string) bool { return len(r) == 0 }) // rows the sheet lacks
	if !slices.EqualFunc(rows, want, slices.Equal) || !slices.Equal(lines, wantLines) {
		t.Fatalf("rows %q at %v, excelize read %q at %v", rows, lines, want, wantLines)
	}
}

// TestXLSXErrors: a workbook that cannot be read is refused in words.
func TestXLSXErrors(t *testing.T) {
	parts := func(sheet string) map[string]string {
		return map[string]string{
			"xl/workbook.xml":            testWorkbookXML,
			"xl/_rels/workbook.xml.rels": testWorkbookRels("worksheets/sheet1.xml"),
			"xl/worksheets/sheet1.xml":   sheet,
		}
	}
	noSheet := parts("")
	noSheet["xl/workbook.xml"] = `<workbook><sheets/></workbook>`
	missing := parts("")
	delete(missing, "xl/worksheets/sheet1.xml")
	cases := []struct {
		name string
		data string
		says string
	}{
		{"password-protected", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + strings.Repeat("\x00", 504), "password-protected workbook"},
		{"no sheet", zipOf(t, noSheet), "The workbook has no sheet"},
		{"sheet part missing", zipOf(t, missing), `The first sheet ("Devices") cannot be read`},
		{"broken sheet XML", zipOf(t, parts(testSheet(`<row r="1"><c r="A1"><v>1&bogus;</v></c></row>`))), "line 1: the sheet cannot be read"},
		{"sheet cut short", zipOf(t, parts(`<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><row r="2"><c r="A2"><v>1`)), "line 1: the sheet cannot be read"},
		{"text the workbook lacks", zipOf(t, parts(testSheet(`<row r="2"><c r="A2" t="s"><v>5</v></c></row>`))), "line 2: the row refers to text"},
		{"beyond Excel's rows", zipOf(t, parts(testSheet(`<row r="1048577"><c><v>1</v></c></row>`))), "more rows than Excel allows"},
		{"beyond Excel's columns", zipOf(t, parts(testSheet(`<row r="1"><c r="XFE1"><v>1</v></c></row>`))), "beyond Excel's last column"},
		{"not a zip after all", "PK\x03\x04 and then nothing", "cannot be opened"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.data), Options{Today: testToday})
			var e *Error
			if !errorsAs(err, &e) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v (%T), want an *Error saying %q", err, err, tc.says)
			}
		})
	}
}

// TestXLSXBomb: a well-formed workbook whose sheet or string table unpacks
// past the bound is refused in words, even when its zip headers understate
// the size (the entry is cut off as it unpacks).
func TestXLSXBomb(t *testing.T) {
	const maxBytes = 1 << 20 // bound: 16 MB unpacked
	huge := func(w io.Writer, open, close string) {
		io.WriteString(w, open)
		chunk := bytes.Repeat([]byte("<row/>"), 1<<16)
		for written := 0; written < 20<<20; written += len(chunk) {
			w.Write(chunk)
		}
		io.WriteString(w, close)
	}
	build := func(part string, lie bool) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range map[string]string{
			"xl/workbook.xml":            testWorkbookXML,
			"xl/_rels/workbook.xml.rels": testWorkbookRels("worksheets/sheet1.xml"),
		} {
			w, _ := zw.Create(name)
			io.WriteString(w, body)
		}
		open, close := `<worksheet><sheetData>`, `</sheetData></worksheet>`
		if part == "xl/sharedStrings.xml" {
			open, close = `<sst><si><t>`, `</t></si></sst>`
			w, _ := zw.Create("xl/worksheets/sheet1.xml")
			io.WriteString(w, testSheet(""))
		}
		if !lie {
			w, _ := zw.Create(part)
			huge(w, open, close)
		} else {
			var raw bytes.Buffer
			fw, _ := flate.NewWriter(&raw, flate.BestCompression)
			crc := crc32.NewIEEE()
			huge(io.MultiWriter(fw, crc), open, close)
			fw.Close()
			w, err := zw.CreateRaw(&zip.FileHeader{Name: part, Method: zip.Deflate, CRC32: crc.Sum32(),
				CompressedSize64: uint64(raw.Len()), UncompressedSize64: 1 << 10})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(raw.Bytes())
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.Len() > maxBytes {
			t.Fatalf("the bomb is %d bytes", buf.Len())
		}
		return buf.Bytes()
	}
	for _, part := range []string{"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"} {
		for _, lie := range []bool{false, true} {
			_, err := Read(bytes.NewReader(build(part, lie)), Options{Today: testToday, MaxBytes: maxBytes})
			var e *Error
			if !errorsAs(err, &e) {
				t.Fatalf("%s (headers lie: %v): %v (%T), want an *Error", part, lie, err, err)
			}
			if !lie && !strings.Contains(e.Msg, "unpacks to more than 16 MB") {
				t.Fatalf("%s: %v", part, err)
			}
		}
	}
}

func TestColumnIndex(t *testing.T) {
	for ref, want := range map[string]int{"A1": 0, "B3": 1, "Z9": 25, "AA1": 26, "az2": 51, "XFD1": 16383} {
		if got, ok := columnIndex(ref); !ok || got != want {
			t.Errorf("%s: %d %v, want %d", ref, got, ok, want)
		}
	}
	for _, ref := range []string{"XFE1", "1", "", "AAAAAAAAAAAAAAAAAAAAAAAA1"} {
		if _, ok := columnIndex(ref); ok {
			t.Errorf("%s accepted", ref)
		}
	}
}
