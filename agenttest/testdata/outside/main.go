// Command outside signs a browser page in from a plain program, with no
// go test and no agenttest.Main: what the README's "outside tests" says.
// The root package's TestOutsideTestsProgram runs it against the
// emulator; it reads the usual variables (CLERK_SECRET_KEY,
// CLERK_API_URL, AGENTTEST_APP_URL, AGENTTEST_USER_ID).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/agenttest/agenttest/agenttest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	browser, err := agenttest.LaunchBrowser(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, browser.Close()) }()
	page, err := browser.NewPage(ctx)
	defer func() { err = errors.Join(err, page.Release(context.WithoutCancel(ctx))) }()
	if err != nil {
		return err
	}
	if err := page.SignIn(ctx, agenttest.RedirectTo("/dashboard")); err != nil {
		return err
	}
	header, err := page.Locator("header").TextContent()
	if err != nil {
		return err
	}
	fmt.Printf("%s as %s\n", header, page.UserID())
	return nil
}
