package web

import (
	"github.com/enrollplan/enrollplan/static"
	"github.com/enrollplan/enrollplan/templates/layout"
)

type assets = static.Assets

func newAssets() *assets { return static.New() }

// head fills the page chrome's <head> with hashed asset URLs.
func (s *Server) head(title string, noIndex bool) layout.Head {
	return layout.Head{
		Title:   title,
		CSS:     []string{s.assets.URL("css/app.css")},
		JS:      []string{s.assets.URL("js/app.js")},
		NoIndex: noIndex,
	}
}

// planHead is head for pages that embed the plan document, which brings
// its own stylesheet; the form steps do without those bytes.
func (s *Server) planHead(title string, noIndex bool) layout.Head {
	h := s.head(title, noIndex)
	h.CSS = append(h.CSS, s.assets.URL("css/plan.css"))
	return h
}
