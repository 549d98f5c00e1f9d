package tenant

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// Checker reads a tenant. It is safe to use from several goroutines; each
// Check makes every reading afresh.
type Checker struct {
	cfg    Config
	root   *url.URL
	tokens *tokenCache
	client *msgraph.GraphServiceClient
	adapt  *msgraph.GraphRequestAdapter
}

// New builds a Checker from cfg.
func New(cfg Config) (*Checker, error) {
	if cfg.Credential == nil {
		return nil, errors.New("tenant: no sign-in (Config.Credential)")
	}
	cfg = cfg.withDefaults()
	if _, ok := clouds[cfg.Cloud]; !ok {
		return nil, fmt.Errorf("tenant: unknown cloud %q", cfg.Cloud)
	}
	rootStr := cfg.Cloud.GraphRoot()
	if cfg.GraphURL != "" {
		var err error
		if rootStr, err = ParseGraphURL(cfg.GraphURL); err != nil {
			return nil, fmt.Errorf("tenant: %w", err)
		}
	}
	root, err := url.Parse(rootStr)
	if err != nil {
		return nil, fmt.Errorf("tenant: Graph root: %w", err)
	}
	// The token is always for the cloud's Graph, also behind a proxy.
	tokens := &tokenCache{src: cfg.Credential, scope: cfg.Cloud.Scope(), now: cfg.Now}
	adapter, err := newAdapter(cfg, root, tokens)
	if err != nil {
		return nil, fmt.Errorf("tenant: Graph client: %w", err)
	}
	return &Checker{cfg: cfg, root: root, tokens: tokens, client: msgraph.NewGraphServiceClient(adapter), adapt: adapter}, nil
}

// Reasons nothing could be read.
const (
	ReasonSignIn     = "sign-in"
	ReasonNetwork    = "network"
	ReasonPermission = "permission"
	ReasonGraph      = "graph" // Graph answered, but with errors throughout
)

// CheckError says why no reading could be made at all.
type CheckError struct {
	Reason string // sign-in, network, permission or graph
	Detail string
	Err    error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("nothing could be read from the tenant (%s): %s", e.Reason, e.Detail)
}

func (e *CheckError) Unwrap() error { return e.Err }

// result is what became of one reading.
type result struct {
	outcome
	read    bool    // Graph answered it
	skipped bool    // not attempted: this sign-in cannot make it
	fail    failure // when neither
}

// Check makes every reading, a few at a time, and returns what they
// established. progress, when not nil, receives each finding as its reading
// completes (one call at a time). A reading that fails, is refused or runs
// out of time leaves its findings unknown and never costs the others.
//
// When no reading at all could be made, Check returns the result (every
// finding unknown, with the permissions a 403 named) together with a
// *CheckError saying why.
func (c *Checker) Check(ctx context.Context, progress func(plan.Finding)) (*plan.TenantCheck, error) {
	// Sign in once, before the readings, so that a person is asked once and
	// has the time to answer a device code.
	sctx, cancelSignIn := context.WithTimeout(ctx, c.cfg.SignInTimeout)
	_, err := c.tokens.get(sctx)
	cancelSignIn()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		detail := err.Error()
		var se *signInError
		if errors.As(err, &se) {
			detail = se.err.Error()
		}
		return nil, &CheckError{Reason: ReasonSignIn, Detail: detail, Err: err}
	}

	now := c.cfg.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	s := &session{client: c.client, adapter: c.adapt, root: c.root, now: now}
	results := make([]result, len(readings))
	sem := make(chan struct{}, c.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, r := range readings {
		wg.Go(func() {
			res := c.run(ctx, sem, s, r)
			mu.Lock()
			defer mu.Unlock()
			results[i] = res
			if progress != nil {
				for _, f := range res.findings {
					progress(f)
				}
			}
		})
	}
	wg.Wait()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, ctx.Err()
	}

	tc := &plan.TenantCheck{
		Schema:   plan.TenantCheckSchema,
		ReadAt:   now.UTC().Format(time.RFC3339),
		Tenant:   plan.Tenant{Cloud: c.cfg.Cloud.AnswerCloud()},
		Findings: []plan.Finding{},
	}
	var fails []failure
	var known facts
	for _, res := range results {
		tc.Findings = append(tc.Findings, res.findings...)
		tc.Expiries = append(tc.Expiries, res.expiries...)
		tc.Tenant.Expiries = append(tc.Tenant.Expiries, res.tenantExpiries...)
		tc.Devices = append(tc.Devices, res.devices...)
		known.merge(res.facts)
		if res.restrictions != nil {
			tc.Restrictions = res.restrictions
		}
		if res.apply != nil {
			res.apply(&tc.Tenant)
		}
		if !res.read && !res.skipped {
			fails = append(fails, res.fail)
		}
	}
	crossCheck(tc.Findings, known)
	// Whatever the tenant holds, the check stays within what the answers
	// take: the earliest expiries, every text summarised.
	tc.Expiries = earliest(tc.Expiries, plan.MaxExpiries, func(e plan.Expiry) string { return e.Date })
	tc.Tenant.Expiries = earliest(tc.Tenant.Expiries, plan.MaxExpiries, func(e plan.TenantExpiry) string { return e.Expires })
	plan.SummariseFindings(tc.Findings)
	if len(fails) == len(readings)-skippedCount(results) && len(fails) > 0 {
		return tc, nothingRead(fails)
	}
	return tc, nil
}

// earliest keeps the max soonest of es, in their order.
func earliest[E any](es []E, max int, date func(E) string) []E {
	if len(es) <= max {
		return es
	}
	sorted := slices.Clone(es)
	slices.SortStableFunc(sorted, func(a, b E) int { return strings.Compare(date(a), date(b)) })
	last := date(sorted[max-1])
	out := es[:0:0]
	for _, e := range es {
		if len(out) < max && date(e) <= last {
			out = append(out, e)
		}
	}
	return out
}

func skippedCount(rs []result) int {
	n := 0
	for _, r := range rs {
		if r.skipped {
			n++
		}
	}
	return n
}

// run makes one reading within its own deadline.
func (c *Checker) run(ctx context.Context, sem chan struct{}, s *session, r reading) (res result) {
	log := c.cfg.Log.With("reading", r.ID, "endpoint", r.Endpoint)
	if r.Application == "" && c.cfg.SignIn == SignInApp {
		log.Info("tenant reading skipped", "why", "delegated sign-in only")
		return result{skipped: true, outcome: outcome{findings: unknownFindings(r, r.Delegated,
			"An application sign-in cannot read this: Graph offers it to a delegated sign-in only. Run check-tenant signed in as a person (Azure CLI or device code) to read it.")}}
	}
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		f := failure{kind: failTimeout, msg: fmt.Sprintf("The check's time (%s) ran out before this reading could start.", c.cfg.Timeout)}
		return result{fail: f, outcome: outcome{findings: unknownFindings(r, "", f.detail(c.cfg.ReadingTimeout))}}
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.ReadingTimeout)
	defer cancel()
	start := time.Now()
	defer func() {
		// A reading that panics (an answer the SDK or the mapping could not
		// handle) costs only itself: its findings become unknown, and what
		// panicked, with where, goes to the log for whoever mends it.
		if p := recover(); p != nil {
			f := failure{kind: failOther, msg: "the answer could not be understood"}
			log.Error("tenant reading failed", "outcome", "panic", "duration", time.Since(start),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res = result{fail: f, outcome: outcome{findings: unknownFindings(r, "", f.detail(c.cfg.ReadingTimeout))}}
		}
	}()
	out, err := r.read(rctx, s)
	if err == nil {
		log.Info("tenant reading done", "outcome", "read", "duration", time.Since(start))
		return result{read: true, outcome: out}
	}
	f := classify(err, rctx)
	if f.kind == failTimeout && ctx.Err() != nil {
		f.msg = fmt.Sprintf("The check's time (%s) ran out before Graph answered.", c.cfg.Timeout)
	}
	log.Warn("tenant reading failed", "outcome", f.kind, "status", f.status, "duration", time.Since(start))
	perm := ""
	if f.kind == failForbidden {
		perm = permissionFor(r.Reading, c.cfg.SignIn)
	}
	return result{fail: f, outcome: outcome{findings: unknownFindings(r, perm, f.detailFor(perm, c.cfg.ReadingTimeout))}}
}

func unknownFindings(r reading, permission, detail string) []plan.Finding {
	out := make([]plan.Finding, len(r.Findings))
	for i, id := range r.Findings {
		out[i] = plan.Finding{ID: id, Status: plan.FindingUnknown, Title: subjects[id] + ": not read", Detail: detail, Permission: permission}
	}
	return out
}

// Kinds of failure.
const (
	failForbidden    = "forbidden"
	failUnauthorized = "unauthorized"
	failThrottled    = "throttled"
	failServer       = "server-error"
	failNotFound     = "not-found"
	failTimeout      = "timeout"
	failNetwork      = "network"
	failSignIn       = "sign-in"
	failTooLong      = "too-long"
	failRefused      = "refused" // a redirect or next page elsewhere, not followed
	failOther        = "error"
)

// failure is why a reading could not be made, in words safe to print: an
// HTTP status and Graph's error code, never a body or a token.
type failure struct {
	kind   string
	status int
	code   string // Graph's error code
	msg    string
}

func statusOf(err error) int {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		return oe.ResponseStatusCode
	}
	var ae *abs.ApiError
	if errors.As(err, &ae) {
		return ae.ResponseStatusCode
	}
	return 0
}

func classify(err error, ctx context.Context) failure {
	var se *signInError
	if errors.As(err, &se) {
		return failure{kind: failSignIn, msg: se.err.Error()}
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return failure{kind: failTimeout}
	}
	switch {
	case errors.Is(err, errAnswerTooLong):
		return failure{kind: failTooLong}
	case errors.Is(err, errRedirected), errors.Is(err, errForeignPage):
		return failure{kind: failRefused, msg: err.Error()}
	}
	if st := statusOf(err); st != 0 {
		f := failure{status: st}
		var oe *odataerrors.ODataError
		if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
			f.code = str(oe.GetErrorEscaped().GetCode())
		}
		switch {
		case st == 401:
			f.kind = failUnauthorized
		case st == 403:
			f.kind = failForbidden
		case st == 404:
			f.kind = failNotFound
		case st == 429 || st == 503:
			f.kind = failThrottled
		case st >= 500:
			f.kind = failServer
		default:
			f.kind = failOther
		}
		return f
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return failure{kind: failNetwork, msg: networkMessage(err)}
	}
	return failure{kind: failOther, msg: err.Error()}
}

// networkMessage keeps the innermost cause of a transport error (e.g.
// "connection refused"), without the request URL.
func networkMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

func (f failure) graphSaid() string {
	s := fmt.Sprintf("Graph answered %d", f.status)
	if f.code != "" {
		s += " (" + f.code + ")"
	}
	return s
}

func (f failure) detail(timeout time.Duration) string { return f.detailFor("", timeout) }

func (f failure) detailFor(permission string, timeout time.Duration) string {
	switch f.kind {
	case failForbidden:
		return f.graphSaid() + ": the sign-in lacks the read permission " + permission +
			" (or, for Intune readings, the signed-in person lacks an Intune role, or the tenant has no active Intune licence). Grant it and run the check again."
	case failUnauthorized:
		return f.graphSaid() + ": Graph refused the sign-in. The token may have expired or be meant for another cloud."
	case failThrottled:
		return f.graphSaid() + ": Graph kept throttling this request after the retries it allows. Run the check again later."
	case failServer:
		return f.graphSaid() + ": Graph failed to answer. Run the check again later."
	case failNotFound:
		return f.graphSaid() + ": Graph does not offer this reading for this tenant."
	case failTimeout:
		if f.msg != "" {
			return f.msg
		}
		return fmt.Sprintf("Graph did not answer within %s.", timeout)
	case failNetwork:
		return "Graph could not be reached: " + f.msg + "."
	case failSignIn:
		return "The sign-in failed: " + f.msg
	case failTooLong:
		return "Graph's answer was longer than 16 MiB, far more than this reading ever needs, so it was not read. Run the check again later; if it happens again, a proxy between the check and Graph may be altering the answers."
	case failRefused:
		return "Graph sent this reading elsewhere (a redirect, or a next page on another host), which the check does not follow, so it was not read. If a proxy sits in front of Graph (ENROLLPLAN_GRAPH_URL), check where it forwards requests."
	}
	if f.status != 0 {
		return f.graphSaid() + "."
	}
	return "The reading failed: " + f.msg + "."
}

// nothingRead says, from every reading's failure, why nothing could be read.
func nothingRead(fails []failure) *CheckError {
	count := map[string]int{}
	for _, f := range fails {
		count[f.kind]++
	}
	first := func(kind string) failure {
		for _, f := range fails {
			if f.kind == kind {
				return f
			}
		}
		return fails[0]
	}
	switch {
	case count[failSignIn] > 0:
		return &CheckError{Reason: ReasonSignIn, Detail: first(failSignIn).msg}
	case count[failUnauthorized] > 0:
		return &CheckError{Reason: ReasonSignIn, Detail: first(failUnauthorized).graphSaid() + ": Graph refused the sign-in (an expired token, or one for another cloud or resource)"}
	case count[failNetwork]+count[failTimeout] == len(fails):
		if count[failNetwork] > 0 {
			return &CheckError{Reason: ReasonNetwork, Detail: "Graph could not be reached: " + first(failNetwork).msg}
		}
		return &CheckError{Reason: ReasonNetwork, Detail: "Graph did not answer in time"}
	case count[failForbidden] == len(fails):
		return &CheckError{Reason: ReasonPermission, Detail: "Graph refused every reading (403): grant the read-only permissions `enrollplan check-tenant --permissions` lists"}
	}
	var kinds []string
	for _, f := range fails {
		kinds = append(kinds, f.kind)
	}
	return &CheckError{Reason: ReasonGraph, Detail: "every reading failed: " + strings.Join(kinds, ", ")}
}
