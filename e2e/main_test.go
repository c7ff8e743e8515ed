// Package e2e holds example end-to-end specs: copy one to start your own.
//
// With no CLERK_SECRET_KEY (in the environment, .env.local or .env) the
// specs run against an emulated Clerk and a demo app, started here in
// the test binary: nothing to set up, nothing leaves the machine. With
// CLERK_SECRET_KEY and AGENTTEST_APP_URL set, the same specs run against
// your Clerk development instance and your running app (the specs that
// need to move Clerk's clock, or the demo app's sign-out route, skip).
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
)

// embedded is the emulator and demo app TestMain started, or nil when
// the specs run against a real Clerk instance. It is set once, before
// any spec runs, and only read after.
var embedded *embeddedClerk

// embeddedClerk is an in-process Clerk and the app that trusts it.
type embeddedClerk struct {
	emu *clerkemu.Emulator
	app *demoapp.App
}

// The seeded users of testdata/users.json the specs sign in as.
const (
	ada   = "user_2ada0000000000000000000001"
	grace = "user_2grace000000000000000000002"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := agenttask.LoadEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// An empty key counts as unset: CI systems expand a missing secret to "".
	if key, _ := env.Lookup("CLERK_SECRET_KEY"); key != "" {
		if app, _ := env.Lookup("AGENTTEST_APP_URL"); app == "" {
			fmt.Fprintln(os.Stderr, "e2e: CLERK_SECRET_KEY is set, so the specs run against real Clerk: set AGENTTEST_APP_URL to your running app's URL too")
			return 1
		}
		return agenttest.RunTests(m)
	}
	e, err := startEmbedded()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	embedded = e
	code := agenttest.RunTests(m)
	if err := e.checkNothingLeft(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	if err := e.close(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	return code
}

// startEmbedded starts the emulator and the demo app on loopback and
// points the fixture at them through the environment, as a real
// project's .env would.
func startEmbedded() (*embeddedClerk, error) {
	users, err := clerkemu.LoadUsers("../testdata/users.json")
	if err != nil {
		return nil, err
	}
	emu, err := clerkemu.Start(clerkemu.Options{Users: users})
	if err != nil {
		return nil, err
	}
	app, err := demoapp.Start(demoapp.Options{
		APIURL:    emu.APIURL(),
		SecretKey: emu.SecretKey(),
		ProxyURL:  emu.Issuer(),
		Now:       emu.Now, // the app's clock moves with the emulator's
	})
	if err != nil {
		return nil, fmt.Errorf("%w (and closing the emulator: %v)", err, emu.Close())
	}
	for name, value := range map[string]string{
		"CLERK_SECRET_KEY":  emu.SecretKey(),
		"CLERK_API_URL":     emu.APIURL(),
		"AGENTTEST_APP_URL": app.URL(),
		"AGENTTEST_USER_ID": ada,
	} {
		if err := os.Setenv(name, value); err != nil {
			return nil, err
		}
	}
	return &embeddedClerk{emu: emu, app: app}, nil
}

// checkNothingLeft fails the suite if a spec left a task that could
// still sign someone in, or a live session.
func (e *embeddedClerk) checkNothingLeft() error {
	if pending := e.emu.Tasks(clerkemu.TaskPending); len(pending) > 0 {
		return fmt.Errorf("%d agent task(s) left pending after the suite, e.g. %s", len(pending), pending[0].ID)
	}
	if active := e.emu.Sessions(clerkemu.SessionActive); len(active) > 0 {
		return fmt.Errorf("%d session(s) left active after the suite, e.g. %s", len(active), active[0].ID)
	}
	return nil
}

// close stops the app, then the emulator.
func (e *embeddedClerk) close() error {
	appErr := e.app.Close()
	emuErr := e.emu.Close()
	if appErr != nil {
		return appErr
	}
	return emuErr
}

// needEmbedded skips a spec that needs the emulated Clerk.
func needEmbedded(t *testing.T, why string) *embeddedClerk {
	t.Helper()
	if embedded == nil {
		t.Skip("needs the embedded Clerk emulator: " + why)
	}
	return embedded
}
