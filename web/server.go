// Package web is the HTTP layer: the JSON API, share pages and the wizard.
// Handlers are thin: decode, call the engine or the store, render.
package web

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/httprate"
	"github.com/gorilla/sessions"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// Options wire a Server; cmd/enrollplan fills them from the config.
type Options struct {
	Log            *slog.Logger
	Store          store.Store
	Catalog        *plan.Catalog
	PublicURL      string // "" = build absolute URLs from the request
	CreateLimit    int    // plans created per minute per client; 0 = off
	TrustedProxies []netip.Prefix
	SessionKeys    []string // newest first
	Now            func() time.Time
	// TenantChecker, when set, reads a tenant with the server's own
	// credentials for Microsoft Graph ("Check my tenant" in step 1), for
	// clients in AdminNetworks only (none when empty).
	TenantChecker TenantChecker
	// SignIn, when set, offers "Sign in with Microsoft to check your
	// tenant": a visitor's own sign-in reads their own tenant (§8.4).
	SignIn        SignInProvider
	AdminNetworks []netip.Prefix
	// MaxChecks bounds the tenant checks running at once, however they
	// were started; 0 means DefaultMaxChecks.
	MaxChecks int
	// RenderCacheBytes bounds the memory kept for rendered share pages and
	// formats (raw and compressed): 0 means DefaultRenderCacheBytes, a
	// negative value keeps nothing (every view renders afresh).
	RenderCacheBytes int64
	// ShareRecheck is how long a share view trusts what the store last
	// said about the plan (revoked or not, its latest revision and
	// progress) before asking again (share_live.go): the longest a plan
	// revoked or changed through another replica is still shown as it
	// was. 0 means DefaultShareRecheck; negative asks on every view.
	ShareRecheck time.Duration
}

// Server holds the dependencies of every handler; its only mutable state of
// its own is the cache of rendered revisions, the turns of concurrent
// saves, the create budget and the tenant checks in flight, each of which
// guards itself.
type Server struct {
	log       *slog.Logger
	store     store.Store
	cat       *plan.Catalog
	publicURL string
	limit     int
	proxies   []netip.Prefix
	now       func() time.Time
	assets    *assets
	cookies   *sessions.CookieStore
	sessKeys  []string              // Options.SessionKeys, newest first; also derive edit keys (draftEditKey)
	builds    chan struct{}         // bounds plans computed at once, so CPU-heavy requests queue instead of piling up
	checker   TenantChecker         // nil: no "Check my tenant"
	signIn    SignInProvider        // nil: no "Sign in with Microsoft"
	signIns   *pendingSignIns       // sign-ins gone to Microsoft and not yet back
	rechecks  *recheckRuns          // plans' signed-in re-checks, running or just ended
	cache     *renderCache          // rendered revisions by (id, revision, ruleset)
	live      *liveShares           // what the store last said of each shared plan viewed
	saves     *draftTurns           // Save & share submits of one draft take turns
	creates   *httprate.RateLimiter // --create-limit per client; nil when off
	checks    sync.WaitGroup        // tenant checks running in the background
	admins    []netip.Prefix        // clients offered checker
	running   *checkBounds          // one check per draft, MaxChecks at once

	// buildPlan computes a plan (the catalog's BuildWith, on the server's
	// date); only build calls
	// it, inside the bound. Tests wrap it to watch the bound hold.
	buildPlan func(plan.Answers) (*plan.Plan, error)
	// onBuildWait, when set, is called as a build starts waiting for a
	// slot (tests).
	onBuildWait func()
	// readyTimeout bounds the database ping of /readyz.
	readyTimeout time.Duration
}

// New builds a Server.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cacheBytes := o.RenderCacheBytes
	if cacheBytes == 0 {
		cacheBytes = DefaultRenderCacheBytes
	}
	s := &Server{log: o.Log, store: o.Store, cat: o.Catalog, publicURL: o.PublicURL, limit: o.CreateLimit,
		proxies: o.TrustedProxies, now: o.Now, assets: newAssets(), cookies: newCookieStore(o.SessionKeys), sessKeys: o.SessionKeys,
		builds: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))), checker: o.TenantChecker,
		cache: newRenderCache(max(cacheBytes, 0)), saves: &draftTurns{m: map[string]*draftTurn{}},
		readyTimeout: defaultReadyTimeout, admins: o.AdminNetworks, running: newCheckBounds(cmp.Or(o.MaxChecks, DefaultMaxChecks))}
	if o.Catalog != nil {
		// Plans are made on the server's date, so due dates and what is
		// late follow the calendar (a share page shows its saved snapshot,
		// made on the day it was saved).
		cat := o.Catalog
		s.buildPlan = func(a plan.Answers) (*plan.Plan, error) {
			return cat.BuildWith(a, plan.BuildOptions{Today: s.now().UTC().Format(time.DateOnly)})
		}
	}
	s.live = newLiveShares(cmp.Or(o.ShareRecheck, DefaultShareRecheck))
	s.store = liveStore{Store: o.Store, live: s.live} // its writes of a plan update s.live
	s.creates = s.newCreateLimiter()
	s.signIn, s.signIns = o.SignIn, newPendingSignIns(maxPendingSignIns, signInTTL)
	s.rechecks = newRecheckRuns(maxRecheckRuns, recheckRunKeep)
	return s
}

// defaultReadyTimeout bounds /readyz's database ping: a probe that hangs
// tells an orchestrator nothing.
const defaultReadyTimeout = 2 * time.Second

// build computes a plan, waiting for a free slot when as many builds as the
// machine has cores are already running; a client that gives up while
// waiting costs nothing more. Every plan the server computes is built
// here, so that "one plan built per CPU at a time" holds.
func (s *Server) build(ctx context.Context, a plan.Answers) (*plan.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case s.builds <- struct{}{}:
	default:
		if s.onBuildWait != nil {
			s.onBuildWait()
		}
		select {
		case s.builds <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() { <-s.builds }()
	return s.buildPlan(a)
}

// MaxBody is the largest request body accepted (413 beyond).
const MaxBody = 1 << 20

// render buffers a component before writing, so a failed render never
// ships a 200 with half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	writeBody(w, buf.Bytes())
	return nil
}

// writeBody writes a fully rendered body. Once the status is sent, a failed
// write means the client went away: nothing to tell it, nothing to log as a fault.
func writeBody(w http.ResponseWriter, body []byte) {
	_, _ = w.Write(body)
}

// ctxWithoutCancel keeps a write going when the client disconnects: a plan
// the server accepted must be stored whole.
func ctxWithoutCancel(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
