package web

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/enrollplan/enrollplan/internal/tenant/fakeidp"
)

// TestBrowserSignInWithMicrosoft: in Chromium, step 1's "Sign in with
// Microsoft" form posts, the server's answer redirects to the (stand-in)
// identity provider on another origin, which the page's Content-Security-
// Policy must allow for a form's redirect; the identity provider sends the
// browser back to /auth/callback, and the draft's cookie (SameSite=Lax)
// comes along on that cross-site navigation, so the check starts for this
// browser's draft and its progress page shows the findings.
func TestBrowserSignInWithMicrosoft(t *testing.T) {
	exe := e2eRequire(t, "axe")
	e := newSignInEnv(t, nil)
	b := newTab(t, signInBrowser(t, exe), e.srv.URL)
	// The new pages pass axe's WCAG 2.1 A/AA rules: the offer, a refusal
	// with the admin-consent advice, and step 1 with the sign-in form.
	for _, page := range []string{"/auth/signin", "/wizard/organisation"} {
		if status := b.open(page); status != 200 {
			t.Fatalf("%s: %d", page, status)
		}
		for _, v := range b.axe() {
			t.Errorf("axe %s: %s", page, v)
		}
	}
	e.idp.RefuseSignIn(fakeidp.ConsentRequired)
	b.submit(`form[action="/auth/signin"] button`, 403, "/auth/callback")
	if !strings.Contains(b.text(), "An administrator must approve this app first") {
		t.Fatalf("consent refused: %.600s", b.text())
	}
	for _, v := range b.axe() {
		t.Errorf("axe consent page: %s", v)
	}
	e.idp.RefuseSignIn(fakeidp.Refusal{})
	if status := b.open("/wizard/organisation"); status != 200 {
		t.Fatalf("step 1: %d", status)
	}
	b.do("choose the cloud", chromedp.SetValue(chromedp.CSS("#signin-cloud"), "gcc-high"))
	b.submit(`form[action="/auth/signin"] button`, 200, "/wizard/tenant-check")
	e.server.checks.Wait()
	if status := b.open("/wizard/tenant-check"); status != 200 || !strings.Contains(b.text(), "Read with a sign-in for gcc-high") {
		t.Fatalf("progress: %d\n%.1000s", status, b.text())
	}
	if reqs := e.idp.TokenRequests(); len(reqs) != 1 || reqs[0].Refused != "" {
		t.Fatalf("token requests %+v", reqs)
	}
	if strings.Contains(b.text(), "Sign in again") {
		t.Fatal("the sign-in ended on a refusal page")
	}
}

// signInBrowser is Chromium as newBrowser starts it, also accepting the
// stand-in identity provider's self-signed certificate.
func signInBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	profile, err := os.MkdirTemp("", "enrollplan-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	root, cancelRoot := context.WithTimeout(context.Background(), browserBudget)
	alloc, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("ignore-certificate-errors", true), // the stand-in's test certificate
		chromedp.UserDataDir(profile),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelRoot()
		os.RemoveAll(profile)
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return ctx
}
