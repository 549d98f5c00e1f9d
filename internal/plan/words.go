// The words of the document: lists, numbers, plurals, dates. Every renderer
// and page uses these, so that one document never says "3,410 devices" in
// one place and "3410 devices" in another.

package plan

import (
	"strconv"
	"strings"
	"time"
)

// JoinAnd lists words as "a, b and c"; no words give "".
func JoinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// Thousands writes a whole number with thousands separators: 3410 as
// "3,410", -1490 as "-1,490".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	start := 0
	if n < 0 {
		start = 1
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/3)
	b.WriteString(s[:start])
	digits := s[start:]
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

// Plural is the word for n things: one for 1, many otherwise.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Count says how many: "1 device", "3,410 devices", "0 devices".
func Count(n int, one, many string) string {
	return Thousands(n) + " " + Plural(n, one, many)
}

// LongDate writes YYYY-MM-DD as "11 Jan 2027"; other text is returned as is.
func LongDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 Jan 2006")
}

// LongDateRange writes two dates as "8 Feb to 15 Feb 2027", naming the year
// once when both share it.
func LongDateRange(from, to string) string {
	f, e1 := time.Parse(time.DateOnly, from)
	t, e2 := time.Parse(time.DateOnly, to)
	if e1 == nil && e2 == nil && f.Year() == t.Year() {
		return f.Format("2 Jan") + " to " + t.Format("2 Jan 2006")
	}
	return LongDate(from) + " to " + LongDate(to)
}

// inQuotes puts a title in curly quotes.
func inQuotes(s string) string { return "\u201c" + s + "\u201d" }

// quoteSome quotes up to three titles, then counts the rest: “a”, “b”,
// “c” and 2 more steps (one and many name the rest).
func quoteSome(titles []string, one, many string) string {
	const show = 3
	q := make([]string, 0, show)
	for i, t := range titles {
		if i == show {
			break
		}
		q = append(q, inQuotes(t))
	}
	s := strings.Join(q, ", ")
	if n := len(titles) - show; n > 0 {
		s += " and " + Count(n, one, many)
	}
	return s
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
