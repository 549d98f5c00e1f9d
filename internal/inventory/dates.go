package inventory

import (
	"strconv"
	"strings"
	"time"
)

// dateLayouts are the ways the exports write a last check-in: ISO (Intune
// writes "2026-01-02 15:04:05.0000000"), US month/day with a 12-hour clock
// (Workspace ONE, Configuration Manager), day.month.year (European Excel),
// and month names. Fractions of seconds are accepted after any seconds.
var dateLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
	"2006/01/02",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04 PM",
	"1/2/2006 15:04:05",
	"1/2/2006 15:04",
	"1/2/2006",
	"2/1/2006 15:04:05", // day first, when the month would be past 12
	"2/1/2006 15:04",
	"2/1/2006",
	"2.1.2006 15:04:05",
	"2.1.2006 15:04",
	"2.1.2006",
	"2-1-2006",
	"Jan 2, 2006 3:04 PM",
	"Jan 2, 2006",
	"January 2, 2006",
	"2 Jan 2006",
	"2 January 2006",
	"2-Jan-2006",
	"Mon Jan 2 15:04:05 2006",
}

// Excel serial days for 1970-01-01 and 2100-01-01: a bare number in this
// range in a date column is a date a workbook stored as a number.
const (
	excelSerialMin = 25569
	excelSerialMax = 73051
)

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseDate reads a last check-in; ok is false for anything that is not a
// date ("Never", "N/A", empty).
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return time.Time{}, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < excelSerialMin || f > excelSerialMax {
			return time.Time{}, false
		}
		return excelEpoch.Add(time.Duration(f * 24 * float64(time.Hour))).Round(time.Second), true
	}
	for _, suffix := range []string{" UTC", " GMT", " Z"} {
		s = strings.TrimSuffix(s, suffix)
	}
	s = strings.Replace(s, " at ", " ", 1) // Jamf Pro: "Jan 2, 2026 at 3:04 PM"
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1970 || t.Year() > 2100 {
				return time.Time{}, false // "0001-01-01 00:00:00" is Intune's "never"
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
