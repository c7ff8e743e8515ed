package agenttest

import (
	"fmt"
	"os"
	"testing"
)

// Main runs the tests of a package that uses the browser fixture and
// then shuts the shared browser and driver down. Call it from TestMain:
//
//	func TestMain(m *testing.M) { agenttest.Main(m) }
//
// Main does not return: it exits with the tests' exit code, or 1 when
// the browser could not be shut down cleanly.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is [Main] for a TestMain that has more to do after the tests (an
// emulator to check and stop, say): it runs the tests, shuts the shared
// browser down and returns the exit code instead of exiting.
func Run(m *testing.M) (code int) {
	host.begin()
	defer func() {
		if err := host.shutdown(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}()
	return m.Run()
}
