package agenttest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain runs the package's tests under Run, so the shared browser is
// shut down at the end, then checks that no goroutine outlived them.
// A child process started by TestFixtureProcessesEndWithTheBinary runs
// only its helper test.
func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

// testMain keeps the ledgers of the package's tests out of the user's
// cache directory (children the tests start are given their own).
func testMain(m *testing.M) int {
	if os.Getenv("AGENTTEST_LEDGER_DIR") == "" {
		dir, err := os.MkdirTemp("", "agenttest-ledgers-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		os.Setenv("AGENTTEST_LEDGER_DIR", dir)
	}
	if addr := os.Getenv(startAppMainEnv); addr != "" {
		// The child of TestStartAppStopsWhenTheBinaryIsTerminatedOutsideRunTests:
		// an app started before RunTests, and a signal that comes there.
		app, err := startServingChild(addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer app.Stop()
		time.Sleep(time.Minute)
		fmt.Fprintln(os.Stderr, "the parent did not terminate the child")
		return 1
	}
	if os.Getenv(startAppListEnv) != "" {
		// The child of TestStartAppStartsNothingWhenTheBinaryLists: an
		// app that could never start.
		app, err := StartApp(context.Background(), AppOptions{Command: []string{"false"}, URL: "http://127.0.0.1:1/"})
		if err != nil || app.Pid() != 0 {
			fmt.Fprintln(os.Stderr, "StartApp under -test.list:", err, app.Pid())
			return 1
		}
		defer app.Stop()
	}
	code := RunTests(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines outlived the tests:", err)
			code = 1
		}
	}
	return code
}
