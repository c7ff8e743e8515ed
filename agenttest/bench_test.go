package agenttest

import "testing"

// BenchmarkSignIn is the whole fixture per iteration: a new context and
// page, an Agent Task, the navigation and redirect, the cookie check, one
// assertion, and the cleanup (close, revoke the session). Compare it with
// BenchmarkBareNavigation, on the same browser, to see what signing in
// costs: `make bench`.
func BenchmarkSignIn(b *testing.B) {
	s := fixtureStart(b)
	opts := s.opts(AsUser(fixtureAda))
	for b.Loop() {
		p, err := Open(b.Context(), opts...) // traced, as SignIn's are
		if err != nil {
			b.Fatal(err)
		}
		if err := p.SignIn(b.Context()); err != nil {
			b.Fatal(err)
		}
		if err := fixtureExpect().Locator(p.Locator("header")).ToContainText("Welcome"); err != nil {
			b.Fatal(err)
		}
		if err := p.Release(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareNavigation is what a test without the fixture pays: a new
// context and page, one navigation to the (signed-out) app, one
// assertion, close.
func BenchmarkBareNavigation(b *testing.B) {
	s := fixtureStart(b)
	r, err := currentRun()
	if err != nil {
		b.Fatal(err)
	}
	browser, err := r.sharedBrowser(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		bc, err := browser.browser.NewContext()
		if err != nil {
			b.Fatal(err)
		}
		page, err := bc.NewPage()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := page.Goto(s.app.URL() + "/sign-in"); err != nil {
			b.Fatal(err)
		}
		if err := fixtureExpect().Locator(page.Locator("h1")).ToContainText("Sign in"); err != nil {
			b.Fatal(err)
		}
		if err := bc.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
