// Package static embeds the CSS and JavaScript the pages use and serves
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

//go:embed css js
var files embed.FS

// PlanCSS is the plan document's stylesheet; the CLI inlines it into
// self-contained HTML and the server serves it as a file.
//
//go:embed css/plan.css
var PlanCSS string

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
		sum := sha256.Sum256(data)
		ext := path.Ext(p)
		url := "/static/" + strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byName[p] = url
		a.byURL[url] = asset{data: data, ctype: mime.TypeByExtension(ext)}
		return nil
	})
	return a
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
