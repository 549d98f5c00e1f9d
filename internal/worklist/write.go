package worklist

import (
	"encoding/csv"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// WriteCSV writes the worklist as CSV with CRLF line ends and no byte
// order mark, as the plan's CSV is written; cells a spreadsheet would run
// as a formula (a device or user name may start with = + - @) are
// neutralised the same way (plan.CSVSafe).
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, r := range rows {
		cells := r.Cells()
		for i := range cells {
			cells[i] = plan.CSVSafe(cells[i])
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SheetName is the worklist's one sheet in the workbook.
const SheetName = "Worklist"

// Column widths of the workbook, in characters: each column as wide as
// its longest cell, within these bounds.
const (
	minWidth = 8
	maxWidth = 60
)

// WriteXLSX writes the worklist as an Excel workbook: one sheet, the
// heading row bold and frozen, a filter over it, columns as wide as their
// content. Every cell is text (never a formula, whatever it starts with),
// except the wave's start, a real date shown as YYYY-MM-DD so that
// Excel's filter groups it by year and month, and the row in the
// inventory, a number. Rows are streamed, so a large fleet does not sit
// in memory as cells.
func WriteXLSX(w io.Writer, rows []Row) error {
	if err := writeWorkbook(w, rows, columnWidths(rows)); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// waveStartColumn is the index of "Wave start" in Header.
const waveStartColumn = 5

// columnWidths sizes each column to its longest cell (in characters, plus
// a little for the filter's button), within minWidth and maxWidth.
func columnWidths(rows []Row) []float64 {
	widths := make([]float64, len(Header))
	fit := func(i int, s string) {
		n := float64(utf8.RuneCountInString(s)) + 2
		if n > widths[i] {
			widths[i] = n
		}
	}
	for i, h := range Header {
		fit(i, h+"  ")
	}
	for _, r := range rows {
		for i, c := range r.Cells() {
			fit(i, c)
		}
	}
	for i := range widths {
		widths[i] = min(max(widths[i], minWidth), maxWidth)
	}
	return widths
}
