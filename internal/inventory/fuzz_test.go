package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// FuzzRead: whatever the file, Read does not panic, answers an *Error or a
// result whose rows are numbered within 1..Rows, each once, with bounded
// values, and whose groups survive the grouping page's operations.
// Run: go test ./internal/inventory -fuzz FuzzRead
func FuzzRead(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.*") // the fixtures, not the fuzz corpus
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 4096)]) // the heading and some rows keep the fuzzer fast
	}
	for _, s := range []string{
		"", "\xEF\xBB\xBF", "\xFF\xFEa\x00", "Device name;OS\r\nPC;Windows\r\n", "Device name\tOS\nPC\t\"iPad\n",
		"OS\n\"", "Device,Type\nKIOSK-1,Android kiosk\n", "PK\x03\x04", "Name,OS\nx,Windows Server\ny,Mac14\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read(bytes.NewReader(data), Options{Today: testToday, MaxBytes: 1 << 20})
		if err != nil {
			var e *Error
			if !errorsAs(err, &e) || e.Msg == "" || !utf8.ValidString(e.Msg) {
				t.Fatalf("error %v (%T) is not an *Error in words", err, err)
			}
			if len(e.Columns) > maxColumns {
				t.Fatalf("%d columns", len(e.Columns))
			}
			return
		}
		if res.Rows < 1 || res.Rows > plan.MaxInventoryRows || len(res.Columns) > maxColumns {
			t.Fatalf("rows %d, columns %d", res.Rows, len(res.Columns))
		}
		checkConsistent(t, res)
		for _, d := range res.Devices {
			for _, v := range []string{d.Name, d.Serial, d.User, d.OS, d.OSVersion, d.Model} {
				if len(v) > maxValue || !utf8.ValidString(v) {
					t.Fatalf("value %q is unbounded or not UTF-8", v)
				}
			}
		}
		for _, c := range res.Columns {
			if utf8.RuneCountInString(c.Heading) > plan.MaxText || len(c.Samples) > 3 {
				t.Fatalf("column %+v", c)
			}
		}
		pops, inv := res.Answers()
		if len(inv.Devices) > res.Rows || len(pops) > len(res.Groups) {
			t.Fatalf("answers: %d populations, %d devices of %d rows", len(pops), len(inv.Devices), res.Rows)
		}
		if len(res.Groups) > 0 {
			id := res.Groups[0].ID
			for _, by := range SplitBys {
				if out, err := SplitGroup(res, id, by); err == nil {
					checkConsistent(t, out)
				}
			}
			if len(res.Groups) > 1 {
				if out, err := MergeGroups(res, id, res.Groups[1].ID); err == nil {
					checkConsistent(t, out)
				}
			}
		}
	})
}
