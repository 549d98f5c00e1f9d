package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
)

// Handler returns the whole route table.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	if len(s.proxies) > 0 {
		prefixes := make([]string, len(s.proxies))
		for i, p := range s.proxies {
			prefixes[i] = p.String()
		}
		r.Use(middleware.ClientIPFromXFF(prefixes...))
	} else {
		r.Use(middleware.ClientIPFromRemoteAddr) // X-Forwarded-For is spoofable: ignored unless proxies are declared
	}
	r.Use(s.logRequests)
	r.Use(s.recoverPanics)
	r.Use(securityHeaders)
	r.Use(limitBody)
	r.Use(http.NewCrossOriginProtection().Handler) // 403 for cross-site unsafe requests (CONTRACT §6)
	r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.handle(func(w http.ResponseWriter, r *http.Request) error { return errMethod }))

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Get("/static/*", s.assets.ServeHTTP)

	r.Get("/", s.handle(s.handleHome))

	r.Route("/api/v1", func(r chi.Router) {
		r.Post("/plan", s.handle(s.handleComputePlan))
		r.With(s.createLimiter()).Post("/plans", s.handle(s.handleCreatePlan))
		r.Get("/plans/{id}", s.handle(s.handleGetPlan))
		r.Put("/plans/{id}", s.handle(s.handleUpdatePlan))
		r.Delete("/plans/{id}", s.handle(s.handleDeletePlan))
	})

	r.Get("/p/{ref}", s.handle(s.handleShare))                // /p/{id} and /p/{id}.md|.csv|.json
	r.Get("/p/{id}/r/{rev}", s.handle(s.handleShareRevision)) // /p/{id}/r/{n} and /r/{n}.md|.csv|.json
	r.Get("/p/{id}/edit", s.handle(s.handleEditLink))         // edit link: ?key=<edit key>
	r.Get("/p/{id}/print", s.handle(s.handleSharePrint))

	r.Route("/wizard", func(r chi.Router) {
		r.Post("/new", s.handle(s.handleNew))
		r.Get("/organisation", s.handle(s.handleOrgGet))
		r.Post("/organisation", s.handle(s.handleOrgPost))
		r.Get("/devices", s.handle(s.handleDevicesGet))
		r.Post("/devices", s.handle(s.handleDevicesPost))
		r.Get("/method", s.handle(s.handleMethodGet))
		r.Post("/method", s.handle(s.handleMethodPost))
		r.Get("/reset", s.handle(s.handleResetGet))
		r.Post("/reset", s.handle(s.handleResetPost))
		r.Get("/prerequisites", s.handle(s.handlePrereqGet))
		r.Post("/prerequisites", s.handle(s.handlePrereqPost))
		r.Get("/rollout", s.handle(s.handleRolloutGet))
		r.Post("/rollout", s.handle(s.handleRolloutPost))
		r.Get("/plan", s.handle(s.handlePlanGet))
		r.Get("/plan.md", s.handle(s.handlePlanDownload("md")))
		r.Get("/plan.csv", s.handle(s.handlePlanDownload("csv")))
		r.Get("/plan.json", s.handle(s.handlePlanDownload("json")))
		r.Get("/print", s.handle(s.handlePrint))
		r.Post("/save", s.handle(s.handleSave))
		r.Post("/reload", s.handle(s.handleReload))
	})
	return r
}

// createLimiter bounds plan creation per client address so that one script
// cannot fill the disk (CONTRACT §1 --create-limit; 0 turns it off).
func (s *Server) createLimiter() func(http.Handler) http.Handler {
	if s.limit <= 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	return httprate.LimitBy(s.limit, time.Minute, func(r *http.Request) (string, error) {
		return clientIP(r), nil
	}, httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
		writeJSONErrors(w, http.StatusTooManyRequests, []fieldError{{Field: "", Message: "too many plans created from this address; wait a minute and try again"}})
	}))
}

// clientIP is the address the client-IP middleware settled on.
func clientIP(r *http.Request) string {
	if ip := middleware.GetClientIP(r.Context()); ip != "" {
		return ip
	}
	return r.RemoteAddr
}
