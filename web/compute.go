package web

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// A computed plan is a few hundred kilobytes of JSON, and growing a fresh
// buffer to that size for every POST /api/v1/plan allocated and copied
// about twice the answer: half of what the handler allocated. Buffers are
// pooled instead; one that grew past computeBufferKeep (an unusually large
// plan) is left to the garbage collector rather than kept.
var computeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const computeBufferKeep = 4 << 20

// writeComputedPlan answers a plan as compact JSON, or indented with
// ?pretty=1 for a person reading it in a terminal; buffered, so a failed
// encoding never ships a partial 200. The compress middleware codes it
// (brotli or gzip) for a client that accepts either.
func writeComputedPlan(w http.ResponseWriter, r *http.Request, p *plan.Plan) error {
	buf := computeBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= computeBufferKeep {
			computeBuffers.Put(buf)
		}
	}()
	var err error
	if r.URL.Query().Get("pretty") == "1" {
		err = plan.WriteJSON(buf, p)
	} else {
		err = plan.WriteCompactJSON(buf, p)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	writeBody(w, buf.Bytes())
	return nil
}
