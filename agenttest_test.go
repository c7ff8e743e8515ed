// Package agenttest_test keeps the README honest: it compiles and runs
// the README's "Use in your suite" example against the Clerk emulator
// and the demo app, so the front page cannot rot.
package agenttest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/stretchr/testify/require"
)

// readmeExampleMarker precedes the code block the test runs.
const readmeExampleMarker = "<!-- agenttest_test.go compiles and runs the next block"

// readmeGoBlock is a fenced Go block.
var readmeGoBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

func TestReadmeExampleRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary with a browser")
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, after, found := strings.Cut(string(readme), readmeExampleMarker)
	require.True(t, found, "README.md lost its marked example")
	block := readmeGoBlock.FindStringSubmatch(after)
	require.NotNil(t, block, "no ```go block after the marker")
	require.Contains(t, block[1], "agenttest.SignIn(t", "the example is the quick start")

	// The example goes in a package of this module (a folder starting with
	// "_" is left out of ./...), so it builds against this checkout.
	dir, err := os.MkdirTemp(".", "_readme_")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "readme_test.go"), []byte(block[1]), 0o644))

	stack := demoapp.RunStackT(t, demoapp.StackOptions{})
	emu := stack.Emulator

	args := []string{"test", "-count=1", "-v"}
	if readmeRaceEnabled() {
		args = append(args, "-race") // reuse the build cache of the outer run
	}
	cmd := exec.CommandContext(t.Context(), "go", append(args, "./"+filepath.Base(dir)+"/")...)
	cmd.Env = os.Environ()
	for name, value := range stack.Env() { // the variables a user's .env.local would hold
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the README example failed:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestDashboard")
	require.NotContains(t, string(out), emu.SecretKey())

	// It really signed in, and cleaned up after itself.
	require.Len(t, emu.Tasks(clerkemu.TaskAccepted), 1)
	require.Empty(t, emu.Tasks(clerkemu.TaskPending))
	require.Empty(t, emu.Sessions(clerkemu.SessionActive))
}

// readmeRaceEnabled reports whether this test binary was built with
// -race, from the build settings the go command records.
func readmeRaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
