package plan

import (
	"math"
	"testing"
)

func TestWords(t *testing.T) {
	cases := []struct{ got, want string }{
		{JoinAnd(nil), ""},
		{JoinAnd([]string{"Sales"}), "Sales"},
		{JoinAnd([]string{"Sales", "Field"}), "Sales and Field"},
		{JoinAnd([]string{"Sales", "Field", "Office"}), "Sales, Field and Office"},

		{Thousands(0), "0"},
		{Thousands(999), "999"},
		{Thousands(1000), "1,000"},
		{Thousands(3410), "3,410"},
		{Thousands(100000), "100,000"},
		{Thousands(1234567), "1,234,567"},
		{Thousands(-1490), "-1,490"},
		{Thousands(-100), "-100"},
		{Thousands(math.MinInt64), "-9,223,372,036,854,775,808"},

		{Plural(1, "device", "devices"), "device"},
		{Plural(0, "device", "devices"), "devices"},
		{Plural(2, "policy", "policies"), "policies"},

		{Count(1, "device", "devices"), "1 device"},
		{Count(0, "device", "devices"), "0 devices"},
		{Count(3410, "device", "devices"), "3,410 devices"},

		{LongDate("2027-01-11"), "11 Jan 2027"},
		{LongDate("2027-02-08"), "8 Feb 2027"},
		{LongDate(""), ""},
		{LongDate("soon"), "soon"},
		{LongDateRange("2027-02-08", "2027-02-15"), "8 Feb to 15 Feb 2027"},
		{LongDateRange("2026-12-28", "2027-01-04"), "28 Dec 2026 to 4 Jan 2027"},

		{quoteSome([]string{"a", "b"}, "more step", "more steps"), "“a”, “b”"},
		{quoteSome([]string{"a", "b", "c", "d"}, "more step", "more steps"), "“a”, “b”, “c” and 1 more step"},
		{quoteSome([]string{"a", "b", "c", "d", "e"}, "more", "more"), "“a”, “b”, “c” and 2 more"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
