package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestReadDatePasted: a whole date in the day box, as people paste it,
// fills the three boxes; numbers that could be day-month or month-day ask
// for the month's name; a lone day or a non-date is left to the boxes.
func TestReadDatePasted(t *testing.T) {
	for _, tc := range []struct {
		day, month, year string
		iso, boxes, msg  string
	}{
		{day: "2027-01-04", iso: "2027-01-04", boxes: "4 Jan 2027"},
		{day: " 4 January 2027 ", iso: "2027-01-04", boxes: "4 Jan 2027"},
		{day: "4 Jan 2027", iso: "2027-01-04", boxes: "4 Jan 2027"},
		{day: "4th Sept. 2027", iso: "2027-09-04", boxes: "4 Sep 2027"},
		{day: "Monday, January 4, 2027", iso: "2027-01-04", boxes: "4 Jan 2027"},
		{day: "2027/1/4", iso: "2027-01-04", boxes: "4 Jan 2027"},
		{day: "25/12/2027", iso: "2027-12-25", boxes: "25 Dec 2027"},
		{day: "12/25/2027", iso: "2027-12-25", boxes: "25 Dec 2027"},
		{day: "5.5.2027", iso: "2027-05-05", boxes: "5 May 2027"},
		{day: "4 Jan", year: "2028", iso: "2028-01-04", boxes: "4 Jan 2028"}, // the year box stays
		{day: "04/01/2027", boxes: "04/01/2027  ", msg: "“04/01/2027” could be 4 January or 1 April: write the month as a word, for example 4 January 2027"},
		{day: "4 1 2027", boxes: "4 1 2027  ", msg: "could be 4 January or 1 April"},
		{day: "4", month: "January", year: "2027", iso: "2027-01-04", boxes: "4 January 2027"}, // boxes as typed
		{day: "4", month: "1", year: "2027", iso: "2027-01-04", boxes: "4 1 2027"},             // boxes as typed
		{day: "31/02/2027", boxes: "31 Feb 2027", msg: "The start date must be a real date: February 2027 has 28 days"},
		{day: "4 x 2027", boxes: "4 x 2027  ", msg: "The start date must include a month and a year"},
		{day: "04/01/27", boxes: "04/01/27  ", msg: "could be 4 January or 1 April: write the month as a word, for example 4 January 2027"},
		{day: "13/01/27", boxes: "13 Jan 27", msg: "The year of the start date must have 4 digits"},
	} {
		v := url.Values{"s.day": {tc.day}, "s.month": {tc.month}, "s.year": {tc.year}}
		iso, _, msg := readDate(v, "s.", "start date")
		if iso != tc.iso || !strings.Contains(msg, tc.msg) || (tc.msg == "" && msg != "") {
			t.Errorf("%q: read %q, %q; want %q, %q", tc.day, iso, msg, tc.iso, tc.msg)
		}
		if got := v.Get("s.day") + " " + v.Get("s.month") + " " + v.Get("s.year"); got != tc.boxes {
			t.Errorf("%q: boxes %q, want %q", tc.day, got, tc.boxes)
		}
	}
}

// TestRolloutFieldOnPage: the engine's paths name the waves it was given,
// which skip the waves nobody touched; a count keeps its population.
func TestRolloutFieldOnPage(t *testing.T) {
	kept := []int{1, 3} // rows 0 and 2 were left untouched
	for _, tc := range []struct {
		path, field string
		row         int
		ok          bool
	}{
		{"rollout.waves[1].devices.office-laptops", "rollout.waves[3].devices.office-laptops", 3, true},
		{"rollout.waves[0].devices", "rollout.waves[1].populations", 1, true},
		{"rollout.waves[0].populations[2]", "rollout.waves[1].populations", 1, true},
		{"rollout.waves[1].start", "rollout.waves[3].start", 3, true},
		{"rollout.pilot_devices", "rollout.pilot_devices", -1, true},
		{"rollout.waves[2].name", "", 0, false},
	} {
		field, row, ok := rolloutFieldOnPage(tc.path, kept)
		if field != tc.field || row != tc.row || ok != tc.ok {
			t.Errorf("%s: %q %d %v, want %q %d %v", tc.path, field, row, ok, tc.field, tc.row, tc.ok)
		}
	}
}
