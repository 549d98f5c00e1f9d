package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/internal/tenant"
)

// runCheckTenant is `enrollplan check-tenant [--cloud global|usgov|usgov-dod|china]
// [--permissions] [--timeout 60s]` (CONTRACT §7): it reads the tenant through
// Microsoft Graph and prints the tenant answers and findings as JSON.
func runCheckTenant(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlags("check-tenant", stderr)
	cloudFlag := fs.String("cloud", "global", "the tenant's cloud: global, usgov (GCC High), usgov-dod (DoD) or china (21Vianet)")
	permissions := fs.Bool("permissions", false, "print the read-only Graph permissions the check needs, and exit")
	timeout := fs.Duration("timeout", 60*time.Second, "how long the readings may take, once signed in")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *permissions {
		_, err := io.WriteString(stdout, permissionsText())
		return err
	}
	cloud, err := tenant.ParseCloud(*cloudFlag)
	if err != nil {
		return usagef("check-tenant: %v", err)
	}
	if *timeout <= 0 {
		return usagef("check-tenant: --timeout must be positive, got %s", *timeout)
	}
	graphURL := getenv("ENROLLPLAN_GRAPH_URL")
	if graphURL != "" {
		if graphURL, err = tenant.ParseGraphURL(graphURL); err != nil {
			return usagef("check-tenant: %v", err)
		}
	}
	tty := isTerminal(stderr)
	signIn, err := tenant.NewSignIn(tenant.SignInOptions{
		Cloud:       cloud,
		Getenv:      getenv,
		Interactive: tty && isTerminal(stdin),
		Prompt:      stderr,
	})
	if err != nil {
		return fmt.Errorf("check-tenant: %w", err)
	}
	checker, err := tenant.New(tenant.Config{
		Cloud:          cloud,
		GraphURL:       graphURL,
		Credential:     signIn.Source,
		SignIn:         signIn.Kind,
		Timeout:        *timeout,
		ReadingTimeout: min(20*time.Second, *timeout),
	})
	if err != nil {
		return fmt.Errorf("check-tenant: %w", err)
	}

	var progress func(plan.Finding)
	if tty {
		fmt.Fprintf(stderr, "Reading the tenant through Microsoft Graph (%s, signed in with %s)…\n", cloud, signIn.Via)
		progress = func(f plan.Finding) {
			needs := ""
			if f.Permission != "" {
				needs = " (needs " + f.Permission + ")"
			}
			fmt.Fprintf(stderr, "  %-8s %s%s\n", f.Status, f.Title, needs)
		}
	}
	tc, err := checker.Check(ctx, progress)
	var ce *tenant.CheckError
	if errors.As(err, &ce) {
		fmt.Fprintf(stderr, "enrollplan: check-tenant: %v\n", ce)
		switch {
		case ce.Reason == tenant.ReasonPermission && tc != nil:
			fmt.Fprintf(stderr, "missing read permissions: %s\n", strings.Join(missingPermissions(tc), ", "))
		case ce.Reason == tenant.ReasonSignIn:
			fmt.Fprintf(stderr, "signed in with %s; sign in with ENROLLPLAN_GRAPH_TOKEN, with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or with `az login`\n", signIn.Via)
		}
		return reported{code: 1}
	}
	if err != nil {
		return fmt.Errorf("check-tenant: %w", err)
	}
	out, err := json.MarshalIndent(tc, "", "  ")
	if err != nil {
		return fmt.Errorf("check-tenant: %w", err)
	}
	if _, err := stdout.Write(append(out, '\n')); err != nil {
		return err
	}
	if tty {
		switch n := countUnknown(tc); n {
		case 0:
		case 1:
			fmt.Fprintln(stderr, "1 finding could not be read (status unknown); its detail says why.")
		default:
			fmt.Fprintf(stderr, "%d findings could not be read (status unknown); their detail says why.\n", n)
		}
	}
	return nil
}

func missingPermissions(tc *plan.TenantCheck) []string {
	var out []string
	for _, f := range tc.Findings {
		if f.Permission != "" && !slices.Contains(out, f.Permission) {
			out = append(out, f.Permission)
		}
	}
	return out
}

func countUnknown(tc *plan.TenantCheck) int {
	n := 0
	for _, f := range tc.Findings {
		if f.Status == plan.FindingUnknown {
			n++
		}
	}
	return n
}

// permissionsText is what --permissions prints.
func permissionsText() string {
	var b strings.Builder
	b.WriteString("check-tenant only reads. The least-privileged, read-only Microsoft Graph permissions it needs:\n\n")
	b.WriteString("Delegated (a person signs in: Azure CLI, device code, or a delegated ENROLLPLAN_GRAPH_TOKEN):\n  ")
	b.WriteString(strings.Join(tenant.Permissions(tenant.SignInDelegated), "\n  "))
	b.WriteString("\n  The person also needs an Intune role that can read, for example Intune's Read Only Operator\n  or Microsoft Entra's Global Reader.\n\n")
	b.WriteString("Application (the app signs in alone: AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), admin consent granted:\n  ")
	b.WriteString(strings.Join(tenant.Permissions(tenant.SignInApp), "\n  "))
	b.WriteString("\n\nPer reading:\n")
	var appOnlyCannot []tenant.Reading
	for _, r := range tenant.Readings() {
		app := r.Application
		if app == "" {
			app = "none (delegated only)"
			appOnlyCannot = append(appOnlyCannot, r)
		}
		fmt.Fprintf(&b, "  %s\n    %s\n    delegated: %s; application: %s\n", r.Endpoint, r.What, r.Delegated, app)
	}
	b.WriteString("\nApp-only sign-in cannot make:\n")
	for _, r := range appOnlyCannot {
		fmt.Fprintf(&b, "  %s (%s): Graph offers it to delegated sign-in only; the finding stays unknown.\n", r.Endpoint, r.What)
	}
	return b.String()
}

// isTerminal reports whether f is an interactive terminal. A writer of the
// tests' own can say so itself.
func isTerminal(f any) bool {
	if t, ok := f.(interface{ IsTerminal() bool }); ok {
		return t.IsTerminal()
	}
	file, ok := f.(*os.File)
	return ok && (isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd()))
}
