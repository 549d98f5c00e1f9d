package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// Bench runs the save benchmarks against stores made by open: CreatePlan
// of 2 KB of answers from 1, 16 and 64 concurrent callers, then the same
// with a 32 KB snapshot (the size of a compressed plan), reporting saves/s
// beside ns/op (ns/op is wall time per save, so it falls as saves share
// commits). Each sub-benchmark has a fresh store.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	snapshot := make([]byte, 32<<10)
	rand.NewChaCha8([32]byte{}).Read(snapshot) // compressed bytes look random
	for _, snap := range []bool{false, true} {
		for _, callers := range []int{1, 16, 64} {
			name := fmt.Sprintf("callers=%d", callers)
			var plan []byte
			if snap {
				name, plan = "snapshot/"+name, snapshot
			}
			b.Run(name, func(b *testing.B) {
				benchCreatePlan(b, open(b), callers, plan)
			})
		}
	}
}

func benchCreatePlan(b *testing.B, s store.Store, callers int, snapshot []byte) {
	ctx := context.Background()
	ans := make([]byte, 0, 2048)
	ans = append(ans, `{"organisation":{"name":"Bench`...)
	for len(ans) < 2000 {
		ans = append(ans, " pad"...)
	}
	ans = append(ans, `"}}`...)
	hash := store.HashKey("bench")
	b.SetBytes(int64(len(ans) + len(snapshot)))
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range callers {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				id := fmt.Sprintf("bench-%d-%d", c, i)
				if _, err := s.CreatePlan(ctx, store.NewPlan{ID: id, EditKeyHash: hash, Answers: ans, Ruleset: "bench", Plan: snapshot}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}

// BenchProgress runs PatchProgress from 1, 16 and 64 concurrent callers,
// each recording one task at a time on a plan of its own (as a team ticks
// tasks: no conflicts, every patch a write with its history row), and
// reports patches/s. Each sub-benchmark has a fresh store.
func BenchProgress(b *testing.B, open func(b *testing.B) store.Store) {
	for _, callers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			benchPatchProgress(b, open(b), callers)
		})
	}
}

func benchPatchProgress(b *testing.B, s store.Store, callers int) {
	ctx := context.Background()
	plans := make([]string, callers)
	for c := range plans {
		plans[c] = fmt.Sprintf("bench-progress-%d", c)
		if _, err := s.CreatePlan(ctx, store.NewPlan{ID: plans[c], EditKeyHash: store.HashKey("bench"), Answers: []byte(`{}`), Ruleset: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	statuses := []string{"doing", "done", "blocked", "todo"}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range callers {
		wg.Go(func() {
			var version int64
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				task := fmt.Sprintf("w/wave-%d/population-%d/enroll", i%3, i%40)
				pr, err := s.PatchProgress(ctx, store.ProgressPatch{PlanID: plans[c], ExpectedVersion: version, PlanRevision: 1, By: "bench",
					Tasks: map[string]store.TaskProgress{task: {Status: statuses[i%4], Note: "bench note"}}})
				if err != nil {
					b.Error(err)
					return
				}
				version = pr.Version
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}
