// Package agenttest_test keeps the docs honest: it compiles and runs
// the README's "Use in your suite" example and docs/hermetic.md's
// TestMain against the Clerk emulator and the demo app, so they cannot
// rot.
package agenttest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/fixtures/childenv"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/stretchr/testify/require"
)

// The markers that precede the code blocks the tests run.
const (
	readmeExampleMarker = "<!-- agenttest_test.go compiles and runs the next block against the emulator. -->"
	hermeticMarker      = "<!-- agenttest_test.go compiles and runs the next block against the emulator, with the demo app standing in for yours. -->"
)

// docGoBlock is a fenced Go block.
var docGoBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// docBlock returns the Go block after marker in the Markdown file
// at path.
func docBlock(t *testing.T, path, marker string) string {
	t.Helper()
	readme, err := os.ReadFile(path)
	require.NoError(t, err)
	_, after, found := strings.Cut(string(readme), marker)
	require.True(t, found, "%s lost its marked example %q", path, marker)
	block := docGoBlock.FindStringSubmatch(after)
	require.NotNil(t, block, "no ```go block after the marker")
	return block[1]
}

// runDocBlock runs a documented block as the test file of a package of
// this module (a folder starting with "_" is left out of ./...), so it
// builds against this checkout, with env added to a process environment
// cleared of Clerk and agenttest variables. It returns the output.
func runDocBlock(t *testing.T, block string, env map[string]string) string {
	t.Helper()
	dir, err := os.MkdirTemp(".", "_readme_")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "readme_test.go"), []byte(block), 0o644))

	args := []string{"test", "-count=1", "-v"}
	if readmeRaceEnabled() {
		args = append(args, "-race") // reuse the build cache of the outer run
	}
	cmd := exec.CommandContext(t.Context(), "go", append(args, "./"+filepath.Base(dir)+"/")...)
	cmd.Env = childenv.Clean(env)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the documented example failed:\n%s", out)
	return string(out)
}

func TestReadmeExampleRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary with a browser")
	}
	block := docBlock(t, "README.md", readmeExampleMarker)
	require.Contains(t, block, "agenttest.SignIn(t", "the example is the quick start")
	stack := demoapp.RunStackT(t, demoapp.StackOptions{})
	emu := stack.Emulator
	out := runDocBlock(t, block, stack.Env())
	require.Contains(t, out, "--- PASS: TestDashboard")
	require.NotContains(t, out, emu.SecretKey())

	// It really signed in, and cleaned up after itself.
	require.Len(t, emu.Tasks(clerkemu.TaskAccepted), 1)
	require.Empty(t, emu.Tasks(clerkemu.TaskPending))
	require.Empty(t, emu.Sessions(clerkemu.SessionActive))
}

// docs/hermetic.md's TestMain starts its own emulator and app.
func TestHermeticDocExampleRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary with a browser")
	}
	block := docBlock(t, "docs/hermetic.md", hermeticMarker)
	require.Contains(t, block, "clerkemu.Start(", "the example starts the emulator")
	out := runDocBlock(t, block, nil)
	require.Contains(t, out, "--- PASS: TestSignedInAgainstTheEmulator")
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

// "Outside tests" is true: a plain program (no go test, no
// agenttest.Main) launches its own browser, signs a page in and leaves
// nothing behind.
func TestOutsideTestsProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program with a browser")
	}
	stack := demoapp.RunStackT(t, demoapp.StackOptions{})
	args := []string{"run"}
	if readmeRaceEnabled() {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(t.Context(), "go", append(args, "./agenttest/testdata/outside")...)
	cmd.Env = childenv.Clean(stack.Env())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the program failed:\n%s", out)
	require.Contains(t, string(out), "Welcome, Ada as user_2ada0000000000000000000001")
	require.NotContains(t, string(out), stack.Emulator.SecretKey())
	require.Empty(t, stack.Emulator.Sessions(clerkemu.SessionActive), "Release revoked the session")
	require.Empty(t, stack.Emulator.Tasks(clerkemu.TaskPending))
}
