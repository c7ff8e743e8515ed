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

	"github.com/agenttest/agenttest/agenttest/config"

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
	stack *demoapp.Stack
	emu   *clerkemu.Emulator
	app   *demoapp.App
}

// The seed users (clerkemu.SeedUsers) the specs sign in as.
const (
	ada   = "user_2ada0000000000000000000001"
	grace = "user_2grace000000000000000000002"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := config.LoadEnv()
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
	code := agenttest.RunTestsWith(m, e.stack.Env())
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

// startEmbedded starts the emulator and the demo app on loopback; the
// run gets their variables (RunTestsWith), as a real project's .env
// would give them.
func startEmbedded() (*embeddedClerk, error) {
	stack, err := demoapp.StartStack(demoapp.StackOptions{})
	if err != nil {
		return nil, err
	}
	return &embeddedClerk{stack: stack, emu: stack.Emulator, app: stack.App}, nil
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
func (e *embeddedClerk) close() error { return e.stack.Close() }

// needEmbedded skips a spec that needs the emulated Clerk.
func needEmbedded(t *testing.T, why string) *embeddedClerk {
	t.Helper()
	if embedded == nil {
		t.Skip("needs the embedded Clerk emulator: " + why)
	}
	return embedded
}
