package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds enrollplan once per test run, as an operator would.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "enrollplan-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "enrollplan")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type proc struct {
	cmd  *exec.Cmd
	base string
	logs *strings.Builder
	mu   *sync.Mutex
}

var urlLine = regexp.MustCompile(`open (http://\S+)/`)

// startServe starts `enrollplan serve` on a free port and waits until /readyz answers.
func startServe(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"ENROLLPLAN_CREATE_LIMIT=0"}, env...)...)
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, logs: &strings.Builder{}, mu: &sync.Mutex{}}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) { p.mu.Lock(); defer p.mu.Unlock(); return p.logs.Write(b) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case p.base = <-found:
	case <-time.After(20 * time.Second):
		p.mu.Lock()
		defer p.mu.Unlock()
		t.Fatalf("serve did not start:\n%s", p.logs.String())
	}
	for i := 0; i < 100; i++ {
		if r, err := http.Get(p.base + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("serve never became ready")
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func answersBody(t *testing.T, org string) string {
	data, err := os.ReadFile("../../examples/mixed-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(data), "Contoso Ltd", org, 1)
}

func httpDo(method, url, body string, headers ...string) (int, http.Header, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, "", err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b), err
}

// crashTest saves from 16 concurrent clients, kill -9s the server
// mid-stream, restarts it and reads back every acknowledged plan.
func crashTest(t *testing.T, env []string, args ...string) {
	p := startServe(t, env, args...)
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				status, _, body, err := httpDo("POST", p.base+"/api/v1/plans", answersBody(t, fmt.Sprintf("Client %d plan %d", c, i)))
				if err != nil {
					return // the server is gone
				}
				if status == 201 {
					var cp struct{ ID string }
					if json.Unmarshal([]byte(body), &cp) == nil {
						mu.Lock()
						acked = append(acked, cp.ID)
						mu.Unlock()
					}
				}
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	p.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no plan was acknowledged before the kill")
	}

	p2 := startServe(t, env, args...)
	lost := 0
	for _, id := range acked {
		status, _, _, err := httpDo("GET", p2.base+"/api/v1/plans/"+id, "")
		if err != nil || status != 200 {
			lost++
			t.Errorf("acknowledged plan %s: status %d, err %v", id, status, err)
		}
	}
	t.Logf("kill -9 mid-stream: %d plans acknowledged with 201, %d lost", len(acked), lost)
}

func TestCrashSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	crashTest(t, nil, "--db", filepath.Join(t.TempDir(), "crash.db"))
}

// pgSchemaURL makes a fresh schema for one test and returns a URL whose
// connections use it; PostgreSQL tests skip loudly without the URL.
func pgSchemaURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("ENROLLPLAN_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("SKIPPING PostgreSQL process tests: set ENROLLPLAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "enrollplan_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func TestCrashPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	url := pgSchemaURL(t)
	crashTest(t, []string{"ENROLLPLAN_SESSION_KEYS=" + strings.Repeat("s", 40)}, "--db", url)
}

// TestTwoReplicas: two serve processes on one PostgreSQL database with the
// same session keys act as one service.
func TestTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers; skipped with -short")
	}
	url := pgSchemaURL(t)
	env := []string{"ENROLLPLAN_SESSION_KEYS=" + strings.Repeat("r", 40)}
	a := startServe(t, env, "--db", url)
	b := startServe(t, env, "--db", url)

	status, _, body, err := httpDo("POST", a.base+"/api/v1/plans", answersBody(t, "Replica Co"))
	if err != nil || status != 201 {
		t.Fatalf("create on A: %d %v", status, err)
	}
	var created struct {
		ID      string `json:"id"`
		EditKey string `json:"edit_key"`
	}
	json.Unmarshal([]byte(body), &created)
	if status, _, body, _ = httpDo("GET", b.base+"/p/"+created.ID, ""); status != 200 || !strings.Contains(body, "Replica Co") {
		t.Fatalf("read on B: %d", status)
	}
	if status, _, _, _ = httpDo("PUT", b.base+"/api/v1/plans/"+created.ID, answersBody(t, "Replica Co 2"), "Authorization", "Bearer "+created.EditKey, "If-Match", `"1"`); status != 200 {
		t.Fatalf("update on B: %d", status)
	}
	if status, _, body, _ = httpDo("GET", a.base+"/api/v1/plans/"+created.ID, ""); status != 200 || !strings.Contains(body, "Replica Co 2") {
		t.Fatalf("read update on A: %d", status)
	}
	if status, _, _, _ = httpDo("DELETE", a.base+"/api/v1/plans/"+created.ID, "", "Authorization", "Bearer "+created.EditKey); status != 204 {
		t.Fatalf("revoke on A: %d", status)
	}
	if status, _, _, _ = httpDo("GET", b.base+"/p/"+created.ID, ""); status != 410 {
		t.Fatalf("read revoked on B: %d", status)
	}
}

func TestServeRefusesPostgresWithoutKeys(t *testing.T) {
	code, _, errs := cli(t, "", nil, "serve", "--db", "postgres://postgres@127.0.0.1:1/x")
	if code != 2 || !strings.Contains(errs, "required with PostgreSQL") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// TestGracefulShutdown: SIGTERM stops the server cleanly (exit 0) after
// in-flight work, and the log never contains the edit key.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	p := startServe(t, nil, "--db", filepath.Join(t.TempDir(), "term.db"))
	status, _, body, err := httpDo("POST", p.base+"/api/v1/plans", answersBody(t, "Term Co"))
	if err != nil || status != 201 {
		t.Fatalf("create: %d %v", status, err)
	}
	var created struct {
		ID      string `json:"id"`
		EditKey string `json:"edit_key"`
	}
	json.Unmarshal([]byte(body), &created)
	httpDo("GET", p.base+"/p/"+created.ID+"/edit?key="+created.EditKey, "")
	httpDo("DELETE", p.base+"/api/v1/plans/"+created.ID, "", "Authorization", "Bearer "+created.EditKey)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15 s of SIGTERM")
	}
	p.mu.Lock()
	logs := p.logs.String()
	p.mu.Unlock()
	if !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", logs)
	}
	if strings.Contains(logs, created.EditKey) {
		t.Fatal("the edit key appears in the request log")
	}
	if !strings.Contains(logs, `"path":"/p/`+created.ID+`/edit"`) {
		t.Errorf("requests are not logged with their path:\n%s", logs)
	}
}
