package tenant

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// MaxAnswer is the most of one Graph answer a reading takes, counted after
// decompression (CONTRACT §8.4): a real answer is a few hundred kilobytes,
// and a small compressed answer can inflate to gigabytes.
const MaxAnswer = 16 << 20

// errAnswerTooLong ends the reading of an answer longer than MaxAnswer.
var errAnswerTooLong = errors.New("Graph's answer is longer than 16 MiB")

// errAnswersAtOnce ends the reading of an answer that would take more
// memory than the checks running at once may share (AnswerBudget).
var errAnswersAtOnce = fmt.Errorf("%w: too much of Graph's answers held at once", errAnswerTooLong)

// errRedirected is a redirect the check did not follow: to another host,
// or one the redirect middleware gave up on.
var errRedirected = errors.New("Graph redirected the request elsewhere")

// newAdapter builds the Graph SDK's request adapter on Graph's root: the
// SDK's middleware, with its own retry handler replaced by throttle (which
// honours Retry-After with a bound and a clock the tests can drive), its
// redirect handler kept to Graph's own host, and every answer read through
// capTransport.
func newAdapter(cfg Config, root *url.URL, tokens *tokenCache) (*msgraph.GraphRequestAdapter, error) {
	never := func(time.Duration, int, *http.Request, *http.Response) bool { return false }
	kiota, err := khttp.GetDefaultMiddlewaresWithOptions(
		&khttp.RetryHandlerOptions{ShouldRetry: never},
		&khttp.RedirectHandlerOptions{MaxRedirects: 3, ShouldRedirect: sameHostRedirect},
	)
	if err != nil {
		return nil, err
	}
	opts := msgraph.GetDefaultClientOptions()
	mw := append([]khttp.Middleware{
		refuseRedirects{},
		&throttle{maxRetries: cfg.MaxRetries, maxWait: cfg.MaxRetryWait, sleep: cfg.Sleep},
		msgraphcore.NewGraphTelemetryHandler(&opts),
	}, kiota...)
	client := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(capTransport{next: cfg.Transport, budget: cfg.Answers}, mw...),
		// Redirects are the redirect middleware's to follow (as in the SDK's default client).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		&bearerAuth{tokens: tokens, host: root.Host}, nil, nil, client)
	if err != nil {
		return nil, err
	}
	adapter.SetBaseUrl(root.String() + "/v1.0")
	return adapter, nil
}

// throttle retries a request Graph answered 429 or 503, after the
// Retry-After it asked for (or a short backoff when it gave none), at most
// maxRetries times. A wait longer than maxWait, or past the reading's
// deadline (real time: Retry-After is the server's clock, not the
// check's), is not waited for: the answer goes back as it came, and the
// reading reports the throttling.
type throttle struct {
	maxRetries int
	maxWait    time.Duration
	sleep      func(context.Context, time.Duration) error
}

func (t *throttle) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := p.Next(req, i)
		if err != nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
			return resp, err
		}
		if attempt >= t.maxRetries || (req.Body != nil && req.GetBody == nil) {
			return resp, nil
		}
		wait := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if wait < 0 {
			wait = time.Duration(1<<attempt) * time.Second
		}
		if wait > t.maxWait {
			return resp, nil
		}
		if dl, ok := req.Context().Deadline(); ok && time.Until(dl) < wait {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
	}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date. It is
// negative when the header is absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0)
	}
	return -1
}

// sameHostRedirect lets the SDK's redirect middleware follow a redirect on
// the request's own scheme and host only: another host would receive the
// request (the middleware drops the token, but the check would still read
// whatever that host answers).
func sameHostRedirect(req *http.Request, resp *http.Response) bool {
	loc, err := req.URL.Parse(resp.Header.Get("Location"))
	return err == nil && strings.EqualFold(loc.Scheme, req.URL.Scheme) && strings.EqualFold(loc.Host, req.URL.Host)
}

// refuseRedirects, the outermost middleware, turns a redirect that was not
// followed into an error: the SDK would otherwise take a 3xx for success
// and read its empty body as an empty answer.
type refuseRedirects struct{}

func (refuseRedirects) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	resp, err := p.Next(req, i)
	if err != nil || resp.StatusCode < 300 || resp.StatusCode >= 400 || resp.StatusCode == http.StatusNotModified {
		return resp, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	to := "another address"
	if loc, err := req.URL.Parse(resp.Header.Get("Location")); err == nil && loc.Host != "" && !strings.EqualFold(loc.Host, req.URL.Host) {
		to = "another host"
	}
	return nil, fmt.Errorf("%w (%d to %s)", errRedirected, resp.StatusCode, to)
}

// capTransport reads every answer up to MaxAnswer bytes. It wraps the
// transport itself, so it counts what the SDK reads: the body after Go's
// transport has decompressed it. Beyond the first freeAnswerBytes, an
// answer draws on budget, shared by every check in the process.
type capTransport struct {
	next   http.RoundTripper
	budget *AnswerBudget
}

func (t capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.ContentLength > MaxAnswer { // said so up front: not worth reading
		resp.Body.Close()
		return nil, errAnswerTooLong
	}
	resp.Body = &cappedBody{rc: resp.Body, left: MaxAnswer, free: freeAnswerBytes, budget: t.budget}
	return resp, nil
}

// freeAnswerBytes of each answer are read without drawing on the budget:
// real answers (a page of 999 devices with two fields is about 70 KB) fit,
// so only outsized ones compete for it.
const freeAnswerBytes = 256 << 10

// DefaultAnswerBudget is the memory the Graph answers of all checks in a
// process may hold beyond their free first 256 KiB each.
const DefaultAnswerBudget = 16 << 20

// AnswerBudget bounds the memory that Graph answers of all the checks in a
// process hold at once. MaxAnswer bounds one answer; with several checks
// of several readings each, that alone allowed 16 answers × 16 MiB (a
// Graph of gzip bombs took a server to 279 MiB). An answer that finds the
// budget spent fails that reading at once (no waiting, so readings cannot
// wait on each other); it is released when the answer is closed.
type AnswerBudget struct {
	mu   sync.Mutex
	left int64
}

// NewAnswerBudget makes a budget of n bytes (DefaultAnswerBudget when n ≤ 0).
func NewAnswerBudget(n int64) *AnswerBudget {
	if n <= 0 {
		n = DefaultAnswerBudget
	}
	return &AnswerBudget{left: n}
}

func (b *AnswerBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left < n {
		return false
	}
	b.left -= n
	return true
}

func (b *AnswerBudget) give(n int64) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}

// cappedBody fails a read that goes past its limit, or past what the
// budget grants. Reads of the SDK and of its clean-up (which drains the
// rest of a body) both stop there.
type cappedBody struct {
	rc   io.ReadCloser
	left int64 // bytes still allowed; negative once the limit was passed

	free    int64 // bytes still readable without the budget
	budget  *AnswerBudget
	granted int64 // bytes taken from the budget (given back on Close)
	held    int64 // bytes of the grant not read yet
	closed  bool
}

// budgetChunk is how much an answer takes from the budget at a time.
const budgetChunk = 256 << 10

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errAnswerTooLong
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	if b.budget != nil && b.free > 0 && int64(len(p)) > b.free {
		p = p[:b.free] // one large read must not run past the free part
	} else if b.budget != nil && b.free <= 0 {
		if b.held <= 0 && len(p) > 0 {
			// Ask for a chunk only when there is more to read: an answer
			// that ends right at its free part never touches the budget.
			n, err := b.rc.Read(p[:1])
			if n == 0 {
				return 0, err
			}
			if !b.budget.take(budgetChunk) {
				b.left = -1
				return 0, errAnswersAtOnce
			}
			b.granted += budgetChunk
			b.held = budgetChunk - 1
			b.left--
			return 1, err
		}
		if int64(len(p)) > b.held {
			p = p[:b.held]
		}
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), -1
		return n, errAnswerTooLong
	}
	b.left -= int64(n)
	if b.free > 0 {
		b.free -= int64(n)
	} else {
		b.held -= int64(n)
	}
	return n, err
}

func (b *cappedBody) Close() error {
	if !b.closed && b.budget != nil && b.granted > 0 {
		b.budget.give(b.granted)
	}
	b.closed = true
	return b.rc.Close()
}
