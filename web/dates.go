package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/enrollplan/enrollplan/templates/components"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// Dates are typed in three boxes (day, month, year), so that a date typed
// in part stays on the page and no reader has to guess the order of day and
// month. People paste whole dates too; the day box takes them.

// monthNames are the month names (and their first three letters) a
// planner may type in the month box instead of its number.
var monthNames = func() map[string]time.Month {
	names := map[string]time.Month{"sept": time.September}
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		names[name], names[name[:3]] = m, m
	}
	return names
}()

// weekdays are skipped in a pasted date ("Monday 4 January 2027").
var weekdays = func() map[string]bool {
	days := map[string]bool{}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		days[name], days[name[:3]] = true, true
	}
	return days
}()

// dayOnly is the part readDate names when its message concerns the day box
// alone (a date pasted into it, a day that is no day); PartDay names the
// day and the boxes after it, as when a date lacks its day and month.
const dayOnly components.DatePart = "day-only"

// dateFocus is what a date's error links to and marks (pages.FormError.Focus):
// the box the message names, the day box alone for dayOnly, and for
// PartDay the field, whose boxes are then all marked.
func dateFocus(field string, part components.DatePart) string {
	switch part {
	case "", components.PartDay:
		return ""
	case dayOnly:
		return pages.FieldID(field)
	}
	return pages.FieldID(field) + "-" + string(part)
}

func dateParts(v url.Values, prefix string) pages.DateParts {
	return pages.DateParts{Day: v.Get(prefix + "day"), Month: v.Get(prefix + "month"), Year: v.Get(prefix + "year")}
}

// setDate writes a YYYY-MM-DD date into the three boxes, the month by its
// short name (4 Jan 2027): read on its own it cannot be taken for another
// date, and it fits the month box.
func setDate(v url.Values, prefix, iso string) {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return
	}
	v.Set(prefix+"day", strconv.Itoa(t.Day()))
	v.Set(prefix+"month", shortMonth(t.Month()))
	v.Set(prefix+"year", strconv.Itoa(t.Year()))
}

// shortMonth is a month's name in three letters, as the month box shows it.
func shortMonth(m time.Month) string { return m.String()[:3] }

// readDate reads the date in the boxes prefix+"day", "month" and "year" of
// v. A whole date typed or pasted into the day box fills the three boxes
// first, in v, so that the page shows the date as it was read. what names
// the date in messages ("start date").
func readDate(v url.Values, prefix, what string) (iso string, part components.DatePart, msg string) {
	p, whole, msg := wholeDate(v.Get(prefix + "day"))
	if msg != "" {
		return "", dayOnly, msg
	}
	if whole {
		v.Set(prefix+"day", p.Day)
		v.Set(prefix+"month", p.Month)
		if p.Year != "" {
			v.Set(prefix+"year", p.Year)
		}
	}
	return parseDate(dateParts(v, prefix), what)
}

// wholeDate reads a day box that holds more than a day: "2027-01-04",
// "4 January 2027", "4 Jan 2027", "January 4, 2027", "Mon 4 Jan", "25/12/2027".
// Day and month in numbers are read only when they cannot be the other way
// round (25/12/2027, 5/5/2027); "04/01/2027" is 4 January in one country
// and 1 April in another, so the message asks for the month's name. whole is
// false for a lone day and for text that is no date (the day box's own
// check then names it).
func wholeDate(s string) (p pages.DateParts, whole bool, msg string) {
	p, whole, msg = readWholeDate(s)
	if whole && msg == "" {
		p.Day = dayNumber(p.Day)
	}
	return p, whole, msg
}

// readWholeDate is wholeDate before the day loses its leading zero.
func readWholeDate(s string) (p pages.DateParts, whole bool, msg string) {
	s = strings.TrimSpace(s)
	tokens := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",/.-", r)
	})
	if len(tokens) < 2 {
		return p, false, ""
	}
	var nums []string
	var month time.Month
	for _, t := range tokens {
		if weekdays[t] {
			continue
		}
		if m, ok := monthNames[t]; ok && month == 0 {
			month = m
			continue
		}
		for _, suffix := range []string{"st", "nd", "rd", "th"} { // 4th
			if d, ok := strings.CutSuffix(t, suffix); ok && d != "" && allDigits(d) {
				t = d
			}
		}
		if !allDigits(t) || len(nums) == 3 {
			return p, false, ""
		}
		nums = append(nums, t)
	}
	if month != 0 {
		p.Month = shortMonth(month)
		switch {
		case len(nums) == 1 && len(nums[0]) == 4:
			p.Year = nums[0]
		case len(nums) == 1:
			p.Day = nums[0]
		case len(nums) == 2 && len(nums[0]) == 4: // 2027 January 4
			p.Year, p.Day = nums[0], nums[1]
		case len(nums) == 2:
			p.Day, p.Year = nums[0], nums[1]
		default:
			return pages.DateParts{}, false, ""
		}
		return p, true, ""
	}
	switch {
	case len(nums) == 3 && len(nums[0]) == 4: // 2027-01-04
		return pages.DateParts{Day: nums[2], Month: monthWord(nums[1]), Year: nums[0]}, true, ""
	case len(nums) < 2:
		return p, false, ""
	}
	a, _ := strconv.Atoi(nums[0])
	b, _ := strconv.Atoi(nums[1])
	if len(nums) == 3 {
		p.Year = nums[2]
	}
	switch {
	case a == b || (a > 12 && b <= 12):
		p.Day, p.Month = nums[0], monthWord(nums[1])
	case b > 12 && a <= 12:
		p.Day, p.Month = nums[1], monthWord(nums[0])
	case a >= 1 && b >= 1:
		year := p.Year
		if len(year) != 4 {
			year = "2027"
		}
		return pages.DateParts{}, true, fmt.Sprintf("“%s” could be %d %s or %d %s: write the month as a word, for example %d %s %s",
			s, a, time.Month(b), b, time.Month(a), a, time.Month(b), year)
	default:
		p.Day, p.Month = nums[0], nums[1] // no date: the boxes' own checks say why
	}
	return p, true, ""
}

// dayNumber writes a day without its leading zero ("04" → "4"), as setDate does.
func dayNumber(s string) string {
	if n, err := strconv.Atoi(s); err == nil {
		return strconv.Itoa(n)
	}
	return s
}

// monthWord is a month's short name for its number, or the text as it was.
func monthWord(n string) string {
	if m, err := strconv.Atoi(n); err == nil && m >= 1 && m <= 12 {
		return shortMonth(time.Month(m))
	}
	return n
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// parseDate reads a date typed in three boxes. A date left empty is no
// date; a date typed in part is an error naming the missing box, never
// dropped. part is the box the message concerns (see dayOnly); what names
// the date.
func parseDate(dp pages.DateParts, what string) (iso string, part components.DatePart, msg string) {
	day, month, year := strings.TrimSpace(dp.Day), strings.TrimSpace(dp.Month), strings.TrimSpace(dp.Year)
	if day == "" && month == "" && year == "" {
		return "", "", ""
	}
	var missing []string
	for _, p := range []struct {
		v    string
		part components.DatePart
	}{{day, components.PartDay}, {month, components.PartMonth}, {year, components.PartYear}} {
		if p.v == "" {
			if part == "" {
				part = p.part
			}
			missing = append(missing, "a "+string(p.part))
		}
	}
	if len(missing) == 1 && part == components.PartDay {
		part = dayOnly
	}
	if len(missing) > 0 {
		return "", part, fmt.Sprintf("The %s must include %s", what, strings.Join(missing, " and "))
	}
	d, err := strconv.Atoi(day)
	if err != nil || d < 1 || d > 31 {
		return "", dayOnly, fmt.Sprintf("The day of the %s must be a number from 1 to 31, not “%s”", what, day)
	}
	m, ok := monthNames[strings.TrimSuffix(strings.ToLower(month), ".")]
	if !ok {
		n, err := strconv.Atoi(month)
		if err != nil || n < 1 || n > 12 {
			return "", components.PartMonth, fmt.Sprintf("The month of the %s must be a number from 1 to 12, or its name, not “%s”", what, month)
		}
		m = time.Month(n)
	}
	y, err := strconv.Atoi(year)
	if err != nil || len(year) != 4 || y < 2000 {
		return "", components.PartYear, fmt.Sprintf("The year of the %s must have 4 digits, like 2027, not “%s”", what, year)
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		days := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return "", dayOnly, fmt.Sprintf("The %s must be a real date: %s %d has %d days", what, m, y, days)
	}
	return t.Format(time.DateOnly), "", ""
}
