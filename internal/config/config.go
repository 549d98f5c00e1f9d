// Package config reads the server's settings: flags over environment over
// defaults (CONTRACT §1). Secrets are masked whenever a Config is printed.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults of CONTRACT §1.
const (
	DefaultAddr        = ":8080"
	DefaultDB          = "./data/enrollplan.db"
	DefaultCreateLimit = 60
	DefaultMaxChecks   = 4
)

// Config is everything `enrollplan serve` needs.
type Config struct {
	Addr            string
	DB              string   // file path (SQLite) or postgres:// URL
	SessionKeys     []string // newest first; secret
	CreateLimit     int      // plans, drafts and tenant checks created per minute per client; 0 = off
	PublicURL       string   // base of share links behind a proxy; "" = from the request
	TrustedProxies  []netip.Prefix
	ShutdownTimeout time.Duration
	// TenantCheckApp offers the check with the server's own Graph
	// credentials in the wizard (ENROLLPLAN_TENANT_CHECK_APP=1), to clients
	// in AdminNetworks only; off, those credentials serve nobody but the
	// command line.
	TenantCheckApp bool
	AdminNetworks  []netip.Prefix
	MaxChecks      int // tenant checks running at once on this server
}

// IsPostgres reports whether DB selects PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// String prints the configuration with secrets masked, for start-up logs.
func (c Config) String() string {
	keys := fmt.Sprintf("%d key(s), masked", len(c.SessionKeys))
	if len(c.SessionKeys) == 0 {
		keys = "generated"
	}
	return fmt.Sprintf("addr=%s db=%s session-keys=%s create-limit=%d public-url=%q trusted-proxies=%v tenant-check-app=%t admin-networks=%v max-checks=%d",
		c.Addr, MaskDSN(c.DB), keys, c.CreateLimit, c.PublicURL, c.TrustedProxies, c.TenantCheckApp, c.AdminNetworks, c.MaxChecks)
}

// MaskDSN hides the secrets of a database URL: the password in its user
// part and any password-like query parameter (libpq accepts
// ?password= and ?sslpassword=). A URL that does not parse is not printed.
func MaskDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		if strings.Contains(dsn, "://") {
			return "(unparsable database URL, not shown)"
		}
		return dsn // a file path
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Load parses serve's flags; a flag wins over its environment variable,
// which wins over the default. Secrets may also come from *_FILE variables.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c Config
	var keys, limit, proxies, shutdown, admins, maxChecks, checkApp string
	fs.StringVar(&c.Addr, "addr", env("ENROLLPLAN_ADDR", DefaultAddr), "listen address (env ENROLLPLAN_ADDR)")
	fs.StringVar(&c.DB, "db", env("ENROLLPLAN_DB", DefaultDB), "SQLite file path or postgres:// URL (env ENROLLPLAN_DB)")
	fs.StringVar(&keys, "session-keys", env("ENROLLPLAN_SESSION_KEYS", ""), "comma-separated session keys, newest first (env ENROLLPLAN_SESSION_KEYS or ENROLLPLAN_SESSION_KEYS_FILE)")
	fs.StringVar(&limit, "create-limit", env("ENROLLPLAN_CREATE_LIMIT", strconv.Itoa(DefaultCreateLimit)), "plans, drafts and tenant checks created per minute per client address; 0 turns the limit off (env ENROLLPLAN_CREATE_LIMIT)")
	fs.StringVar(&c.PublicURL, "public-url", env("ENROLLPLAN_PUBLIC_URL", ""), "public base URL for share links, e.g. https://plans.example.com (env ENROLLPLAN_PUBLIC_URL)")
	fs.StringVar(&proxies, "trusted-proxies", env("ENROLLPLAN_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is trusted (env ENROLLPLAN_TRUSTED_PROXIES)")
	fs.StringVar(&shutdown, "shutdown-timeout", env("ENROLLPLAN_SHUTDOWN_TIMEOUT", "20s"), "how long to let in-flight requests finish on SIGTERM")
	fs.StringVar(&admins, "admin-networks", env("ENROLLPLAN_ADMIN_NETWORKS", ""), "comma-separated CIDRs of the clients offered the tenant check with the server's own credentials (env ENROLLPLAN_ADMIN_NETWORKS; needs ENROLLPLAN_TENANT_CHECK_APP=1)")
	fs.StringVar(&maxChecks, "max-checks", env("ENROLLPLAN_MAX_CHECKS", strconv.Itoa(DefaultMaxChecks)), "tenant checks running at once on this server; others are told when to try again (env ENROLLPLAN_MAX_CHECKS)")
	checkApp = getenv("ENROLLPLAN_TENANT_CHECK_APP") // env only: turning the server's credentials on is a deliberate act
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if keys == "" {
		if f := getenv("ENROLLPLAN_SESSION_KEYS_FILE"); f != "" {
			data, err := os.ReadFile(f)
			if err != nil {
				return c, fmt.Errorf("serve: ENROLLPLAN_SESSION_KEYS_FILE: %w", err)
			}
			keys = strings.TrimSpace(string(data))
		}
	}
	var errs []error
	c.SessionKeys = splitList(keys)
	for i, k := range c.SessionKeys {
		if len(k) < 32 {
			errs = append(errs, fmt.Errorf("--session-keys: key %d is %d characters; use at least 32 random characters (for example: openssl rand -base64 48)", i+1, len(k)))
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(limit))
	if err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("--create-limit: %q is not a whole number of plans per minute (0 turns the limit off)", limit))
	}
	c.CreateLimit = n
	for _, p := range splitList(proxies) {
		prefix, err := parsePrefix(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("--trusted-proxies: %q is not an address or CIDR such as 10.0.0.0/8", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	for _, p := range splitList(admins) {
		prefix, err := parsePrefix(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("--admin-networks: %q is not an address or CIDR such as 10.20.0.0/16", p))
			continue
		}
		c.AdminNetworks = append(c.AdminNetworks, prefix)
	}
	if v := strings.TrimSpace(checkApp); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ENROLLPLAN_TENANT_CHECK_APP: %q; set 1 to offer the check with the server's own credentials, or leave it unset", checkApp))
		}
		c.TenantCheckApp = on
	}
	if c.TenantCheckApp && len(c.AdminNetworks) == 0 {
		errs = append(errs, errors.New("ENROLLPLAN_TENANT_CHECK_APP=1 needs --admin-networks (env ENROLLPLAN_ADMIN_NETWORKS): the CIDRs of the administrators who may use the server's credentials, for example 10.20.0.0/16"))
	}
	if m, err := strconv.Atoi(strings.TrimSpace(maxChecks)); err != nil || m < 1 || m > 1000 {
		errs = append(errs, fmt.Errorf("--max-checks: %q is not a whole number of checks from 1 to 1000", maxChecks))
	} else {
		c.MaxChecks = m
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--public-url: %q must be an absolute http(s) URL such as https://plans.example.com", c.PublicURL))
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(shutdown); err != nil || c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout: %q is not a duration such as 20s", shutdown))
	}
	if c.DB == "" {
		errs = append(errs, errors.New("--db: empty; give a SQLite file path or a postgres:// URL"))
	}
	if c.IsPostgres() && len(c.SessionKeys) == 0 {
		errs = append(errs, errors.New("--session-keys: required with PostgreSQL, so that every replica signs and reads the same cookies; set ENROLLPLAN_SESSION_KEYS to the same comma-separated keys on every replica"))
	}
	return c, errors.Join(errs...)
}

// parsePrefix reads a CIDR, or a single address as the prefix of itself.
func parsePrefix(p string) (netip.Prefix, error) {
	prefix, err := netip.ParsePrefix(p)
	if err != nil {
		addr, aerr := netip.ParseAddr(p)
		if aerr != nil {
			return netip.Prefix{}, err
		}
		prefix = netip.PrefixFrom(addr, addr.BitLen())
	}
	return prefix.Masked(), nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
