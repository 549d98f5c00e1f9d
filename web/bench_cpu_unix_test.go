//go:build unix

package web

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used (user and system), so a
// benchmark can report CPU per operation: on a machine shared with other
// work, wall time per operation measures the neighbours too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
