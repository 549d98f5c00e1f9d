// Command bare-http is the baseline for .ci/load.sh: the cheapest possible
// net/http server answering the two routes the load test measures, so that
// enrollplan's throughput can be reported as a ratio against what plain
// net/http achieves on the same machine in the same run, rather than as an
// absolute number that means little across machines.
//
// It has two kinds of anchor:
//
//   - GET and POST /tiny answer "ok\n" (POST reads and discards the body
//     first): the cheapest answer net/http gives, the anchor every ratio of
//     the load test is taken against.
//   - GET and POST /same/NAME answer the bytes of the file NAME in
//     --same-dir, with the Content-Type in NAME.type, the Content-Encoding
//     in NAME.enc and the status in NAME.status when those files exist:
//     load.sh saves there what enrollplan answered, so that each run can be
//     compared with net/http sending the very same bytes.
//
// GET /p/x answers a fixed HTML page of --page-bytes bytes and POST
// /api/v1/plans a small fixed 201 JSON, as before. Nothing is stored. It
// uses the standard library only.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address; port 0 picks a free port")
	pageBytes := flag.Int("page-bytes", 170000, "size of the GET /p/x body, about that of a real share page")
	sameDir := flag.String("same-dir", "", "directory of bodies answered at /same/NAME (with NAME.type, NAME.enc, NAME.status)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bare-http: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}

	page := htmlPage(*pageBytes)
	created := []byte(`{"id":"AAAAAAAAAAAAAAAAAAAAAA","revision":1,` +
		`"url":"http://127.0.0.1/p/AAAAAAAAAAAAAAAAAAAAAA",` +
		`"edit_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",` +
		`"edit_url":"http://127.0.0.1/p/AAAAAAAAAAAAAAAAAAAAAA/edit?key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}` + "\n")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/x", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("POST /api/v1/plans", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Location", "http://127.0.0.1/api/v1/plans/AAAAAAAAAAAAAAAAAAAAAA")
		w.WriteHeader(http.StatusCreated)
		w.Write(created)
	})
	tiny := []byte("ok\n")
	mux.HandleFunc("/tiny", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(tiny)
	})
	if *sameDir != "" {
		same, err := loadSame(*sameDir)
		if err != nil {
			log.Fatalf("bare-http: %v", err)
		}
		mux.HandleFunc("/same/{name}", func(w http.ResponseWriter, r *http.Request) {
			a, ok := same[r.PathValue("name")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
				return
			}
			h := w.Header()
			h.Set("Content-Type", a.contentType)
			if a.encoding != "" {
				h.Set("Content-Encoding", a.encoding)
			}
			w.WriteHeader(a.status)
			w.Write(a.body)
		})
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ready\n")
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("bare-http: listen on %s: %v", *addr, err)
	}
	// load.sh reads the actual address (port 0 → a free port) from this line.
	fmt.Printf("bare-http listening on http://%s/\n", ln.Addr())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(hs.Serve(ln))
}

// htmlPage returns a well-formed HTML document of exactly n bytes (or the
// skeleton alone when n is smaller than it).
func htmlPage(n int) []byte {
	const head = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Plan</title></head><body>\n<main>\n"
	const tail = "</main>\n</body></html>\n"
	const row = "<p>Enroll the devices with the method of their group, then check the prerequisites.</p>\n"
	var b strings.Builder
	b.Grow(max(n, len(head)+len(tail)))
	b.WriteString(head)
	for b.Len()+len(row)+len(tail) <= n {
		b.WriteString(row)
	}
	if pad := n - b.Len() - len(tail); pad > 0 {
		b.WriteString(strings.Repeat(" ", pad))
	}
	b.WriteString(tail)
	return []byte(b.String())
}

// sameAnswer is one recorded answer served at /same/NAME.
type sameAnswer struct {
	body        []byte
	contentType string
	encoding    string
	status      int
}

// loadSame reads every body file of dir (not the .type, .enc and .status
// files beside them).
func loadSame(dir string) (map[string]sameAnswer, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	side := func(name, ext, def string) string {
		b, err := os.ReadFile(filepath.Join(dir, name+ext))
		if err != nil {
			return def
		}
		return strings.TrimSpace(string(b))
	}
	out := map[string]sameAnswer{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".type") || strings.HasSuffix(name, ".enc") || strings.HasSuffix(name, ".status") {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		status, err := strconv.Atoi(side(name, ".status", "200"))
		if err != nil || status < 200 || status > 599 {
			return nil, fmt.Errorf("%s.status: not an HTTP status", name)
		}
		out[name] = sameAnswer{body: body, contentType: side(name, ".type", "application/octet-stream"), encoding: side(name, ".enc", ""), status: status}
	}
	return out, nil
}
