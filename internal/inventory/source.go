package inventory

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// source yields the records of a file, heading first.
type source interface {
	next() ([]string, error) // io.EOF after the last record
	line() int               // the line (or sheet row) the last record started on
	close()
}

var errTooBig = errors.New("inventory: file too large")

// limited reads at most max bytes and fails with errTooBig past them, so a
// file's size is bounded while it streams.
type limited struct {
	r      io.Reader
	n, max int64
}

func (l *limited) Read(p []byte) (int, error) {
	if room := l.max + 1 - l.n; int64(len(p)) > room {
		p = p[:room]
	}
	if len(p) == 0 {
		return 0, errTooBig
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, errTooBig
	}
	return n, err
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0} // .xls, and any password-protected workbook
)

const sniffSize = 64 << 10

// open recognises what r holds (CSV in UTF-8, UTF-16 or Windows-1252, or
// an .xlsx workbook) and returns its records.
func open(r io.Reader, maxBytes int64) (source, error) {
	lim := &limited{r: r, max: maxBytes}
	br := bufio.NewReaderSize(lim, sniffSize)
	head, err := br.Peek(4)
	if len(head) == 0 {
		if errors.Is(err, errTooBig) {
			return nil, tooBig(maxBytes)
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return nil, fail(0, "The file is empty; export the device list again and upload that file.")
	}
	switch {
	case bytes.HasPrefix(head, zipMagic):
		data, err := io.ReadAll(br)
		if err != nil {
			if errors.Is(err, errTooBig) {
				return nil, tooBig(maxBytes)
			}
			return nil, err
		}
		return openXLSX(data, maxBytes)
	case bytes.HasPrefix(head, oleMagic):
		return nil, fail(0, "This is an Excel 97–2003 workbook (.xls) or a password-protected workbook, which cannot be read here; save it as .xlsx without a password, or as CSV, and upload that.")
	case bytes.HasPrefix(head, []byte("%PDF")):
		return nil, fail(0, "This is a PDF, not a device list; export the list as CSV or .xlsx and upload that.")
	}

	var text io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		// Excel's "Unicode text" and some MDM exports: UTF-16 with a BOM.
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	}
	tb := bufio.NewReaderSize(text, sniffSize)
	sniff, err := tb.Peek(sniffSize)
	if errors.Is(err, errTooBig) && len(sniff) == 0 {
		return nil, tooBig(maxBytes)
	}
	if bytes.IndexByte(sniff, 0) >= 0 || controlHeavy(sniff) {
		return nil, fail(0, "This file is not a CSV or Excel device list (it holds binary data); export the list as CSV or .xlsx and upload that.")
	}
	if !utf8.Valid(wholeRunes(sniff)) {
		// Not UTF-8: Excel on Windows saves "CSV" in the Windows code page.
		tb = bufio.NewReaderSize(transform.NewReader(tb, charmap.Windows1252.NewDecoder()), sniffSize)
	}
	cr := csv.NewReader(tb)
	cr.Comma = sniffSeparator(sniff)
	cr.LazyQuotes = true    // a stray quote in a model name is common; runaway quotes are caught per record
	cr.FieldsPerRecord = -1 // exports trim trailing empty cells
	cr.ReuseRecord = true
	return &csvSource{r: cr, maxBytes: maxBytes}, nil
}

func tooBig(maxBytes int64) *Error {
	return fail(0, "The file is larger than %s MB; export only the columns you need (name, serial number, OS, model, owner, user, last check-in), or split the list by platform and import each part.", plan.Thousands(int(maxBytes>>20)))
}

// wholeRunes drops an incomplete UTF-8 sequence cut off at the end of b.
func wholeRunes(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// controlHeavy says whether b has more control characters than text can.
func controlHeavy(b []byte) bool {
	n := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			n++
		}
	}
	return n > len(b)/100+2
}

// sniffSeparator picks the separator from the first non-blank line: the
// most frequent of comma, semicolon (European Excel) and tab, outside quotes.
func sniffSeparator(b []byte) rune {
	b = bytes.TrimLeft(b, "\r\n")
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	counts := map[byte]int{}
	quoted := false
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

type csvSource struct {
	r        *csv.Reader
	start    int
	maxBytes int64
}

func (s *csvSource) next() ([]string, error) {
	rec, err := s.r.Read()
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.Is(err, errTooBig):
			return nil, tooBig(s.maxBytes)
		case errors.As(err, &pe):
			return nil, fail(pe.StartLine, "the line cannot be read as CSV (%v); open the file in Excel and save it again as CSV.", pe.Err)
		}
		return nil, err
	}
	s.start, _ = s.r.FieldPos(0)
	return rec, nil
}

func (s *csvSource) line() int { return s.start }

// fieldLine is the line a field of the last record starts on.
func (s *csvSource) fieldLine(i int) int { l, _ := s.r.FieldPos(i); return l }

func (s *csvSource) close() {}
