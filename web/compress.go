package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Content codings the server sends, best first: brotli where the client
// takes it (smaller), else gzip, else the bytes as they are.
const (
	encBrotli   = "br"
	encGzip     = "gzip"
	encIdentity = ""
)

// Compression levels. Cached representations are compressed once and then
// sent many times, so they get the denser setting; a response compressed
// for one request (wizard pages, computed plans) gets a fast one.
const (
	cachedBrotliQuality  = 6
	cachedGzipLevel      = gzip.BestCompression
	dynamicBrotliQuality = 1
	dynamicGzipLevel     = gzip.BestSpeed
	// minCompressBytes: below this a compressed body saves less than its
	// framing and the work costs more than the bytes.
	minCompressBytes = 1024
)

// negotiateEncoding picks the coding for a request's Accept-Encoding:
// brotli, gzip or identity. A coding with q=0 is refused; "*" stands for
// any coding not named. Ties go to brotli.
func negotiateEncoding(header string) string {
	if header == "" {
		return encIdentity
	}
	br, gz, star := -1.0, -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 {
					f = 0
				}
				q = min(f, 1)
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "br":
			br = q
		case "gzip", "x-gzip":
			gz = q
		case "*":
			star = q
		}
	}
	if br < 0 {
		br = star
	}
	if gz < 0 {
		gz = star
	}
	switch {
	case br > 0 && br >= gz:
		return encBrotli
	case gz > 0:
		return encGzip
	}
	return encIdentity
}

// compressible reports whether a Content-Type is text worth compressing.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/javascript", mt == "image/svg+xml":
		return true
	}
	return false
}

// Encoders are large (gzip keeps about 800 KB of state, brotli more), so
// they are pooled per coding and level rather than made per response.
var (
	gzipPools   sync.Map // level → *sync.Pool of *gzip.Writer
	brotliPools sync.Map // quality → *sync.Pool of *brotli.Writer
)

func poolFor(m *sync.Map, level int, make func() any) *sync.Pool {
	if p, ok := m.Load(level); ok {
		return p.(*sync.Pool)
	}
	p, _ := m.LoadOrStore(level, &sync.Pool{New: make})
	return p.(*sync.Pool)
}

// encoder is a pooled compressor writing to one destination.
type encoder struct {
	io.WriteCloser
	release func()
}

func newEncoder(enc string, level int, dst io.Writer) *encoder {
	switch enc {
	case encBrotli:
		pool := poolFor(&brotliPools, level, func() any { return brotli.NewWriterLevel(io.Discard, level) })
		w := pool.Get().(*brotli.Writer)
		w.Reset(dst)
		return &encoder{WriteCloser: w, release: func() { w.Reset(io.Discard); pool.Put(w) }}
	default:
		pool := poolFor(&gzipPools, level, func() any {
			w, _ := gzip.NewWriterLevel(io.Discard, level) // the levels used here are valid
			return w
		})
		w := pool.Get().(*gzip.Writer)
		w.Reset(dst)
		return &encoder{WriteCloser: w, release: func() { w.Reset(io.Discard); pool.Put(w) }}
	}
}

// compressBytes returns body in the coding enc at the given level.
func compressBytes(enc string, level int, body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body)/4 + 64)
	e := newEncoder(enc, level, &buf)
	_, _ = e.Write(body) // writes to a bytes.Buffer do not fail
	_ = e.Close()
	e.release()
	return buf.Bytes()
}

// compressCached compresses a cached representation, densely.
func compressCached(enc string, body []byte) []byte {
	level := cachedGzipLevel
	if enc == encBrotli {
		level = cachedBrotliQuality
	}
	return compressBytes(enc, level, body)
}

// addVary adds a token to Vary unless it is already there.
func addVary(h http.Header, token string) {
	for _, v := range h.Values("Vary") {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) || strings.TrimSpace(t) == "*" {
				return
			}
		}
	}
	h.Add("Vary", token)
}

// compress is middleware that compresses text responses for clients that
// accept it, one response at a time. A handler that sets Content-Encoding
// itself (the cached share pages, compressed once) is passed through, as
// are ranges, bodiless statuses, small bodies and HEAD requests.
func (s *Server) compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := negotiateEncoding(r.Header.Get("Accept-Encoding"))
		if r.Header.Get("Range") != "" {
			enc = encIdentity // a range counts bytes of the identity body
		}
		cw := &compressWriter{ResponseWriter: w, enc: enc, head: r.Method == http.MethodHead}
		next.ServeHTTP(cw, r)
		cw.finish() // not deferred: the only panic that gets here (http.ErrAbortHandler) drops the response anyway

	})
}

// compressWriter decides at the first byte of the body (or at the end, for
// an empty one) whether to compress: the headers are known by then, and
// render() writes whole bodies, so the first write shows the size.
type compressWriter struct {
	http.ResponseWriter
	enc     string
	head    bool
	status  int
	decided bool
	zw      *encoder
}

func (cw *compressWriter) WriteHeader(code int) {
	switch {
	case code >= 100 && code < 200: // informational: passed on, the real status follows
		cw.ResponseWriter.WriteHeader(code)
	case !cw.decided && cw.status == 0: // later calls are superfluous, as net/http treats them
		cw.status = code
	}
}

func (cw *compressWriter) Write(p []byte) (int, error) {
	if !cw.decided {
		cw.decide(len(p))
	}
	if cw.zw != nil {
		return cw.zw.Write(p)
	}
	return cw.ResponseWriter.Write(p)
}

// decide sets the headers for a body whose first write has n bytes.
func (cw *compressWriter) decide(n int) {
	cw.decided = true
	status := cw.status
	if status == 0 {
		status = http.StatusOK
	}
	h := cw.Header()
	text := compressible(h.Get("Content-Type"))
	if text && h.Get("Content-Encoding") == "" {
		addVary(h, "Accept-Encoding") // the answer differs by what the client accepts
	}
	if cw.enc != encIdentity && text && n >= minCompressBytes && !cw.head && h.Get("Content-Encoding") == "" &&
		h.Get("Content-Range") == "" && status != http.StatusPartialContent && status != http.StatusNoContent &&
		status != http.StatusNotModified {
		h.Set("Content-Encoding", cw.enc)
		h.Del("Content-Length")
		// An ETag stays as the handler set it: here it names a revision
		// (the API's contract), which the compressed bytes still are.
		level := dynamicGzipLevel
		if cw.enc == encBrotli {
			level = dynamicBrotliQuality
		}
		cw.ResponseWriter.WriteHeader(status)
		cw.zw = newEncoder(cw.enc, level, cw.ResponseWriter)
		return
	}
	if cw.status != 0 {
		cw.ResponseWriter.WriteHeader(cw.status)
	}
}

// finish flushes the compressor, or sends a status that had no body.
func (cw *compressWriter) finish() {
	if !cw.decided {
		cw.decide(0)
	}
	if cw.zw != nil {
		_ = cw.zw.Close() // a failed write means the client went away
		cw.zw.release()
		cw.zw = nil
	}
}

// Flush sends what is buffered so far (http.Flusher).
func (cw *compressWriter) Flush() {
	if !cw.decided {
		cw.decide(0)
	}
	if cw.zw != nil {
		if f, ok := cw.zw.WriteCloser.(interface{ Flush() error }); ok {
			_ = f.Flush()
		}
	}
	if f, ok := cw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over (http.Hijacker), uncompressed.
func (cw *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := cw.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("web: the response writer cannot hijack")
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }
