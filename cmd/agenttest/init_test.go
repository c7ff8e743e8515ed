package main

import (
	"go/format"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agenttest/agenttest/internal/shellword"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/fixtures/childenv"
	"github.com/agenttest/agenttest/fixtures/demoapp"
)

// starterNames are the files init writes, relative to the module root.
var starterNames = []string{"e2e/main_test.go", "e2e/dashboard_test.go", "e2e/signed_out_test.go", ".gitignore", ".env.local.example"}

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
		if !strings.Contains(stdout, "wrote    "+filepath.FromSlash(name)+"\n") {
			t.Errorf("init output does not say it wrote %s: %q", name, stdout)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".go") {
			if formatted, err := format.Source(b); err != nil || string(formatted) != string(b) {
				t.Errorf("%s is not gofmt'd Go: %v", name, err)
			}
		}
	}
	// One .env.local at the module root serves the tests and the CLI.
	if _, err := os.Stat(filepath.Join(dir, "e2e", ".env.local.example")); err == nil {
		t.Error("init wrote e2e/.env.local.example; want it only at the module root")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); !strings.Contains(string(b), "\n.env.local\n") || !strings.Contains(string(b), "\ntest-results/\n") {
		t.Errorf("the root .gitignore does not ignore .env.local and test-results/: %q", b)
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
	if code != 0 || strings.Count(stdout, "kept ") != 4 || !strings.Contains(stdout, "complete .gitignore\n") || !strings.Contains(stdout, "4 existing files kept: --force") {
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

// The next steps fit the module: go get and go mod tidy before the tests,
// go get only when go.mod lacks agenttest, cp only when it overwrites
// nothing, and agenttest demo for a user without a Clerk account.
func TestInitNextStepsFitTheModule(t *testing.T) {
	const get = "  go get github.com/agenttest/agenttest@latest\n  go mod tidy\n"
	const cp = "  cp .env.local.example .env.local"
	const demo = "go run github.com/agenttest/agenttest/cmd/agenttest demo"
	const install = "  go run github.com/agenttest/agenttest/cmd/agenttest install\n"
	for _, tc := range []struct {
		name   string
		gomod  string
		files  []string // created before init, relative to the module root
		want   []string
		unwant []string
	}{{
		name:   "new module",
		want:   []string{get, install, cp, demo, "  go test ./e2e/\n"},
		unwant: []string{"kept:", "mv ", "@latest install", "@latest demo"},
	}, {
		name:   "agenttest required, .env.local exists",
		gomod:  "require github.com/agenttest/agenttest v0.3.0\n",
		files:  []string{".env.local"},
		want:   []string{"next:\n  go mod tidy\n", ".env.local exists and is kept", "go test ./e2e/"},
		unwant: []string{"go get", "cp "},
	}, {
		name:   "agenttest required in a block, .env.local of an earlier init in e2e/",
		gomod:  "require (\n\tgolang.org/x/time v0.16.0\n\tgithub.com/agenttest/agenttest v0.3.0 // indirect\n)\n",
		files:  []string{"e2e/.env.local"},
		want:   []string{"  mv e2e/.env.local .env.local"},
		unwant: []string{"go get", "cp "},
	}, {
		name:   "the CLI is a tool of the module",
		gomod:  "require github.com/agenttest/agenttest v0.3.0\n\ntool github.com/agenttest/agenttest/cmd/agenttest\n",
		want:   []string{"  go tool agenttest install\n", "`go tool agenttest demo`"},
		unwant: []string{"go get", "go run"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newModule(t)
			if tc.gomod != "" {
				f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.WriteString("\n" + tc.gomod)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, name := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("CLERK_SECRET_KEY=sk_test_mine\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := runCLI(t, "init", dir)
			if code != 0 {
				t.Fatalf("init: exit %d, stderr %q", code, stderr)
			}
			_, next, _ := strings.Cut(stdout, "next:\n")
			next = "next:\n" + next
			cd := "  cd " + shellword.Quote(dir) + "\n"
			if !strings.HasPrefix(next, "next:\n"+cd) {
				t.Errorf("the next steps do not start in the module's folder:\n%s", next)
			}
			next = strings.Replace(next, cd, "", 1)
			for _, w := range tc.want {
				if !strings.Contains(next, w) {
					t.Errorf("the next steps lack %q:\n%s", w, next)
				}
			}
			for _, w := range tc.unwant {
				if strings.Contains(next, w) {
					t.Errorf("the next steps hold %q:\n%s", w, next)
				}
			}
			for _, name := range tc.files {
				if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "CLERK_SECRET_KEY=sk_test_mine\n" {
					t.Errorf("init changed %s", name)
				}
			}
		})
	}
}

func TestInitAppendsMissingGitignoreLines(t *testing.T) {
	dir := newModule(t)
	gi := filepath.Join(dir, ".gitignore")
	if err := os.WriteFile(gi, []byte("*.log\n.env.local"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := runCLI(t, "init", dir); code != 0 || !strings.Contains(stdout, "appended .gitignore\n") {
		t.Fatalf("init: exit %d, stdout %q", code, stdout)
	}
	if b, _ := os.ReadFile(gi); string(b) != "*.log\n.env.local\ntest-results/\n" {
		t.Fatalf(".gitignore is %q", b)
	}
}

// Flags that contradict each other or say nothing are refused before
// anything is written.
func TestInitRefusesEmptyOrStrayAppFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		line string
	}{
		{[]string{"--app", ""}, "agenttest init: --app is empty: give the shell command that starts your app, or leave --app out for a suite against a running app"},
		{[]string{"--app", "  "}, "agenttest init: --app is empty: give the shell command that starts your app, or leave --app out for a suite against a running app"},
		{[]string{"--app-url", "http://127.0.0.1:8080"}, "agenttest init: --app-url is for the app --app starts: give --app too, or leave --app-url out (without --app the suite reads AGENTTEST_APP_URL)"},
	} {
		dir := newModule(t)
		code, stdout, stderr := runCLI(t, append(append([]string{"init"}, tt.args...), dir)...)
		if first, _, _ := strings.Cut(stderr, "\n"); code != 2 || stdout != "" || first != tt.line {
			t.Errorf("init %q: exit %d, stdout %q, stderr %q; want 2 and %q", tt.args, code, stdout, stderr, tt.line)
		}
		assertNothingWritten(t, dir)
	}
}

// assertNothingWritten fails if init wrote any starter file into dir.
func assertNothingWritten(t *testing.T, dir string) {
	t.Helper()
	for _, name := range append(starterNames, "e2e") {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was written", name)
		}
	}
}

// A go.mod without a module line cannot build the specs: refused.
func TestInitNeedsAModulePath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("go 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "init", dir)
	want := "agenttest init: " + filepath.Join(dir, "go.mod") + " has no module line, so go test cannot build the specs: run go mod edit -module=example.com/yourapp there first\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("init: exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
	assertNothingWritten(t, dir)
}

// A starter file or folder that links outside the module is not written
// through: init refuses, and the file the link names is unchanged.
func TestInitWritesNothingThroughALinkOutOfTheModule(t *testing.T) {
	for _, name := range []string{".gitignore", "e2e"} {
		dir, elsewhere := newModule(t), t.TempDir()
		target := filepath.Join(elsewhere, "shared-"+name)
		if name == "e2e" {
			if err := os.Mkdir(target, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(target, []byte("node_modules/\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "init", "--force", dir)
		resolved, _ := filepath.EvalSymlinks(target)
		want := "agenttest init: " + name + " links to " + resolved + ", outside the module at " + dir + ": init writes only inside the module: replace the link, or write that file yourself (agenttest help init lists what goes in); nothing was written\n"
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("init with %s linked out: exit %d, stdout %q, stderr %q; want 1 and %q", name, code, stdout, stderr, want)
		}
		if name == ".gitignore" {
			if b, _ := os.ReadFile(target); string(b) != "node_modules/\n" {
				t.Errorf("the linked .gitignore outside the module was changed: %q", b)
			}
		} else if entries, _ := os.ReadDir(target); len(entries) != 0 {
			t.Errorf("init wrote %d files into the linked folder outside the module", len(entries))
		}
	}
	// A dangling link: writing through it would create its target.
	dir, missing := newModule(t), filepath.Join(t.TempDir(), "missing")
	if err := os.Symlink(missing, filepath.Join(dir, ".gitignore")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "init", dir); code != 1 || !strings.HasPrefix(stderr, "agenttest init: .gitignore links to "+missing+", outside the module") {
		t.Errorf("init with a dangling .gitignore link: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Lstat(missing); err == nil {
		t.Error("init created the dangling link's target outside the module")
	}
}

func TestInitNeedsAModule(t *testing.T) {
	code, stdout, stderr := runCLI(t, "init", t.TempDir())
	if line := oneLineOf(t, stderr); code != 1 || stdout != "" || !strings.Contains(line, "no go.mod in") || !strings.Contains(line, "go mod init") {
		t.Fatalf("init outside a module: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "init", "a", "b"); code != 2 || !isUsageError(stderr, "init") {
		t.Fatalf("init a b: exit %d, stderr %q", code, stderr)
	}
}

// Run from a package of a module, init names the module's root to run
// it from, and writes nothing.
func TestInitInsideAModuleNamesItsRoot(t *testing.T) {
	root := newModule(t)
	sub := filepath.Join(root, "internal", "web")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	for _, tc := range []struct{ dir, want string }{
		{".", "agenttest init: no go.mod in ., which is inside the module at ../..: run agenttest init from that root, or give it as DIR: agenttest init ../..\n"},
		{"../web", "agenttest init: no go.mod in ../web, which is inside the module at ../..: run agenttest init from that root, or give it as DIR: agenttest init ../..\n"},
	} {
		code, stdout, stderr := runCLI(t, "init", tc.dir)
		if code != 1 || stdout != "" || stderr != tc.want {
			t.Errorf("init %s: exit %d, stdout %q, stderr %q; want 1 and %q", tc.dir, code, stdout, stderr, tc.want)
		}
	}
	if exists(filepath.Join(sub, "e2e")) || exists(filepath.Join(root, "e2e")) {
		t.Errorf("init wrote an e2e folder")
	}
}

func TestEnvExampleHasEveryVariable(t *testing.T) {
	ex := envExample()
	for _, v := range config.Variables() {
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

// TestInitFromZeroIsGreen is a new user's first minutes, the steps init
// prints: a fresh module that requires agenttest (this repository,
// through a replace: what go get does), agenttest init, go mod tidy, the
// emulator and demo app's values in .env.local at the module root (what
// cp and filling it in do), then go test ./e2e/ in a child process whose
// environment holds no Clerk or agenttest configuration. Both generated
// specs must pass at once. go mod tidy runs offline (GOPROXY=off) from
// the module cache, which holds every module agenttest needs once this
// repository's own build has run. It launches Chromium: run it under the
// browser lock (flock /tmp/agenttest-browser.lock).
func TestInitFromZeroIsGreen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module and launches Chromium")
	}
	dir := initTestModule(t, "example.com/fromzero", map[string]string{})
	code, stdout, stderr := runCLI(t, "init", dir)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "  go mod tidy\n") {
		t.Fatalf("init does not advise go mod tidy:\n%s", stdout)
	}
	initTestTidy(t, dir)
	// The CLI as the next steps run it works in the module after go mod
	// tidy, offline, at the module's version of agenttest.
	if !strings.Contains(stdout, "  go run github.com/agenttest/agenttest/cmd/agenttest install\n") {
		t.Fatalf("init's next steps do not run the module's agenttest install:\n%s", stdout)
	}
	version := exec.Command("go", "run", "github.com/agenttest/agenttest/cmd/agenttest", "version")
	version.Dir, version.Env, version.WaitDelay = dir, initTestGoEnv(), lineWait
	if out, err := version.CombinedOutput(); err != nil || !strings.Contains(string(out), "agenttest (devel) from ") {
		t.Fatalf("the module's agenttest, as the next steps run it: %v\n%s", err, out)
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
	var envLocal strings.Builder
	for name, value := range stack.Env() {
		envLocal.WriteString(name + "=" + value + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, ".env.local"), []byte(envLocal.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	initTestSpecsPass(t, dir, "example.com/fromzero")
}

// TestInitWithTheEmulatorIsGreen is the hermetic start: a fresh module
// with an app of its own (cmd/web: the demo app, configured from the
// CLERK_ variables of its environment and listening where it is told),
// agenttest init --app, go mod tidy, then go test ./e2e/ with no
// configuration at all: e2e/main_test.go starts the emulator and the
// app, and both generated specs pass. It launches Chromium: run it under
// the browser lock (flock /tmp/agenttest-browser.lock).
func TestInitWithTheEmulatorIsGreen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module and launches Chromium")
	}
	web := `package main

import (
	"fmt"
	"os"

	"github.com/agenttest/agenttest/fixtures/demoapp"
)

// main serves the demo app at os.Args[1] until it is stopped.
func main() {
	fmt.Fprintln(os.Stderr, "web: the demo app starts on", os.Args[1])
	app, err := demoapp.Start(demoapp.Options{
		Addr:           os.Args[1],
		APIURL:         os.Getenv("CLERK_API_URL") + "/v1",
		SecretKey:      os.Getenv("CLERK_SECRET_KEY"),
		PublishableKey: os.Getenv("CLERK_PUBLISHABLE_KEY"),
		FrontendURL:    os.Getenv("CLERK_FRONTEND_API_URL"),
	})
	if err != nil {
		panic(err)
	}
	defer app.Close()
	select {}
}
`
	dir := initTestModule(t, "example.com/hermetic", map[string]string{"cmd/web/main.go": web})
	addr := freeLoopback(t)
	code, stdout, stderr := runCLI(t, "init", "--app", "go run ./cmd/web "+addr, "--app-url", "http://"+addr+"/", dir)
	if code != 0 {
		t.Fatalf("init --app: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "cp .env.local.example") || !strings.Contains(stdout, "e2e/main_test.go starts Clerk's emulator and your app (go run ./cmd/web "+addr+")") {
		t.Errorf("init --app's next steps do not fit a hermetic suite:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, ".env.local.example")); err == nil {
		t.Error("init --app wrote .env.local.example, which a hermetic suite does not use")
	}
	initTestTidy(t, dir)
	out := initTestSpecsPass(t, dir, "example.com/hermetic")
	// The app's log is in the tests' output, where a failure says to
	// look.
	if !strings.Contains(out, "web: the demo app starts on "+addr) {
		t.Errorf("go test output lacks the app's log line:\n%s", out)
	}
	// The app was stopped with the tests: nothing answers at its address.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("the app still answers at %s after the tests", addr)
	}
}

// The README's From zero steps: go get -tool (here offline, the replace
// standing in for the proxy), go tool agenttest init, whose next steps
// then run the CLI as a tool, go mod tidy, and the tool still runs, at
// the module's agenttest.
func TestInitThroughGoTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI in a fresh module")
	}
	dir := initTestModule(t, "example.com/tool", map[string]string{})
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env, cmd.WaitDelay = dir, initTestGoEnv(), lineWait
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	goCmd("get", "-tool", agenttestModule+"/cmd/agenttest")
	out := goCmd("tool", "agenttest", "init")
	for _, want := range []string{"  go tool agenttest install\n", "`go tool agenttest demo`"} {
		if !strings.Contains(out, want) {
			t.Errorf("init run as a tool: its next steps lack %q:\n%s", want, out)
		}
	}
	initTestTidy(t, dir)
	if out := goCmd("tool", "agenttest", "version"); !strings.Contains(out, "agenttest (devel) from ") {
		t.Errorf("go tool agenttest version after go mod tidy:\n%s", out)
	}
}

// initTestModule makes a fresh module named path that requires agenttest
// (this repository, through a replace: what go get does), with files
// (slash-separated path → content) beside go.mod, and returns its folder.
func initTestModule(t *testing.T, path string, files map[string]string) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files["go.mod"] = "module " + path + "\n\ngo 1.26\n\nrequire github.com/agenttest/agenttest v0.0.0\n\nreplace github.com/agenttest/agenttest => " + root + "\n"
	for name, body := range files {
		name = filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// initTestGoEnv is the environment of the go commands run in a fresh
// module: no Clerk or agenttest configuration, and offline (the module
// cache holds every module agenttest needs once this repository built).
func initTestGoEnv() []string {
	return append(childenv.Without("CLERK_", "AGENTTEST_", "GOFLAGS=", "GOPROXY=", "GOSUMDB="), "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
}

// initTestTidy runs go mod tidy in the module at dir, offline.
func initTestTidy(t *testing.T, dir string) {
	t.Helper()
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir, tidy.Env, tidy.WaitDelay = dir, initTestGoEnv(), lineWait
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy in the new module, offline: %v\n%s", err, out)
	}
}

// initTestSpecsPass runs go test ./e2e/ in the module at dir (named
// path) and checks that init's two specs passed.
func initTestSpecsPass(t *testing.T, dir, path string) string {
	t.Helper()
	cmd := exec.Command("go", "test", "-count=1", "-v", "./e2e/")
	cmd.Dir = dir
	cmd.Env = append(initTestGoEnv(), "AGENTTEST_LEDGER_DIR="+t.TempDir())
	if v := os.Getenv("AGENTTEST_BROWSER_PATH"); v != "" {
		cmd.Env = append(cmd.Env, "AGENTTEST_BROWSER_PATH="+v)
	}
	cmd.WaitDelay = lineWait
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test ./e2e/ in %s: %v\n%s", path, err, out)
	}
	for _, want := range []string{"--- PASS: TestSignedInUserSeesTheProtectedPage", "--- PASS: TestSignedOutVisitorIsTurnedAway", "ok  \t" + path + "/e2e"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("go test output lacks %q:\n%s", want, out)
		}
	}
	return string(out)
}
