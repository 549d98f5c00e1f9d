package plantest

import (
	"slices"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// TestScannerFindsWhatTheIssueFound: the words a new user found in the 2026
// plans (issue "A plan a consultant can hand over") are caught, plain
// English is not.
func TestScannerFindsWhatTheIssueFound(t *testing.T) {
	c, err := plan.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := NewScanner(c)
	for text, want := range map[string]string{
		"Factory reset required (rule reset-ios-ade).":  "reset-ios-ade",
		"As the seed guide (S1) says":                   "seed",
		"Prerequisites: mdm-authority, licenses":        "mdm-authority",
		"Warning blocked-by-apple-mdm-push-certificate": "blocked-by-apple-mdm-push-certificate",
		"ABM is free (unconfirmed).":                    "(unconfirmed)",
		"rollout.waves[0].start is before the pilot":    "rollout.waves[",
		"managed by other-mdm":                          "other-mdm",
		"See E-ADEI.":                                   "E-ADEI",
	} {
		if got := s.Jargon(text); !slices.Contains(got, want) {
			t.Errorf("%q: found %v, want %q among them", text, got, want)
		}
	}
	for _, plain := range []string{"Create the user and device groups.", "Assign licenses to users.", "Turn on the factory-reset phone.", "Configuration Manager co-manages them."} {
		if got := s.Jargon(plain); len(got) > 0 {
			t.Errorf("%q is plain English, found %v", plain, got)
		}
	}
}
