package inventory

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Bounds on unpacking a workbook: a 20 MB .xlsx of 100,000 devices with an
// Intune export's 50-odd columns unpacks to about 200 MB; a sheet or string
// table over xlsxInMemory is unpacked to a temporary file, not into memory.
const (
	xlsxUnzipFactor = 12
	xlsxInMemory    = 16 << 20
)

// openXLSX reads the first sheet of a workbook, streaming its rows.
func openXLSX(data []byte, maxBytes int64) (source, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    max(maxBytes*xlsxUnzipFactor, xlsxInMemory),
		UnzipXMLSizeLimit: xlsxInMemory,
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fail(0, "The workbook unpacks to more than %d MB, more than a device list of 100,000 rows needs; save its first sheet as CSV and upload that.", max(maxBytes*xlsxUnzipFactor, xlsxInMemory)>>20)
		}
		return nil, fail(0, "The file starts like an Excel workbook (.xlsx) but cannot be opened (%v); save it again from Excel, or as CSV, and upload that.", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, fail(0, "The workbook has no sheet; put the device list on its first sheet.")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fail(0, "The first sheet (%q) cannot be read (%v); save it as CSV and upload that.", sheets[0], err)
	}
	return &sheetSource{f: f, rows: rows}, nil
}

type sheetSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func (s *sheetSource) next() ([]string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			if errors.Is(err, excelize.ErrMaxRows) {
				return nil, fail(s.row+1, "the sheet has more rows than Excel allows; save it again from Excel.")
			}
			return nil, fail(s.row+1, "the sheet cannot be read (%v); save it as CSV and upload that.", err)
		}
		return nil, io.EOF
	}
	s.row++
	// Raw values: dates come as Excel serial numbers, whatever their format.
	cols, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fail(s.row, "the row cannot be read (%v); save the sheet as CSV and upload that.", err)
	}
	return cols, nil
}

func (s *sheetSource) line() int { return s.row }

func (s *sheetSource) close() {
	s.rows.Close()
	s.f.Close() // removes the temporary files of a large sheet
}
