package web

import (
	"bytes"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// A saved revision is a snapshot: it keeps the plan it was built into, as
// the plan's compact JSON compressed as an S2 stream, so that the share
// page, its formats, the print view and the API read the plan as it was
// saved, whatever later editions of the guidance change. Revisions saved
// before snapshots existed have none and are rebuilt with today's ruleset.
//
// Why S2 (BENCHMARKS.md, "Round 2: progress and saves"): a save pays for
// the compression on a CPU it shares with everything else, every cold read
// for the decompression. On the examples' plans S2 compresses six to eight
// times and decompresses about seven times cheaper than the standard
// library's gzip at BestSpeed (which saves used before), into 3-10 % more
// bytes; zstd at its fastest stores a quarter fewer bytes but costs three
// times S2's CPU to compress. The stream format checks every block with a
// CRC-32C, as gzip's CRC-32 did, so a damaged snapshot is noticed (and the
// plan rebuilt) rather than shown wrong.
//
// Snapshots saved before are gzip, or JSON as it is; they are read as
// they are (the first bytes tell the three apart), never rewritten.

// Magic numbers at the start of a stored snapshot: an S2 stream's
// identifier chunk, and gzip's header.
var (
	s2Magic   = []byte("\xff\x06\x00\x00S2sTwO")
	gzipMagic = []byte{0x1f, 0x8b}
)

// maxSnapshotJSON bounds what a stored snapshot may expand to (the largest
// plan valid answers can make is a few megabytes).
const maxSnapshotJSON = 64 << 20

// snapshotBlock is the S2 block size: a plan's JSON (about 300 KB) is two
// blocks. Blocks of 1 MiB (S2's default) would store 3–5 % fewer bytes for
// four times the memory in each writer and reader.
const snapshotBlock = 256 << 10

// maxSnapshotBlock is the largest block a reader accepts: a stream with
// larger blocks is refused (so a damaged length cannot ask for more), one
// with blocks up to this size reads, whatever block size wrote it.
const maxSnapshotBlock = 1 << 20

// S2 writers and readers each hold a block's buffers (about half a
// megabyte), so a few are kept and reused rather than made per save or
// read. A few: the work is CPU-bound, so more at once than there are CPUs
// buys nothing, and 64 saves or cold reads at once must not hold 64 sets
// of buffers.
var (
	snapshotWriters = newCodecPool(func() *s2.Writer {
		return s2.NewWriter(nil, s2.WriterConcurrency(1), s2.WriterBlockSize(snapshotBlock)) // synchronous: no goroutines
	})
	snapshotReaders = newCodecPool(func() *s2.Reader {
		return s2.NewReader(nil, s2.ReaderMaxBlockSize(maxSnapshotBlock), s2.ReaderAllocBlock(snapshotBlock))
	})
)

// codecPool hands out at most min(GOMAXPROCS, 4) values at once, made
// when first needed and kept; get waits while all are out.
type codecPool[T any] struct {
	free     chan T        // values not in use
	slots    chan struct{} // one token per value made
	newValue func() T
}

func newCodecPool[T any](newValue func() T) *codecPool[T] {
	n := min(runtime.GOMAXPROCS(0), 4)
	return &codecPool[T]{free: make(chan T, n), slots: make(chan struct{}, n), newValue: newValue}
}

func (p *codecPool[T]) get() T {
	select {
	case v := <-p.free:
		return v
	default:
	}
	select {
	case v := <-p.free:
		return v
	case p.slots <- struct{}{}: // room for one more
		return p.newValue()
	}
}

// put returns a value get gave; it never waits (free holds as many as
// there are slots).
func (p *codecPool[T]) put(v T) { p.free <- v }

// encodePlan returns a built plan's compact JSON (as the API answers it)
// and the snapshot to store with its revision.
func encodePlan(p *plan.Plan) (compact, snapshot []byte, err error) {
	var buf bytes.Buffer
	if err := plan.WriteCompactJSON(&buf, p); err != nil {
		return nil, nil, err
	}
	compact = buf.Bytes()
	snapshot, err = compressSnapshot(compact)
	return compact, snapshot, err
}

// compressSnapshot compresses a plan's compact JSON as an S2 stream.
func compressSnapshot(compact []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(compact)/4 + 64)
	w := snapshotWriters.get()
	defer snapshotWriters.put(w)
	w.Reset(&out)
	err := w.EncodeBuffer(compact) // compresses in place, without copying compact first
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	w.Reset(nil) // let go of out
	if err != nil {
		return nil, fmt.Errorf("compress snapshot: %w", err)
	}
	return out.Bytes(), nil
}

// snapshotJSON returns the compact JSON a revision's snapshot holds: an S2
// stream, gzip (saved before S2), or the JSON itself (stored uncompressed).
func snapshotJSON(snapshot []byte) ([]byte, error) {
	var zr io.Reader
	switch {
	case bytes.HasPrefix(snapshot, s2Magic):
		r := snapshotReaders.get()
		defer snapshotReaders.put(r)
		r.Reset(bytes.NewReader(snapshot))
		defer r.Reset(nil)
		zr = r
	case bytes.HasPrefix(snapshot, gzipMagic):
		r, err := gzip.NewReader(bytes.NewReader(snapshot))
		if err != nil {
			return nil, err
		}
		defer r.Close()
		zr = r
	default:
		return snapshot, nil // stored without compression
	}
	var buf bytes.Buffer
	buf.Grow(len(snapshot) * 6)
	if _, err := buf.ReadFrom(io.LimitReader(zr, maxSnapshotJSON+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxSnapshotJSON {
		return nil, fmt.Errorf("snapshot expands past %d bytes", maxSnapshotJSON)
	}
	return buf.Bytes(), nil
}
