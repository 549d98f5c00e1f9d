package web

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/enrollplan/enrollplan/static"
)

// Handler returns the whole route table.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(requestID)
	r.Use(middleware.GetHead) // HEAD is answered like GET, without the body
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
	r.Use(s.compress) // outside recoverPanics, so that an error page is compressed like any other
	r.Use(s.recoverPanics)
	r.Use(securityHeaders)
	r.Use(s.signInFormAction) // forms may lead to Microsoft's sign-in when it is on
	r.Use(limitBody)
	r.Use(http.NewCrossOriginProtection().Handler) // 403 for cross-site unsafe requests (CONTRACT §6)
	r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
	router := r
	r.MethodNotAllowed(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		// A 405 says which methods the address does accept.
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if router.Match(chi.NewRouteContext(), m, r.URL.Path) || (m == http.MethodHead && slices.Contains(allow, http.MethodGet)) {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return errMethod
	}))

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Get("/static/*", s.assets.ServeHTTP)
	r.Get("/favicon.ico", serveFavicon) // asked for by browsers whatever a page links

	r.Get("/", s.handle(s.handleHome))

	// One budget per client for everything that stores something new or
	// starts work: plans, revisions, drafts and tenant checks, from the API
	// and the wizard alike. Routes that create only sometimes (step 1 and the
	// check upload make a draft when the planner has none; "Check my tenant"
	// starts a check unless one is running) count in their handlers (takeCreate).
	creates := s.limitCreates
	r.Route("/api/v1", func(r chi.Router) {
		r.Post("/plan", s.handle(s.handleComputePlan))
		r.With(creates).Post("/plans", s.handle(s.handleCreatePlan))
		r.Get("/plans/{id}", s.handle(s.handleGetPlan))
		r.With(creates).Put("/plans/{id}", s.handle(s.handleUpdatePlan))
		r.Delete("/plans/{id}", s.handle(s.handleDeletePlan))
		r.Get("/plans/{id}/progress", s.handle(s.handleGetProgress))
		r.Patch("/plans/{id}/progress", s.handle(s.handlePatchProgress))
		r.Get("/plans/{id}/progress/history", s.handle(s.handleProgressHistory))
	})

	r.Get("/p/{ref}", s.handle(s.handleShare))                       // /p/{id} and /p/{id}.md|.csv|.json|.ics
	r.Get("/p/{id}/r/{rev}", s.handle(s.handleShareRevision))        // /p/{id}/r/{n} and /r/{n}.md|.csv|.json
	r.Get("/p/{id}/edit", s.handle(s.handleEditLink))                // asks first; the key is in the link's #fragment
	r.With(creates).Post("/p/{id}/edit", s.handle(s.handleEditOpen)) // opens it in the wizard
	r.Get("/p/{id}/print", s.handle(s.handleSharePrint))
	// A revision's print view, which its page's Print link opens.
	r.Get("/p/{id}/r/{rev}/print", s.handle(s.handleShareRevisionPrint))
	r.Get("/p/{id}/changes", s.handle(s.handleShareChanges))     // ?from=N&to=M: what changed, in words
	r.Get("/p/{id}/progress", s.handle(s.handleTracker))         // the tracker, or the question for the edit key
	r.Post("/p/{id}/progress", s.handle(s.handleTrackerSave))    // one form of the tracker
	r.Post("/p/{id}/progress/key", s.handle(s.handleTrackerKey)) // the edit key opens the tracker in this browser
	// A newer tenant check, uploaded from the tracker: a new revision.
	r.With(creates).Post("/p/{id}/progress/tenant-check", s.handle(s.handleRecheck))
	// Or signed in with Microsoft: the sign-in, then "Reading the tenant…".
	r.With(creates).Post("/p/{id}/progress/tenant-check/signin", s.handle(s.handleRecheckSignIn)) // takeCreate again for the check
	r.Get("/p/{id}/progress/tenant-check", s.handle(s.handleRecheckProgress))
	// The kept device list (issue 18, worklist.go): the worklist, with the edit key.
	r.Get("/p/{id}/worklist.csv", s.handle(s.handleWorklist("csv")))
	r.Get("/p/{id}/worklist.xlsx", s.handle(s.handleWorklist("xlsx")))
	r.Post("/p/{id}/devices/forget", s.handle(s.handleForgetDevices))

	r.Get("/auth/signin", s.handle(s.handleSignInPage))
	r.With(creates).Post("/auth/signin", s.handle(s.handleSignInStart)) // a sign-in (and maybe a draft) for this client
	r.Get("/auth/callback", s.handle(s.handleSignInCallback))           // takeCreate for the check it starts (startCheck, finishRecheckSignIn)
	r.Get("/auth/adminconsent", s.handle(s.handleAdminConsent))

	r.Route("/wizard", func(r chi.Router) {
		r.With(creates).Post("/new", s.handle(s.handleNew))
		r.Get("/organisation", s.handle(s.handleOrgGet))
		r.Post("/organisation", s.handle(s.handleOrgPost))            // takeCreate for a new draft
		r.Post("/tenant-check/upload", s.handle(s.handleCheckUpload)) // takeCreate for a new draft
		r.Post("/tenant-check", s.handle(s.handleCheckStart))         // takeCreate for each check started
		r.Get("/tenant-check", s.handle(s.handleCheckProgress))
		r.Get("/devices", s.handle(s.handleDevicesGet))
		r.Post("/devices", s.handle(s.handleDevicesPost))
		r.Get("/inventory", s.handle(s.handleInventoryGet))   // step 2's device inventory import
		r.Post("/inventory", s.handle(s.handleInventoryPost)) // takeCreate for a new draft; a body of up to 20 MB (bodyLimit)
		r.Get("/inventory/groups", s.handle(s.handleInventoryGroupsGet))
		r.Post("/inventory/groups", s.handle(s.handleInventoryGroupsPost))
		r.Post("/inventory/forget", s.handle(s.handleInventoryForget))
		r.Get("/review", s.handle(s.handleReviewGet))
		r.Post("/review", s.handle(s.handleReviewPost))
		r.HandleFunc("/method", s.handle(s.handleOldReviewStep)) // steps 3 and 4 before the review (issue 18)
		r.HandleFunc("/reset", s.handle(s.handleOldReviewStep))
		r.Get("/prerequisites", s.handle(s.handlePrereqGet))
		r.Post("/prerequisites", s.handle(s.handlePrereqPost))
		r.Get("/rollout", s.handle(s.handleRolloutGet))
		r.Post("/rollout", s.handle(s.handleRolloutPost))
		r.Get("/plan", s.handle(s.handlePlanGet))
		r.Get("/plan.md", s.handle(s.handlePlanDownload("md")))
		r.Get("/plan.csv", s.handle(s.handlePlanDownload("csv")))
		r.Get("/plan.json", s.handle(s.handlePlanDownload("json")))
		r.Get("/worklist.csv", s.handle(s.handleDraftWorklist("csv")))
		r.Get("/worklist.xlsx", s.handle(s.handleDraftWorklist("xlsx")))
		r.Get("/print", s.handle(s.handlePrint))
		r.With(creates).Post("/save", s.handle(s.handleSave))
		r.Post("/reload", s.handle(s.handleReload))
	})
	return r
}

// newCreateLimiter bounds, per client address, everything that stores
// something new or starts work on a client's behalf, so that one script
// cannot fill the disk or keep the server reading tenants (CONTRACT §1
// --create-limit; 0 turns it off, and it is nil).
func (s *Server) newCreateLimiter() *httprate.RateLimiter {
	if s.limit <= 0 {
		return nil
	}
	return httprate.NewRateLimiter(s.limit, time.Minute,
		// The in-memory counter never fails; were it to, the request is
		// refused as over the limit, and the cause logged.
		httprate.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Error("create limit: counter failed", "request_id", reqIDOf(r), "err", err)
		}))
}

// errTooManyCreates answers a client past its create budget.
var errTooManyCreates = statusError(http.StatusTooManyRequests, "Too many plans, revisions, drafts or tenant checks were started from this address in the last minute; wait a minute and try again.")

// limitCreates puts a route whose every request creates something under
// the create budget.
func (s *Server) limitCreates(next http.Handler) http.Handler {
	if s.creates == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.takeCreate(w, r); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// takeCreate counts one creation against the client's budget, for a
// handler that creates something only sometimes (step 1 makes a draft only
// when the planner has none). Past the budget it sets Retry-After and
// returns errTooManyCreates, and the handler must create nothing.
func (s *Server) takeCreate(w http.ResponseWriter, r *http.Request) error {
	if s.creates == nil || !s.creates.OnLimit(w, r, rateKey(r)) {
		return nil
	}
	return errTooManyCreates
}

// clientIP is the address the client-IP middleware settled on.
func clientIP(r *http.Request) string {
	if ip := middleware.GetClientIP(r.Context()); ip != "" {
		return ip
	}
	return r.RemoteAddr
}

// rateKey is the client a rate limit counts: its address only (never the
// port, which a client changes at will), and an IPv6 client by its /64,
// the smallest block a provider hands out.
func rateKey(r *http.Request) string {
	raw := clientIP(r)
	if ap, err := netip.ParseAddrPort(raw); err == nil {
		raw = ap.Addr().String()
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil {
		return raw
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// serveFavicon is GET /favicon.ico: the embedded site icon, cached for a
// day (its URL carries no content hash, so not for a year).
func serveFavicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(static.FaviconICO)
}
