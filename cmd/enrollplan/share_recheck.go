package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// shareRecheck reads ENROLLPLAN_SHARE_RECHECK_MS: how long a share view
// trusts what this server last read about the plan (revoked or not, its
// latest revision and progress) before it asks the database again, so the
// longest another replica's revocation or new revision may go unseen here
// (default 1000; 0 asks on every view).
func shareRecheck(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv("ENROLLPLAN_SHARE_RECHECK_MS"))
	if v == "" {
		return 0, nil // web.DefaultShareRecheck
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 0 || ms > 60_000 {
		return 0, usageError{fmt.Sprintf("ENROLLPLAN_SHARE_RECHECK_MS=%q: use a whole number of milliseconds from 0 (ask the database on every view) to 60000", v)}
	}
	if ms == 0 {
		return -1, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}
