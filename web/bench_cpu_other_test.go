//go:build !unix

package web

import "time"

// processCPU is unknown here: benchmarks report 0 CPU per operation.
func processCPU() time.Duration { return 0 }
