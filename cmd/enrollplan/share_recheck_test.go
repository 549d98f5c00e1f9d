package main

import (
	"strings"
	"testing"
	"time"
)

func TestShareRecheck(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 0, "1000": time.Second, " 250 ": 250 * time.Millisecond, "0": -1, "60000": time.Minute} {
		got, err := shareRecheck(func(string) string { return v })
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"-1", "1s", "60001", "x"} {
		if _, err := shareRecheck(func(string) string { return v }); err == nil || !strings.Contains(err.Error(), "ENROLLPLAN_SHARE_RECHECK_MS") {
			t.Errorf("%q: %v, want an error naming the variable", v, err)
		}
	}
}
