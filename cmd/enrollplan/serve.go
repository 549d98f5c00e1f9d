package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/config"
	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/postgres"
	"github.com/enrollplan/enrollplan/internal/store/sqlite"
	"github.com/enrollplan/enrollplan/internal/tenant"
	"github.com/enrollplan/enrollplan/web"
)

// runServe is `enrollplan serve`: the web wizard and JSON API.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cat, err := plan.Load() // validated at start: a broken catalog stops here
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(cfg.SessionKeys) == 0 {
		key, err := sessionKeyBeside(cfg.DB)
		if err != nil {
			return err
		}
		cfg.SessionKeys = []string{key}
	}
	// One memory budget for the Graph answers of every check in the
	// process, whoever's credentials it runs with.
	answers := tenant.NewAnswerBudget(0)
	checker, err := serverChecker(cfg, getenv, log, answers)
	if err != nil {
		return err
	}
	signIn, err := signInProvider(cfg.PublicURL, getenv, log, tenant.DelegatedConfig{Answers: answers})
	if err != nil {
		return err
	}
	cacheBytes, err := renderCacheBytes(getenv)
	if err != nil {
		return err
	}
	recheck, err := shareRecheck(getenv)
	if err != nil {
		return err
	}
	srv := web.New(web.Options{Log: log, Store: st, Catalog: cat, PublicURL: cfg.PublicURL, CreateLimit: cfg.CreateLimit,
		TrustedProxies: cfg.TrustedProxies, SessionKeys: cfg.SessionKeys, SignIn: signIn, TenantChecker: checker, RenderCacheBytes: cacheBytes,
		AdminNetworks: cfg.AdminNetworks, MaxChecks: cfg.MaxChecks, ShareRecheck: recheck})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("enrollplan serving", "version", buildVersion(), "ruleset", cat.Ruleset, "config", cfg.String())
	fmt.Fprintf(stdout, "enrollplan is running: open %s\n", browseURL(ln.Addr(), cfg.PublicURL))

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go srv.RunMaintenance(ctx) // drafts untouched for 30 days are deleted
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Graceful: stop accepting, let in-flight requests finish.
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// renderCacheBytes reads ENROLLPLAN_RENDER_CACHE_MB, the memory kept for
// rendered share pages and formats, raw and compressed (default 32; 0
// keeps nothing, so every view renders afresh).
func renderCacheBytes(getenv func(string) string) (int64, error) {
	v := strings.TrimSpace(getenv("ENROLLPLAN_RENDER_CACHE_MB"))
	if v == "" {
		return 0, nil // web.DefaultRenderCacheBytes
	}
	mb, err := strconv.Atoi(v)
	if err != nil || mb < 0 || mb > 1<<16 {
		return 0, usageError{fmt.Sprintf("ENROLLPLAN_RENDER_CACHE_MB=%q: use a whole number of MiB from 0 (no cache) to 65536", v)}
	}
	if mb == 0 {
		return -1, nil
	}
	return int64(mb) << 20, nil
}

func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.IsPostgres() {
		db, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, fmt.Errorf("serve: PostgreSQL %s: %w", config.MaskDSN(cfg.DB), err)
		}
		return db, nil
	}
	db, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("serve: SQLite %s: %w", cfg.DB, err)
	}
	return db, nil
}

// sessionKeyBeside returns the key kept next to the SQLite file, creating it
// (mode 0600) on first start so a laptop install needs no configuration.
func sessionKeyBeside(dbPath string) (string, error) {
	path := filepath.Join(filepath.Dir(dbPath), "session.key")
	if data, err := os.ReadFile(path); err == nil {
		if k := strings.TrimSpace(string(data)); len(k) >= 32 {
			return k, nil
		}
		return "", fmt.Errorf("serve: %s holds no usable key; delete it to generate a new one", path)
	}
	buf := make([]byte, 48)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	key := base64.RawURLEncoding.EncodeToString(buf)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return sessionKeyBeside(dbPath) // another process won the race; use its key
	}
	if err != nil {
		return "", fmt.Errorf("serve: create session key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(key + "\n"); err != nil {
		return "", err
	}
	return key, f.Sync()
}

func browseURL(addr net.Addr, public string) string {
	if public != "" {
		return public + "/"
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// serverChecker is the check with the server's own Microsoft Graph
// credentials, offered in the wizard only when the operator asks for it
// (ENROLLPLAN_TENANT_CHECK_APP=1), and then to the admin networks only.
// The credentials are explicit (AppSignIn: ENROLLPLAN_GRAPH_TOKEN, or
// AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate), and
// ENROLLPLAN_GRAPH_CLOUD picks the cloud. Without the switch, credentials
// in the environment serve the command line only, and the log says so.
func serverChecker(cfg config.Config, getenv func(string) string, log *slog.Logger, answers *tenant.AnswerBudget) (web.TenantChecker, error) {
	if !cfg.TenantCheckApp {
		if tenant.HasExplicitCredentials(getenv) {
			log.Info("the server's Microsoft Graph credentials are not used by the wizard: they serve enrollplan check-tenant only; set ENROLLPLAN_TENANT_CHECK_APP=1 and ENROLLPLAN_ADMIN_NETWORKS to offer \"Check my tenant\" to administrators")
		}
		return nil, nil
	}
	cloud, err := tenant.ParseCloud(cmp.Or(getenv("ENROLLPLAN_GRAPH_CLOUD"), "global"))
	if err != nil {
		return nil, usageError{"ENROLLPLAN_GRAPH_CLOUD: " + err.Error()}
	}
	graphURL := getenv("ENROLLPLAN_GRAPH_URL")
	if graphURL != "" {
		if graphURL, err = tenant.ParseGraphURL(graphURL); err != nil {
			return nil, usageError{"ENROLLPLAN_GRAPH_URL: " + err.Error()}
		}
	}
	signIn, err := tenant.AppSignIn(cloud, getenv)
	if errors.Is(err, tenant.ErrNoAppCredentials) {
		return nil, usageError{"ENROLLPLAN_TENANT_CHECK_APP=1 needs the server's own credentials: ENROLLPLAN_GRAPH_TOKEN, or AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH"}
	}
	if err != nil {
		return nil, fmt.Errorf("serve: tenant check sign-in: %w", err)
	}
	c, err := tenant.New(tenant.Config{Cloud: cloud, GraphURL: graphURL, Credential: signIn.Source, SignIn: signIn.Kind, Log: log, Answers: answers})
	if err != nil {
		return nil, fmt.Errorf("serve: tenant check: %w", err)
	}
	nets := make([]string, len(cfg.AdminNetworks))
	for i, p := range cfg.AdminNetworks {
		nets[i] = p.String()
	}
	log.Info("tenant check with the server's own credentials offered in the wizard to the admin networks",
		"cloud", string(cloud), "sign_in", signIn.Via, "admin_networks", strings.Join(nets, ","), "max_checks", cfg.MaxChecks)
	return c, nil
}
