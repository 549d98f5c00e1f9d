package tenant

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// newAdapter builds the Graph SDK's request adapter on Graph's root: the
// SDK's middleware, with its own retry handler replaced by throttle (which
// honours Retry-After with a bound and a clock the tests can drive).
func newAdapter(cfg Config, root *url.URL, tokens *tokenCache) (*msgraph.GraphRequestAdapter, error) {
	never := func(time.Duration, int, *http.Request, *http.Response) bool { return false }
	kiota, err := khttp.GetDefaultMiddlewaresWithOptions(&khttp.RetryHandlerOptions{ShouldRetry: never})
	if err != nil {
		return nil, err
	}
	opts := msgraph.GetDefaultClientOptions()
	mw := append([]khttp.Middleware{
		&throttle{maxRetries: cfg.MaxRetries, maxWait: cfg.MaxRetryWait, sleep: cfg.Sleep},
		msgraphcore.NewGraphTelemetryHandler(&opts),
	}, kiota...)
	client := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(cfg.Transport, mw...),
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
