package agenttest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the package's tests under Run, so the shared browser is
// shut down at the end, then checks that no goroutine outlived them.
// A child process started by TestFixtureProcessesEndWithTheBinary runs
// only its helper test.
func TestMain(m *testing.M) {
	code := RunTests(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines outlived the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}
