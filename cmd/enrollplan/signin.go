package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/enrollplan/enrollplan/internal/tenant"
	"github.com/enrollplan/enrollplan/web"
)

// signInProvider offers "Sign in with Microsoft to check your tenant" in
// the wizard when the operator registered a multi-tenant app for it
// (CONTRACT §8.4): ENROLLPLAN_SIGNIN_CLIENT_ID with
// ENROLLPLAN_SIGNIN_CLIENT_SECRET or ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH
// (ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PASSWORD when the file has one).
// Without them it is nil and the wizard offers the upload only.
// ENROLLPLAN_GRAPH_URL, when set, is where the readings go. base holds what
// tests replace: the identity provider and the HTTP clients.
func signInProvider(publicURL string, getenv func(string) string, log *slog.Logger, base tenant.DelegatedConfig) (web.SignInProvider, error) {
	id := strings.TrimSpace(getenv("ENROLLPLAN_SIGNIN_CLIENT_ID"))
	secret := getenv("ENROLLPLAN_SIGNIN_CLIENT_SECRET")
	certPath := getenv("ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH")
	switch {
	case id == "" && secret == "" && certPath == "":
		return nil, nil
	case id == "":
		return nil, usageError{"ENROLLPLAN_SIGNIN_CLIENT_SECRET or ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH needs ENROLLPLAN_SIGNIN_CLIENT_ID, the app registration's application (client) id"}
	case secret != "" && certPath != "":
		return nil, usageError{"set ENROLLPLAN_SIGNIN_CLIENT_SECRET or ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH, not both"}
	case secret == "" && certPath == "":
		return nil, usageError{"ENROLLPLAN_SIGNIN_CLIENT_ID needs ENROLLPLAN_SIGNIN_CLIENT_SECRET or ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH"}
	}
	cfg := base
	cfg.ClientID, cfg.ClientSecret, cfg.Log = id, secret, log
	via := "client secret"
	if certPath != "" {
		data, err := os.ReadFile(certPath)
		if err != nil {
			return nil, fmt.Errorf("serve: read ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PATH: %w", err)
		}
		cfg.Certificate, cfg.CertificatePassword, via = data, getenv("ENROLLPLAN_SIGNIN_CLIENT_CERTIFICATE_PASSWORD"), "client certificate"
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = getenv("ENROLLPLAN_GRAPH_URL")
	}
	d, err := tenant.NewDelegated(cfg)
	if err != nil {
		return nil, usageError{"Sign in with Microsoft (ENROLLPLAN_SIGNIN_*): " + err.Error()}
	}
	redirect := publicURL + "/auth/callback"
	if publicURL == "" {
		redirect = "<the address each request came to>/auth/callback"
		log.Warn("Sign in with Microsoft: set --public-url (ENROLLPLAN_PUBLIC_URL), so that the redirect URI is always the one registered for the app")
	}
	log.Info("Sign in with Microsoft offered in the wizard", "redirect_uri", redirect, "credential", via)
	return signInAdapter{d}, nil
}

// signInAdapter is internal/tenant's Delegated as the web layer sees it.
type signInAdapter struct{ *tenant.Delegated }

func (a signInAdapter) AuthURL(ctx context.Context, cloud, state, challenge, nonce, redirectURI string) (string, error) {
	return a.AuthCodeURL(ctx, cloud, state, challenge, nonce, redirectURI)
}

func (a signInAdapter) Redeem(ctx context.Context, cloud, code, verifier, nonce, redirectURI string) (web.TenantChecker, error) {
	s, err := a.Delegated.Redeem(ctx, cloud, code, verifier, nonce, redirectURI)
	if err != nil {
		return nil, err // a nil *SignedIn must not become a non-nil interface
	}
	return s, nil
}
