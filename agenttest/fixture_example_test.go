package agenttest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/mxschmitt/playwright-go"
)

// Outside tests (a plain program, a CLI, a script): launch a browser you
// own, open a page, sign it in, release it. Nothing here needs
// agenttest.Main. Here against the emulator and the demo app.
func ExampleLaunchBrowser() {
	stack, err := demoapp.StartStack(demoapp.StackOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stack.Close()
	emu, app := stack.Emulator, stack.App
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	browser, err := agenttest.LaunchBrowser(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer browser.Close()
	page, err := browser.NewPage(ctx, agenttest.WithClient(client), agenttest.WithTrace(agenttest.TraceOff))
	defer page.Release(ctx) // also when NewPage failed: it releases what was built
	if err != nil {
		fmt.Println(err)
		return
	}
	err = page.SignIn(ctx, agenttest.AsIdentifier("ada@example.com"), agenttest.RedirectTo(app.URL()+"/dashboard"))
	if err != nil {
		fmt.Println(err)
		return
	}
	header, err := page.Locator("header").TextContent()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(header)
	fmt.Println(page.UserID())
	// Output:
	// Welcome, Ada
	// user_2ada0000000000000000000001
}

// SignIn in a test: one line gives a page signed in as the user, and the
// test's cleanup takes everything down. (Compiled, not run: it needs a
// *testing.T; e2e/ runs the same.)
func ExampleSignIn() {
	var t *testing.T // in a test: func TestDashboard(t *testing.T) { … }

	page := agenttest.SignIn(t, agenttest.AsUser("user_2x…"), agenttest.RedirectTo("/dashboard"))
	if err := playwright.NewPlaywrightAssertions().Locator(page.Locator("header")).ToContainText("Welcome"); err != nil {
		t.Fatal(err)
	}
}

// Sign in once, reuse in every later page: the second page is seeded
// with the first sign-in's cookies and checked the same way; one Agent
// Task serves both. Here with a browser of its own, against the emulator.
func ExampleReuseSignIn() {
	stack, err := demoapp.StartStack(demoapp.StackOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stack.Close()
	emu, app := stack.Emulator, stack.App
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	browser, err := agenttest.LaunchBrowser(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer browser.Close() // revokes the shared session, too
	var sessions []string
	for range 2 {
		page, err := browser.NewPage(ctx, agenttest.WithClient(client), agenttest.WithTrace(agenttest.TraceOff))
		if err != nil {
			fmt.Println(err)
			return
		}
		err = page.SignIn(ctx, agenttest.AsUser("user_2ada0000000000000000000001"), agenttest.RedirectTo(app.URL()+"/dashboard"), agenttest.ReuseSignIn())
		if err != nil {
			fmt.Println(err)
			return
		}
		sessions = append(sessions, page.SessionID())
		if err := page.Release(ctx); err != nil { // closes the context; the shared session lives on
			fmt.Println(err)
			return
		}
	}
	fmt.Println("same session:", sessions[0] == sessions[1])
	fmt.Println("tasks created:", emu.Requests("POST /v1/agents/tasks"))
	// Output:
	// same session: true
	// tasks created: 1
}

// Keep every test's trace, passed or failed, in its artifacts folder (or
// set AGENTTEST_TRACE=on). Compiled, not run.
func ExampleWithTrace() {
	var t *testing.T
	page := agenttest.SignIn(t, agenttest.WithTrace(agenttest.TraceOn))
	_ = page
}
