// Package static embeds the CSS, JavaScript and icons the pages use and serves
// them under content-hashed names, so they can be cached for a year and a
// new release is fetched at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// PlanCSS is the plan document's stylesheet; the CLI inlines it into
// self-contained HTML and the server serves it as a file.
//
//go:embed css/plan.css
var PlanCSS string

// FaviconICO is the site icon for browsers that ask for /favicon.ico
// whatever the page links; FaviconURL is the hashed URL of the SVG icon the
// layout links, served by Assets like every other file.
//
//go:embed img/favicon.ico
var FaviconICO []byte

// FaviconURL is the content-hashed URL of img/favicon.svg.
var FaviconURL = func() string {
	data, err := files.ReadFile("img/favicon.svg")
	if err != nil {
		panic("static: " + err.Error())
	}
	return hashedURL("img/favicon.svg", data)
}()

// hashedURL is the URL of an embedded file under its content hash.
func hashedURL(p string, data []byte) string {
	sum := sha256.Sum256(data)
	ext := path.Ext(p)
	return "/static/" + strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
}

// Assets maps logical names ("css/app.css") to hashed URLs and back.
type Assets struct {
	byName map[string]string // "css/app.css" → "/static/css/app.1a2b3c4d5e.css"
	byURL  map[string]asset
}

type asset struct {
	data  []byte
	ctype string
}

// New hashes every embedded file once.
func New() *Assets {
	a := &Assets{byName: map[string]string{}, byURL: map[string]asset{}}
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		url := hashedURL(p, data)
		a.byName[p] = url
		a.byURL[url] = asset{data: data, ctype: contentType(path.Ext(p))}
		return nil
	})
	return a
}

// contentType is the media type of an extension; .ico and .svg are fixed
// here because the system's MIME tables differ between hosts.
func contentType(ext string) string {
	switch ext {
	case ".ico":
		return "image/x-icon"
	case ".svg":
		return "image/svg+xml"
	}
	return mime.TypeByExtension(ext)
}

// URL returns the hashed URL of an embedded file; it panics on a name that
// is not embedded, which tests catch before release.
func (a *Assets) URL(name string) string {
	u, ok := a.byName[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return u
}

// Names lists the embedded files.
func (a *Assets) Names() []string {
	var out []string
	for n := range a.byName {
		out = append(out, n)
	}
	return out
}

// ServeHTTP serves a hashed URL with a year-long immutable cache lifetime.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.data)
}
