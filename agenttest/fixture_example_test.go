package agenttest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/playwright-community/playwright-go"
)

// The core of the fixture, outside a test: open a page, sign it in,
// release it. Here against the emulator and the demo app.
func ExampleOpen() {
	users, err := clerkemu.LoadUsers("../testdata/users.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	emu, err := clerkemu.Start(clerkemu.Options{Users: users})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer emu.Close()
	app, err := demoapp.Start(demoapp.Options{APIURL: emu.APIURL(), SecretKey: emu.SecretKey(), ProxyURL: emu.Issuer()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer app.Close()
	cfg, err := agenttest.ConfigFromEnv(agenttest.EnvFromMap(map[string]string{
		"CLERK_SECRET_KEY": emu.SecretKey(),
		"CLERK_API_URL":    emu.APIURL(),
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := agenttest.NewClient(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	page, err := agenttest.Open(ctx, agenttest.WithClient(client))
	defer page.Release(ctx) // also when Open failed: it releases what was built
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
	fmt.Println(page.UserID)
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
