package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
)

// wantServerError checks a 5xx answer: the safe page (or JSON) quoting a
// request id, none of the internal text, and one log line of the failure
// under that id, with the internal text.
func wantServerError(t *testing.T, e *testServer, r resp, internal string) {
	t.Helper()
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %.300s", r.status, r.body)
	}
	id := pageRequestID(r.body)
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		_, after, _ := strings.Cut(r.body, "quote request id ")
		id, _, _ = strings.Cut(after, ".")
	}
	if id == "" || !strings.Contains(r.body, "quote request id "+id) {
		t.Fatalf("the answer quotes no request id: %.400s", r.body)
	}
	if strings.Contains(r.body, internal) {
		t.Fatalf("the visitor sees the internal error %q: %.400s", internal, r.body)
	}
	if got := e.log.lines("level=ERROR", "request_id="+id, internal); len(got) != 1 {
		t.Fatalf("want one ERROR line with request id %s and %q, log:\n%s", id, internal, e.log)
	}
}

// TestStoreFailuresAreServerErrors: a store that times out or loses its
// connection mid-answer is the server's failure, whatever the error looks
// like: 500 with the safe page, and a log line with the request id. Before,
// any timeout was the client's 408 and any unexpected EOF its 400, unlogged.
func TestStoreFailuresAreServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		fail               string
		err                error
	}{
		{"draft save loses the connection", "POST", "/wizard/new", "SaveDraft", fmt.Errorf("postgres: save draft: %w", io.ErrUnexpectedEOF)},
		{"draft save times out", "POST", "/wizard/new", "SaveDraft", fmt.Errorf("postgres: save draft: %w", context.DeadlineExceeded)},
		{"plan read times out", "GET", "/p/AAAAAAAAAAAAAAAAAAAAAA/edit", "GetPlan", fmt.Errorf("sqlite: get plan: %w", context.DeadlineExceeded)},
		{"share read loses the connection", "GET", "/p/AAAAAAAAAAAAAAAAAAAAAA", "GetPlanInfo", fmt.Errorf("postgres: get plan info: %w", io.ErrUnexpectedEOF)},
		{"API read times out", "GET", "/api/v1/plans/AAAAAAAAAAAAAAAAAAAAAA", "GetPlanInfo", fmt.Errorf("postgres: get plan info: %w", context.DeadlineExceeded)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestServer(t, nil, nil)
			e.fault.failWith(tc.fail, tc.err)
			r := e.do(t, tc.method, tc.path, "", "Sec-Fetch-Site", "same-origin")
			wantServerError(t, e, r, tc.err.Error())
		})
	}
}

// rawRequest sends head and body over a fresh connection, half-closes it
// (the client has nothing more to send, and waits), and reads the answer.
func rawRequest(t *testing.T, e *testServer, head, body string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head+"\r\n"+body); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestUnreadableBodiesAreTheClients: a body that is cut off or badly
// chunked is still the client's: 400 with the page, nothing logged as an
// error.
func TestUnreadableBodiesAreTheClients(t *testing.T) {
	e := newTestServer(t, nil, nil)
	for name, req := range map[string][2]string{
		"form cut off": {"POST /wizard/organisation HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n",
			"organization=Contoso"},
		"JSON cut off": {"POST /api/v1/plan HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n",
			`{"schema":"enrollplan.answers/v1","organi`},
		"badly chunked": {"POST /wizard/organisation HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n",
			"5\r\norganization=x\r\nzz\r\n"},
	} {
		t.Run(name, func(t *testing.T) {
			res := rawRequest(t, e, req[0], req[1])
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "could not be read") {
				t.Fatalf("%d, want 400 saying it could not be read: %.300s", res.StatusCode, body)
			}
		})
	}
	if got := e.log.lines("level=ERROR"); len(got) > 0 {
		t.Fatalf("a client's broken body was logged as a server error: %q", got)
	}
}

// TestStaleStoredAnswersAreAServerError: a saved plan whose answers
// today's rules no longer accept is the server's problem, not the
// viewer's: 500 (never 422 with the rules' field paths), logged with the
// request id, and a page saying that whoever holds the edit link needs to
// save it again.
func TestStaleStoredAnswersAreAServerError(t *testing.T) {
	e := newTestServer(t, nil, nil)
	stale := strings.Replace(exampleAnswers(t), `"platform": "ios"`, `"platform": "palmos"`, 1)
	if stale == exampleAnswers(t) {
		t.Fatal("the example changed: no iOS population to age")
	}
	id, err := store.NewID()
	if err != nil {
		t.Fatal(err)
	}
	// A revision saved before snapshots, as an older edition accepted it.
	if _, err := e.fault.CreatePlan(context.Background(), store.NewPlan{ID: id, EditKeyHash: store.HashKey("k"), Answers: []byte(stale), Ruleset: "2025.1.1"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/p/" + id, "/p/" + id + ".md", "/p/" + id + "/print", "/p/" + id + "/changes", "/api/v1/plans/" + id} {
		t.Run(path, func(t *testing.T) {
			r := e.do(t, "GET", path, "")
			if r.status != http.StatusInternalServerError {
				t.Fatalf("%d, want 500: %.300s", r.status, r.body)
			}
			for _, leak := range []string{"populations[", "palmos"} {
				if strings.Contains(r.body, leak) {
					t.Fatalf("the page shows the rules' findings (%q): %.400s", leak, r.body)
				}
			}
			if !strings.Contains(r.body, "Whoever holds its edit link needs to open it and save it again") {
				t.Fatalf("the page does not say what mends it: %.400s", r.body)
			}
			rid := pageRequestID(r.body)
			if strings.HasPrefix(path, "/api/") {
				_, after, _ := strings.Cut(r.body, "quote request id ")
				rid, _, _ = strings.Cut(after, ".")
			}
			if rid == "" || len(e.log.lines("level=ERROR", "request_id="+rid, "no longer read", "palmos")) != 1 {
				t.Fatalf("no ERROR line with request id %q and the cause, log:\n%s", rid, e.log)
			}
		})
	}
}

// storePanic, given to faultStore.failWith, makes the call panic.
type storePanic string

func (p storePanic) Error() string { return string(p) }

// TestPanicsLogTheirStack: a handler's panic answers 500 with the safe
// page, and the log has its value and the stack where it happened, under
// the page's request id.
func TestPanicsLogTheirStack(t *testing.T) {
	e := newTestServer(t, nil, nil)
	e.fault.failWith("GetPlanInfo", storePanic("nil map write in the store"))
	r := e.do(t, "GET", "/p/AAAAAAAAAAAAAAAAAAAAAA", "")
	wantServerError(t, e, r, "nil map write in the store")
	line := e.log.lines("request_id="+pageRequestID(r.body), "nil map write in the store")[0]
	for _, want := range []string{"stack=", "testserver_test.go", "(*faultStore).fault"} {
		if !strings.Contains(line, want) {
			t.Fatalf("the panic's log line lacks %q (its stack): %s", want, line)
		}
	}
}

// failingChecker fails as a sign-in or the network does, with text meant
// for an operator.
type failingChecker struct{ err error }

func (c failingChecker) Check(context.Context, func(plan.Finding)) (*plan.TenantCheck, error) {
	return nil, c.err
}

// TestCheckFailureShowsNoInternalText: when "Check my tenant" fails, the
// planner reads what to do, never the sign-in or network error, which is
// logged under the request id of the post that started the check.
func TestCheckFailureShowsNoInternalText(t *testing.T) {
	internal := "AADSTS7000215: Invalid client secret provided for app 6b0f; dial tcp 10.1.2.3:443: i/o timeout"
	e := newTestServer(t, func(o *Options) { o.TenantChecker, o.AdminNetworks = failingChecker{errors.New(internal)}, loopback }, nil)
	p := newPlanner(t, e.srv.URL)
	expectRedirect(t, p.post("/wizard/tenant-check", nil), "/wizard/tenant-check")
	e.server.checks.Wait()
	r := p.get("/wizard/tenant-check")
	for _, leak := range []string{"AADSTS", "client secret", "10.1.2.3", "i/o timeout"} {
		if strings.Contains(r.body, leak) {
			t.Fatalf("the planner sees %q: %.600s", leak, r.body)
		}
	}
	if !strings.Contains(r.body, "The tenant could not be read. Try again in a few minutes.") {
		t.Fatalf("the page does not say what to do: %.600s", r.body)
	}
	started := e.log.lines("msg=request ", "method=POST", "path=/wizard/tenant-check ")
	if len(started) != 1 {
		t.Fatalf("no access line for the post, log:\n%s", e.log)
	}
	_, after, _ := strings.Cut(started[0], "request_id=")
	id, _, _ := strings.Cut(after, " ")
	if got := e.log.lines("tenant check failed", "request_id="+id, "AADSTS7000215"); len(got) != 1 {
		t.Fatalf("want the failure logged under request id %s, log:\n%s", id, e.log)
	}
}
