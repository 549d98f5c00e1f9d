// Command bare-http is the baseline for .ci/load.sh: the cheapest possible
// net/http server answering the two routes the load test measures, so that
// enrollplan's throughput can be reported as a ratio against what plain
// net/http achieves on the same machine in the same run, rather than as an
// absolute number that means little across machines.
//
// GET /p/x answers a fixed HTML page of --page-bytes bytes (load.sh passes
// the size of the real share page); POST /api/v1/plans reads and discards the
// body and answers 201 with a small fixed JSON. Nothing is stored. It uses
// the standard library only.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address; port 0 picks a free port")
	pageBytes := flag.Int("page-bytes", 170000, "size of the GET /p/x body, about that of a real share page")
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
