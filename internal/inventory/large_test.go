package inventory

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// bigInventory is an Intune-style export of n devices, about 185 bytes a
// row (100,000 rows ≈ 18.5 MB).
func bigInventory(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Device ID,Device name,Serial number,OS,OS version,Model,Manufacturer,Ownership,Primary user UPN,Last check-in,Managed by\r\n")
	kinds := []struct{ os, version, model, maker, managed string }{
		{"Windows", "10.0.22631.4460", "Latitude 7440", "Dell Inc.", "Co-managed"},
		{"Windows", "10.0.19045.5131", "OptiPlex 7010", "Dell Inc.", "ConfigMgr"},
		{"iOS/iPadOS", "17.5.1", "iPhone 15", "Apple", "Intune"},
		{"Android (Dedicated)", "13", "TC52", "Zebra", "Intune"},
	}
	for i := range n {
		k := kinds[i%len(kinds)]
		u := fmt.Sprintf("user%06d@contoso.example", i)
		if i%7 == 0 {
			u = ""
		}
		fmt.Fprintf(&b, "%08x-0000-4000-8000-%012d,DEV-%07d,C02X%08d,%s,%s,%s,%s,Corporate,%s,%s,%s\r\n",
			i, i, i, i, k.os, k.version, k.model, k.maker, u, intuneTime(daysAgo(i%120)), k.managed)
	}
	return b.Bytes()
}

// readMeasured reads data and reports the time and the peak heap in use
// beyond what was in use before (the input itself).
func readMeasured(tb testing.TB, data []byte) (*Result, time.Duration, uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	start := time.Now()
	res, err := Read(bytes.NewReader(data), Options{Today: testToday})
	took := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		tb.Fatal(err)
	}
	return res, took, peak - base
}

// TestLargeInventory: 100,000 devices in an 18.5 MB file are accepted,
// grouped and measured (go test -run TestLargeInventory -v prints the time
// and the peak heap).
func TestLargeInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100,000 rows")
	}
	data := bigInventory(100_000)
	if len(data) < 15<<20 || len(data) > 20<<20 {
		t.Fatalf("the file is %d bytes; the test wants 15 to 20 MB", len(data))
	}
	res, took, peak := readMeasured(t, data)
	if res.Rows != 100_000 || len(res.Devices)+len(res.Stale)+len(res.Unplaced) != 100_000 || len(res.Stale) == 0 {
		t.Fatalf("rows %d, placed %d, stale %d, unplaced %d", res.Rows, len(res.Devices), len(res.Stale), len(res.Unplaced))
	}
	checkConsistent(t, res)
	t.Logf("100,000 rows, %.1f MB: read in %v, peak heap %.1f MB above the input", float64(len(data))/(1<<20), took.Round(time.Millisecond), float64(peak)/(1<<20))
	if peak > 200<<20 {
		t.Fatalf("peak heap %d MB: reading does not stream", peak>>20)
	}
}

// BenchmarkRead100k reads the 100,000-row file; peak-MB is the heap in use
// beyond the input.
func BenchmarkRead100k(b *testing.B) {
	data := bigInventory(100_000)
	b.SetBytes(int64(len(data)))
	var peak uint64
	for b.Loop() {
		_, _, p := readMeasured(b, data)
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}
