package main

import (
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/childenv"
	"github.com/agenttest/agenttest/fixtures/demoapp"
)

var starterNames = []string{"main_test.go", "dashboard_test.go", "signed_out_test.go", ".gitignore", ".env.local.example"}

func newModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/fromzero\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInitWritesTheStarterFilesOnce(t *testing.T) {
	dir := newModule(t)
	code, stdout, stderr := runCLI(t, "init", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("init: exit %d, stderr %q", code, stderr)
	}
	for _, name := range starterNames {
		if !strings.Contains(stdout, "wrote    "+filepath.Join("e2e", name)+"\n") {
			t.Errorf("init output does not say it wrote e2e/%s: %q", name, stdout)
		}
		b, err := os.ReadFile(filepath.Join(dir, "e2e", name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".go") {
			if formatted, err := format.Source(b); err != nil || string(formatted) != string(b) {
				t.Errorf("e2e/%s is not gofmt'd Go: %v", name, err)
			}
		}
	}
	if !strings.Contains(stdout, "go test ./e2e/") {
		t.Errorf("init does not say what to run next: %q", stdout)
	}

	// Again: nothing is overwritten, the .gitignore is complete.
	mine := filepath.Join(dir, "e2e", "main_test.go")
	if err := os.WriteFile(mine, []byte("package e2e // mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runCLI(t, "init", dir)
	if code != 0 || strings.Count(stdout, "kept ") != 4 || !strings.Contains(stdout, "complete "+filepath.Join("e2e", ".gitignore")) || !strings.Contains(stdout, "4 existing files kept: --force") {
		t.Fatalf("init over existing files: exit %d, stdout %q", code, stdout)
	}
	if b, _ := os.ReadFile(mine); string(b) != "package e2e // mine\n" {
		t.Fatal("init overwrote an existing file without --force")
	}
	if code, _, _ = runCLI(t, "init", "--force", dir); code != 0 {
		t.Fatalf("init --force: exit %d", code)
	}
	if b, _ := os.ReadFile(mine); !strings.Contains(string(b), "agenttest.Main(m)") {
		t.Fatal("init --force did not overwrite")
	}
}

func TestInitAppendsMissingGitignoreLines(t *testing.T) {
	dir := newModule(t)
	gi := filepath.Join(dir, "e2e", ".gitignore")
	if err := os.MkdirAll(filepath.Dir(gi), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gi, []byte("*.log\n.env.local"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := runCLI(t, "init", dir); code != 0 || !strings.Contains(stdout, "appended "+filepath.Join("e2e", ".gitignore")) {
		t.Fatalf("init: exit %d, stdout %q", code, stdout)
	}
	if b, _ := os.ReadFile(gi); string(b) != "*.log\n.env.local\ntest-results/\n" {
		t.Fatalf(".gitignore is %q", b)
	}
}

func TestInitNeedsAModule(t *testing.T) {
	code, stdout, stderr := runCLI(t, "init", t.TempDir())
	if line := oneLineOf(t, stderr); code != 1 || stdout != "" || !strings.Contains(line, "no go.mod in") || !strings.Contains(line, "go mod init") {
		t.Fatalf("init outside a module: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "init", "a", "b"); code != 2 || !strings.Contains(stderr, "usage: agenttest init") {
		t.Fatalf("init a b: exit %d, stderr %q", code, stderr)
	}
}

func TestEnvExampleHasEveryVariable(t *testing.T) {
	ex := envExample()
	for _, v := range agenttask.Variables() {
		line := "# " + v.Name + "=\n"
		switch v.Name {
		case "CLERK_SECRET_KEY", "AGENTTEST_USER_ID":
			line = "\n" + v.Name + "=\n"
		case "AGENTTEST_APP_URL":
			line = "\n" + v.Name + "=http://localhost:3000\n"
		}
		if !strings.Contains(ex, line) || !strings.Contains(ex, v.Meaning) {
			t.Errorf(".env.local.example lacks %q or its meaning", line)
		}
	}
}

// TestInitFromZeroIsGreen is a new user's first minutes: a fresh module
// that requires agenttest (this repository, through a replace), agenttest
// init, then go test ./e2e/ in a child process against the emulator and
// demo app this test starts, configured through the child's environment
// only. Both generated specs must pass at once. It launches Chromium: run
// it under the browser lock (flock /tmp/agenttest-browser.lock).
func TestInitFromZeroIsGreen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module and launches Chromium")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/fromzero\n\ngo 1.26\n\nrequire github.com/agenttest/agenttest v0.0.0\n\nreplace github.com/agenttest/agenttest => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	// The repository's go.sum holds every checksum the module needs, so
	// the test runs offline from the local module cache.
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCLI(t, "init", dir); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}

	stack, err := demoapp.StartStack(demoapp.StackOptions{})
	t.Cleanup(func() {
		if stack != nil {
			_ = stack.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-count=1", "-v", "./e2e/")
	cmd.Dir = dir
	cmd.Env = append(childenv.Without("CLERK_", "AGENTTEST_", "GOFLAGS="), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local",
		"AGENTTEST_LEDGER_DIR="+t.TempDir())
	if v := os.Getenv("AGENTTEST_BROWSER_PATH"); v != "" {
		cmd.Env = append(cmd.Env, "AGENTTEST_BROWSER_PATH="+v)
	}
	for name, value := range stack.Env() {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	cmd.WaitDelay = lineWait
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test ./e2e/ in the new module: %v\n%s", err, out)
	}
	for _, want := range []string{"--- PASS: TestSignedInUserSeesTheProtectedPage", "--- PASS: TestSignedOutVisitorIsTurnedAway", "ok  \texample.com/fromzero/e2e"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("go test output lacks %q:\n%s", want, out)
		}
	}
}
