package worklist

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The workbook is written by hand (archive/zip and text), not through a
// spreadsheet library: excelize's go-deepcopy calls reflect's Method by
// index, which makes the linker keep every exported method of every type,
// and enrollplan grew from 35 MB to 190 MB with 28 MiB more idle memory.
// A worklist needs one sheet of text, a bold frozen heading, a filter,
// widths and one date column: the smallest valid SpreadsheetML package.

// xlsxParts are the package's fixed parts, in the order Excel writes them.
var xlsxParts = []struct{ name, body string }{
	{"[Content_Types].xml", xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
		`</Types>`},
	{"_rels/.rels", xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
		`</Relationships>`},
	{"docProps/core.xml", xmlHeader + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">` +
		`<dc:title>Worklist</dc:title><dc:creator>enrollplan</dc:creator></cp:coreProperties>`},
	{"xl/_rels/workbook.xml.rels", xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`},
	// Styles: 0 the default, 1 bold (the heading), 2 a date shown as
	// yyyy-mm-dd (custom number format 164).
	{"xl/styles.xml", xmlHeader + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
		`</styleSheet>`},
}

// writeWorkbook writes the package: the fixed parts, the workbook (which
// names the filter's range, as Excel does) and the sheet, streamed.
func writeWorkbook(w io.Writer, rows []Row, widths []float64) error {
	zw := zip.NewWriter(w)
	for _, p := range xlsxParts {
		f, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return err
		}
	}
	ref := "A1:" + cellName(len(Header)-1, len(rows)+1)
	abs := "$A$1:$" + columnName(len(Header)-1) + "$" + strconv.Itoa(len(rows)+1)
	f, err := zw.Create("xl/workbook.xml")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, xmlHeader+`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="`+SheetName+`" sheetId="1" r:id="rId1"/></sheets>`+
		`<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'`+SheetName+`'!`+abs+`</definedName></definedNames>`+
		`</workbook>`); err != nil {
		return err
	}
	f, err = zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	b := bufio.NewWriter(f)
	b.WriteString(xmlHeader + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	b.WriteString(`<dimension ref="` + ref + `"/>`)
	b.WriteString(`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>`)
	b.WriteString(`<sheetFormatPr defaultRowHeight="15"/><cols>`)
	for i, width := range widths {
		fmt.Fprintf(b, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, strconv.FormatFloat(width, 'f', -1, 64))
	}
	b.WriteString(`</cols><sheetData>`)
	b.WriteString(`<row r="1">`)
	for i, h := range Header {
		textCell(b, cellName(i, 1), h, 1)
	}
	b.WriteString(`</row>`)
	for n, r := range rows {
		line := n + 2
		fmt.Fprintf(b, `<row r="%d">`, line)
		cells := r.Cells()
		for i, c := range cells {
			name := cellName(i, line)
			switch {
			case i == waveStartColumn && c != "":
				if t, err := time.Parse(time.DateOnly, c); err == nil {
					fmt.Fprintf(b, `<c r="%s" s="2"><v>%d</v></c>`, name, excelDay(t))
					continue
				}
				textCell(b, name, c, 0)
			case i == len(cells)-1 && r.InventoryRow > 0:
				fmt.Fprintf(b, `<c r="%s"><v>%d</v></c>`, name, r.InventoryRow)
			case c != "":
				textCell(b, name, c, 0)
			}
		}
		b.WriteString(`</row>`)
	}
	b.WriteString(`</sheetData><autoFilter ref="` + ref + `"/></worksheet>`)
	if err := b.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// textCell writes an inline string: text, never a formula, whatever it
// starts with.
func textCell(b *bufio.Writer, name, text string, style int) {
	b.WriteString(`<c r="` + name + `" t="inlineStr"`)
	if style != 0 {
		b.WriteString(` s="` + strconv.Itoa(style) + `"`)
	}
	b.WriteString(`><is><t xml:space="preserve">`)
	xmlText(b, text)
	b.WriteString(`</t></is></c>`)
}

// xmlText escapes text for XML and drops the characters XML 1.0 cannot
// hold (control characters a device name may carry).
func xmlText(b *bufio.Writer, s string) {
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000 && r <= 0x10FFFF:
			b.WriteRune(r)
		}
	}
}

// excelDay is a date as Excel's day number (1900 date system: 1899-12-30
// is day 0, which absorbs Excel's 1900 leap-year bug for later dates).
func excelDay(t time.Time) int {
	return int(t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// columnName is A, B, …, Z, AA, … for a 0-based column.
func columnName(i int) string {
	var s []byte
	for i++; i > 0; i = (i - 1) / 26 {
		s = append([]byte{byte('A' + (i-1)%26)}, s...)
	}
	return string(s)
}

func cellName(col, row int) string { return columnName(col) + strconv.Itoa(row) }

// xmlHeader starts every XML part.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
