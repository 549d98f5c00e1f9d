// Plain names: the short forms a reader may not know (COSU, MAM-WE, AOSP,
// DEM) are spelled out where a text or a page first uses them.

package plan

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ShortForm is an abbreviation and what it stands for, in the words a
// sentence uses (lower case unless a name).
type ShortForm struct {
	Abbr string
	Full string
}

// ShortForms are the abbreviations issue 17 found unexplained; Microsoft's
// pages use each of them (the wipe page "corporate-owned dedicated (COSU)",
// the Android guide "Android Open Source Project (AOSP)", the DEM page
// "device enrollment manager (DEM)", the MAM deployment guide "MAM-WE").
var ShortForms = []ShortForm{
	{"COSU", "corporate-owned, single-use"},
	{"MAM-WE", "mobile application management without enrollment"},
	{"AOSP", "Android Open Source Project"},
	{"DEM", "device enrollment manager"},
}

// wordAt reports where abbr first stands as a word of text (not inside a
// longer word, so "DEM" isn't found in "DEMO" nor "AOSP" in "AOSPX"), or -1.
func wordAt(text, abbr string) int {
	for from := 0; from < len(text); {
		i := strings.Index(text[from:], abbr)
		if i < 0 {
			return -1
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[i+len(abbr):])
		if !isWordRune(before) && !isWordRune(after) {
			return i
		}
		from = i + len(abbr)
	}
	return -1
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-')
}

// spelledAt reports whether the use of f.Abbr at i is spelled out: its
// full form comes before it in the text ("device enrollment manager (DEM)")
// or right after it in brackets ("COSU (corporate-owned, single-use)").
func spelledAt(text string, i int, f ShortForm) bool {
	if strings.Contains(strings.ToLower(text[:i]), strings.ToLower(f.Full)) {
		return true
	}
	rest := strings.ToLower(text[i+len(f.Abbr):])
	return strings.HasPrefix(rest, " ("+strings.ToLower(f.Full))
}

// NotSpelledOut lists the short forms that text uses without spelling them
// out at their first use; a text that never uses one is fine.
func NotSpelledOut(text string) []string {
	var out []string
	for _, f := range ShortForms {
		if i := wordAt(text, f.Abbr); i >= 0 && !spelledAt(text, i, f) {
			out = append(out, f.Abbr)
		}
	}
	return out
}

// Speller spells out each short form the first time a page shows it, and
// leaves later uses short: the full name first and the short form once.
// The zero value is ready; one Speller serves one page.
type Speller struct {
	seen map[string]bool
}

// Say returns text with the short forms it is the first to use spelled out:
// "Android Enterprise dedicated devices (COSU)" becomes "Android Enterprise
// dedicated devices (corporate-owned, single-use: COSU)", a bare "DEM
// accounts" becomes "device enrollment manager (DEM) accounts". A text that
// spells one out already is left as it is.
func (s *Speller) Say(text string) string {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, f := range ShortForms {
		if s.seen[f.Abbr] {
			continue
		}
		i := wordAt(text, f.Abbr)
		if i < 0 {
			continue
		}
		s.seen[f.Abbr] = true
		if spelledAt(text, i, f) {
			continue
		}
		full := f.Full
		if atSentenceStart(text[:i]) {
			full = capitalize(full)
		}
		if i > 0 && text[i-1] == '(' {
			text = text[:i] + full + ": " + text[i:]
		} else {
			text = text[:i] + full + " (" + f.Abbr + ")" + text[i+len(f.Abbr):]
		}
	}
	return text
}

// atSentenceStart reports whether what follows before starts a sentence.
func atSentenceStart(before string) bool {
	t := strings.TrimRight(before, " ")
	return t == "" || strings.HasSuffix(t, ".") || strings.HasSuffix(t, "?") || strings.HasSuffix(t, "!")
}
