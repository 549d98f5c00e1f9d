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
		CSS:     []string{s.assets.URL("css/app.css"), s.assets.URL("css/plan.css")},
		JS:      []string{s.assets.URL("js/app.js")},
		NoIndex: noIndex,
	}
}
