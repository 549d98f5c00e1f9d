package tenant

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestAppSignInNeedsExplicitCredentials: the server's own sign-in is a
// token, a client secret or a certificate named in its environment, and
// nothing else. With none of them (even with AZURE_TENANT_ID and
// AZURE_CLIENT_ID, and a managed identity's endpoint in the environment,
// which the SDK's default chain would probe) it refuses, and nothing is
// asked of any network or of the Azure CLI.
func TestAppSignInNeedsExplicitCredentials(t *testing.T) {
	// Anything that reaches out is seen: HTTP(S) through this proxy, a
	// managed identity at this endpoint, and an `az` on the PATH.
	var calls atomic.Int64
	watch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer watch.Close()
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "az-ran")
	if err := os.WriteFile(filepath.Join(bin, "az"), []byte("#!/bin/sh\ntouch "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("HTTPS_PROXY", watch.URL)
	t.Setenv("HTTP_PROXY", watch.URL)
	t.Setenv("IDENTITY_ENDPOINT", watch.URL)
	t.Setenv("IDENTITY_HEADER", "x")
	t.Setenv("MSI_ENDPOINT", watch.URL)
	for name, env := range map[string]map[string]string{
		"nothing":                 nil,
		"ids but no secret":       {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/nonexistent"},
		"an empty token":          {"ENROLLPLAN_GRAPH_TOKEN": "  "},
		"a username and password": {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_USERNAME": "u", "AZURE_PASSWORD": "p"},
	} {
		s, err := AppSignIn(CloudGlobal, func(k string) string { return env[k] })
		if !errors.Is(err, ErrNoAppCredentials) || s.Source != nil {
			t.Errorf("%s: %+v, %v; want ErrNoAppCredentials and no sign-in", name, s, err)
			if s.Source != nil { // what a fallback would do when first used
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				s.Source.Token(ctx, CloudGlobal.Scope())
				cancel()
			}
		}
	}
	if n := calls.Load(); n > 0 {
		t.Errorf("%d requests reached the network", n)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the Azure CLI was run")
	}
}

// TestAppSignInKinds: each explicit credential is taken, the token first.
func TestAppSignInKinds(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	s, err := AppSignIn(CloudGlobal, env(map[string]string{"ENROLLPLAN_GRAPH_TOKEN": "Bearer x", "AZURE_CLIENT_SECRET": "s"}))
	if err != nil || s.Via != "ENROLLPLAN_GRAPH_TOKEN" {
		t.Errorf("token: %+v %v", s, err)
	}
	if tok, _, _ := s.Source.Token(context.Background(), ""); tok != "x" {
		t.Errorf("the token is used as given, without its Bearer prefix: %q", tok)
	}
	s, err = AppSignIn(CloudUSGov, env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}))
	if err != nil || s.Via != "client secret" || s.Kind != SignInApp {
		t.Errorf("client secret: %+v %v", s, err)
	}
	if _, err = AppSignIn(CloudGlobal, env(map[string]string{"AZURE_CLIENT_SECRET": "s"})); err == nil || errors.Is(err, ErrNoAppCredentials) {
		t.Errorf("a secret without tenant and client IDs: %v, want an error saying so", err)
	}
	if _, err = AppSignIn(CloudGlobal, env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_CERTIFICATE_PATH": "/nonexistent.pem"})); err == nil {
		t.Error("a missing certificate file must be refused")
	}
	if !HasExplicitCredentials(env(map[string]string{"ENROLLPLAN_GRAPH_TOKEN": "x"})) || HasExplicitCredentials(env(map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"})) {
		t.Error("HasExplicitCredentials")
	}
}
