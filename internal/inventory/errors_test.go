package inventory

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// TestFileErrors: a file that cannot be read as an inventory is an *Error
// whose words tell the planner what to do, with the line where there is one.
func TestFileErrors(t *testing.T) {
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	cases := []struct {
		name  string
		input string
		line  int
		says  string
	}{
		{"empty file", "", 0, "The file is empty"},
		{"blank lines only", "\r\n\r\n  \r\n", 0, "The file is empty"},
		{"heading only", "Device name,OS,Model\r\n", 0, "no devices below it"},
		{"binary garbage", string(garbage), 0, "not a CSV or Excel device list"},
		{"PDF", "%PDF-1.7\n...", 0, "This is a PDF"},
		{"old Excel", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", 0, "Excel 97–2003"},
		{"a zip that is no workbook", zipOf(t, map[string]string{"word/document.xml": "<w/>"}), 0, "cannot be opened"},
		{"broken quote", "Device name,OS,Model\nPC-1,Windows,Latitude\nPC-2,Windows,\"Latitude\nPC-3,Windows,OptiPlex\nPC-4,Windows,OptiPlex\n", 3, "never closed"},
		{"no heading recognised", "alpha,beta\none,two\n", 1, "no column heading was recognised"},
		{"no platform column", "Device name,Serial number\nPC-1,C02XTEST0001\n", 1, "no column tells the platform"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.input), Options{Today: testToday})
			var e *Error
			if !errorsAs(err, &e) {
				t.Fatalf("got %v (%T), want an *Error", err, err)
			}
			if e.Line != tc.line || !strings.Contains(e.Msg, tc.says) {
				t.Fatalf("got line %d %q, want line %d saying %q", e.Line, e.Msg, tc.line, tc.says)
			}
		})
	}
}

func zipOf(t *testing.T, files map[string]string) string {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestZipBomb: a workbook that unpacks far beyond what a device list needs
// is refused before it is unpacked.
func TestZipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for range 40 {
		w.Write(chunk)
	}
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("the bomb is %d bytes", buf.Len())
	}
	_, err := Read(&buf, Options{MaxBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "unpacks to more than") {
		t.Fatalf("zip bomb: %v", err)
	}
}

// TestRaggedRows: short rows (exports trim trailing empty cells) are read;
// a row with more values than headings is reported, not guessed at.
func TestRaggedRows(t *testing.T) {
	res, err := Read(strings.NewReader("Device name,OS,Model,Primary user UPN\nPC-1,Windows\nPC-2,Windows,OptiPlex,user002@contoso.example,surplus\nPC-3,Windows,\"12\"\" screen\",user003@contoso.example\n"), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Devices) != 2 || len(res.Unplaced) != 1 || res.Unplaced[0].Row != 2 || !strings.Contains(res.Unplaced[0].Reason, "5 values where the heading names 4") {
		t.Fatalf("devices %+v unplaced %+v", res.Devices, res.Unplaced)
	}
	if res.Devices[1].Model != `12" screen` {
		t.Fatalf("quoted quote: %q", res.Devices[1].Model)
	}
}

// TestTitleAboveHeading: a report title and a blank line above the heading
// row are skipped, CRLF and a UTF-8 byte order mark too.
func TestTitleAboveHeading(t *testing.T) {
	in := "\uFEFFDevices report for Contoso,,\r\n\r\nDevice name,OS,Model\r\nPC-1,Windows,Latitude 7440\r\n\r\n\r\n"
	res, err := Read(strings.NewReader(in), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 1 || len(res.Devices) != 1 || res.Devices[0].Name != "PC-1" || res.Columns[0].Heading != "Device name" {
		t.Fatalf("rows %d devices %+v columns %+v", res.Rows, res.Devices, res.Columns)
	}
}

// TestEncodingsAndSeparators: Excel's "Unicode text" (UTF-16 with a byte
// order mark, tab-separated), a European CSV (semicolons, Windows-1252) and
// UTF-8 read alike.
func TestEncodingsAndSeparators(t *testing.T) {
	f := spreadsheetFixture()
	base := readFile(t, "testdata/spreadsheet.csv", Options{})
	write := func(comma rune) []byte {
		g := *f
		g.comma = comma
		g.crlf = true
		g.rows = slices.Clone(f.rows)
		g.rows[0] = slices.Clone(g.rows[0])
		g.rows[0][4] = "Café Müller" // Location, which is not read
		return g.csv()
	}
	utf16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(write('\t'))
	utf16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes(write('\t'))
	cp1252, err := charmap.Windows1252.NewEncoder().Bytes(write(';'))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"UTF-16 LE": utf16le, "UTF-16 BE": utf16be, "semicolons, Windows-1252": cp1252, "tabs, UTF-8": write('\t')} {
		t.Run(name, func(t *testing.T) {
			res, err := Read(bytes.NewReader(data), Options{Today: testToday})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(res.Groups, base.Groups, func(a, b Group) bool { return got(a) == got(b) }) || len(res.Stale) != len(base.Stale) {
				t.Fatalf("groups %+v, want %+v", res.Groups, base.Groups)
			}
			if s := res.Columns[4].Samples[0]; s != "Café Müller" {
				t.Fatalf("sample read as %q", s)
			}
		})
	}
}

// TestRowBound: 100,000 rows are accepted, one more is refused in words.
func TestRowBound(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100,001 rows")
	}
	var b bytes.Buffer
	b.WriteString("Device name,OS\n")
	for range 100_001 {
		b.WriteString("P,Windows\n")
	}
	_, err := Read(bytes.NewReader(b.Bytes()), Options{Today: testToday})
	if err == nil || !strings.Contains(err.Error(), "more than 100,000 devices") {
		t.Fatalf("100,001 rows: %v", err)
	}
	res, err := Read(bytes.NewReader(b.Bytes()[:b.Len()-len("P,Windows\n")]), Options{Today: testToday})
	if err != nil || res.Rows != 100_000 {
		t.Fatalf("100,000 rows: %v", err)
	}
}

// TestByteBound: a file over 20 MB is refused while it streams, in words.
func TestByteBound(t *testing.T) {
	// 230-byte rows: the 20 MB bound comes before the 100,000-row one.
	row := []byte("PC-0001,Windows,Latitude 7440,user001@contoso.example,C02XTEST0001," + strings.Repeat("n", 160) + "\n")
	big := io.MultiReader(strings.NewReader("Device name,OS,Model,Primary user UPN,Serial number,Notes\n"), &repeater{row: row, n: 100_000})
	_, err := Read(big, Options{Today: testToday})
	if err == nil || !strings.Contains(err.Error(), "larger than 20 MB") {
		t.Fatalf("21 MB: %v", err)
	}
}

type repeater struct {
	row []byte
	n   int
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.row[r.off:])
	if r.off += k; r.off == len(r.row) {
		r.off, r.n = 0, r.n-1
	}
	return k, nil
}

// TestFixturesAreInvented: no fixture holds a real-looking address.
func TestFixturesAreInvented(t *testing.T) {
	for _, f := range allFixtures() {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			for _, v := range rec {
				if i := strings.IndexByte(v, '@'); i >= 0 && !strings.HasSuffix(v, ".example") {
					t.Fatalf("%s: %q is not an invented address", f.path, v)
				}
			}
		}
	}
}
