package nextapp

import (
	"context"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/mxschmitt/playwright-go"
)

// BenchmarkSignIn signs in to the Next.js app per iteration: a page,
// the task URL, the redirect to /dashboard, the session check, clerk-js
// loaded holding the session, the Welcome header, and the page's
// release (context closed, session ended). Compare with
// BenchmarkBareNavigation: `make bench-ratio-next`.
func BenchmarkSignIn(b *testing.B) {
	s := needStackB(b)
	url := s.ways()[0].url
	for b.Loop() {
		page, err := agenttest.NewPageContext(b.Context(), agenttest.AsUser(ada), agenttest.WithTrace(agenttest.TraceOff))
		if err == nil {
			err = page.SignIn(b.Context(), agenttest.RedirectTo(url+"/dashboard"))
		}
		if err == nil {
			err = playwright.NewPlaywrightAssertions().Locator(page.Locator("header")).ToHaveText("Welcome Ada")
		}
		release(b, page, err)
	}
}

// BenchmarkBareNavigation is what a test of the Next.js app pays
// without the fixture's sign-in: a page, the app's home page (signed
// out) until clerk-js has loaded there, and the page's release.
func BenchmarkBareNavigation(b *testing.B) {
	s := needStackB(b)
	url := s.ways()[0].url
	for b.Loop() {
		page, err := agenttest.NewPageContext(b.Context(), agenttest.WithTrace(agenttest.TraceOff))
		if err == nil {
			_, err = page.Goto(url + "/")
		}
		if err == nil {
			_, err = page.WaitForFunction(`() => window.Clerk && window.Clerk.loaded`, nil)
		}
		release(b, page, err)
	}
}

// release releases a benchmark's page and fails on err or on the
// release's error.
func release(b *testing.B, page *agenttest.Page, err error) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b.Context()), 30*time.Second)
	defer cancel()
	if rerr := page.Release(ctx); err == nil {
		err = rerr
	}
	if err != nil {
		b.Fatal(err)
	}
}

// needStackB skips a benchmark when the suite runs against a real
// instance.
func needStackB(b *testing.B) *nextStack {
	b.Helper()
	if stack == nil {
		b.Skip("needs the embedded Clerk emulator and the Next.js app it starts")
	}
	return stack
}
