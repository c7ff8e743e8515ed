package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/internal/shellword"
)

// recordedStream is a go test -json stream of a binary stopped by
// -timeout: one test passed, one did not finish.
func recordedStream(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "agenttest", "report", "testdata", "hang.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportFromFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "test-results")
	code, stdout, stderr := runCLI(t, "report", "--json", recordedStream(t), "--title", "nightly e2e", dir)
	want := "wrote " + filepath.Join(dir, "report.html") + ": 1 failed, 1 passed, 0 skipped\n" +
		"its show-trace commands run from the report's folder: cd " + shellword.Quote(dir) + " first\n"
	if code != 1 || stdout != want {
		t.Fatalf("report: exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
	wantErr := "agenttest report: 1 package failed (github.com/agenttest/agenttest/agenttest/report/testdata/hang): " + filepath.Join(dir, "report.html") + " says why\n"
	if stderr != wantErr {
		t.Errorf("stderr %q, want %q", stderr, wantErr)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<title>nightly e2e: 1 failed</title>", "TestHangs", "panic: test timed out after 2s"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("the report lacks %q", s)
		}
	}
}

// The report never overwrites the stream it reads, under any spelling
// of its name; the stream is left as it was.
func TestReportRefusesToOverwriteItsInput(t *testing.T) {
	dir := t.TempDir()
	stream := filepath.Join(dir, "e2e.json")
	orig, err := os.ReadFile(recordedStream(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stream, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(stream, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{stream, filepath.Join(dir, ".", "e2e.json"), filepath.Join(dir, "link.json")} {
		code, stdout, stderr := runCLI(t, "report", "-o", out, "--json", stream, dir)
		want := "agenttest report: the report file " + out + " is the go test -json stream read (" + stream + "): writing it would destroy the stream; give -o another file; no report was written\n"
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("report -o %s --json %s: exit %d, stdout %q, stderr %q; want 1 and %q", out, stream, code, stdout, stderr, want)
		}
	}
	// From stdin, through the real binary.
	in, err := os.Open(stream)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(binary, "report", "-o", stream, dir)
	cmd.Stdin = in
	out, err := cmd.CombinedOutput()
	if want := "agenttest report: the report file " + stream + " is the go test -json stream read (stdin): writing it would destroy the stream; give -o another file; no report was written\n"; err == nil || string(out) != want {
		t.Errorf("report -o %s < %s: %v, output %q; want exit 1 and %q", stream, stream, err, out, want)
	}
	if got, _ := os.ReadFile(stream); !bytes.Equal(got, orig) {
		t.Error("the stream was changed")
	}
}

// A stream of go tool test2json without -p (no Package in any event)
// counts its tests, and a failed one fails the report as in go test.
func TestReportCountsAStreamWithoutPackageNames(t *testing.T) {
	in, err := filepath.Abs(filepath.Join("..", "..", "agenttest", "report", "testdata", "unnamed.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "report", "--json", in, dir)
	page := filepath.Join(dir, "report.html")
	if first, _, _ := strings.Cut(stdout, "\n"); code != 1 || first != "wrote "+page+": 3 failed, 2 passed, 2 skipped" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and 3 failed, 2 passed, 2 skipped", code, stdout, stderr)
	}
	if want := "agenttest report: 1 package failed (unnamed package): " + page + " says why\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// From stdin, through the real binary; the machine's Clerk credentials
// are redacted from the report even when they have no known shape.
func TestReportFromStdinRedactsTheConfiguredSecrets(t *testing.T) {
	const token = "canary-testing-token-0123456789"
	stream := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:3: token ` + token + `\n"}
{"Action":"fail","Package":"p","Test":"TestA","Elapsed":0.5}
{"Action":"fail","Package":"p","Elapsed":0.6}
`
	dir := t.TempDir()
	out := filepath.Join(dir, "sub", "r.html")
	cmd := exec.Command(binary, "report", "-o", out, dir)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CLERK_TESTING_TOKEN="+token)
	cmd.Stdin = strings.NewReader(stream)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("report: %v, stderr %q; want exit 1, as the package failed", err, stderr.String())
	}
	if want := "wrote " + out + ": 1 failed, 0 passed, 0 skipped\nits show-trace commands run from the report's folder: cd " + shellword.Quote(filepath.Dir(out)) + " first\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "a_test.go:3: token REDACTED") || strings.Contains(string(page), token) {
		t.Errorf("the token is not redacted in the report")
	}
}

func TestReportMissingStream(t *testing.T) {
	code, stdout, stderr := runCLI(t, "report", "--json", filepath.Join(t.TempDir(), "nope.json"), t.TempDir())
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "agenttest report: open the go test -json stream: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line naming the stream", code, stdout, stderr)
	}
}

// A report in the working directory, or of a run without failures, has
// no folder to change to.
func TestReportSaysNothingMoreWhenThereIsNoFolderToChangeTo(t *testing.T) {
	stream := recordedStream(t)
	t.Chdir(t.TempDir())
	code, stdout, stderr := runCLI(t, "report", "--json", stream, "-o", "r.html", ".")
	if want := "wrote r.html: 1 failed, 1 passed, 0 skipped\n"; code != 1 || stdout != want {
		t.Fatalf("report: exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
}

// A package that failed before any test ran (go test -artifacts with a
// missing -outputdir) is a failure: counted, in the title, and exit 1
// with one line naming it; the page shows why.
func TestReportCountsAPackageThatFailedOutsideItsTests(t *testing.T) {
	stream := `{"Action":"start","Package":"example.com/e2e"}
{"Action":"output","Package":"example.com/e2e","Output":"testing: mkdir /src/test-output/_artifacts: no such file or directory\n"}
{"Action":"output","Package":"example.com/e2e","Output":"FAIL\texample.com/e2e\t0.003s\n"}
{"Action":"fail","Package":"example.com/e2e","Elapsed":0.003}
{"Action":"start","Package":"example.com/other"}
{"Action":"run","Package":"example.com/other","Test":"TestA"}
{"Action":"pass","Package":"example.com/other","Test":"TestA","Elapsed":0.1}
{"Action":"pass","Package":"example.com/other","Elapsed":0.2}
`
	dir := t.TempDir()
	file := filepath.Join(dir, "e2e.json")
	if err := os.WriteFile(file, []byte(stream), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.html")
	code, stdout, stderr := runCLI(t, "report", "--json", file, dir)
	wantOut := "wrote " + out + ": 1 failed, 1 passed, 0 skipped\n"
	wantErr := "agenttest report: 1 package failed (example.com/e2e): " + out + " says why\n"
	if code != 1 || stdout != wantOut || stderr != wantErr {
		t.Fatalf("report: exit %d, stdout %q, stderr %q; want 1, %q and %q", code, stdout, stderr, wantOut, wantErr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<title>go test report: 1 failed</title>", "testing: mkdir /src/test-output/_artifacts: no such file or directory"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("the report lacks %q", s)
		}
	}
}

// Every package passed: exit 0, nothing on stderr.
func TestReportExits0WhenEveryPackagePassed(t *testing.T) {
	stream := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.1}
{"Action":"pass","Package":"p","Elapsed":0.2}
`
	file := filepath.Join(t.TempDir(), "e2e.json")
	if err := os.WriteFile(file, []byte(stream), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "report", "--json", file, dir)
	if want := "wrote " + filepath.Join(dir, "report.html") + ": 0 failed, 1 passed, 0 skipped\n"; code != 0 || stdout != want || stderr != "" {
		t.Fatalf("report: exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
	}
}

// The help's example works as written: go test -artifacts fails the
// package when -outputdir does not exist, so the example makes it first.
func TestReportHelpExampleMakesTheOutputdir(t *testing.T) {
	_, help, _ := runCLI(t, "help", "report")
	var made []string
	checked := false
	for line := range strings.Lines(help) {
		fields := strings.Fields(line)
		if len(fields) >= 3 && fields[0] == "mkdir" && fields[1] == "-p" {
			made = append(made, fields[2:]...)
		}
		for _, f := range fields {
			if dir, ok := strings.CutPrefix(f, "-outputdir="); ok {
				checked = true
				if !slices.Contains(made, dir) {
					t.Errorf("the help runs go test -outputdir=%s without mkdir -p %s before it:\n%s", dir, dir, help)
				}
			}
		}
	}
	if !checked {
		t.Fatalf("the help has no example with -outputdir:\n%s", help)
	}
}

// A stream without any go test -json event (nothing piped in, or go
// test without -json) writes nothing, so a good report stays, and says
// what to do in one line.
func TestReportRefusesAStreamWithoutEvents(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	const good = "<html>a good report</html>"
	if err := os.WriteFile(page, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(t.TempDir(), "plain.txt")
	if err := os.WriteFile(plain, []byte("--- FAIL: TestA (0.00s)\nFAIL\texample.com/e2e\t0.1s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"empty stdin", "", nil, "agenttest report: no go test -json events were read from stdin: pipe `go test -json …` into agenttest report, or give --json FILE; no report was written\n"},
		{"blank stdin", "\n\n", nil, "agenttest report: no go test -json events were read from stdin: pipe `go test -json …` into agenttest report, or give --json FILE; no report was written\n"},
		{"plain file", "", []string{"--json", plain}, "agenttest report: no go test -json events were read from " + plain + " (2 lines, none an event: go test without -json?): pipe `go test -json …` into agenttest report, or give --json FILE; no report was written\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, append(append([]string{"report"}, tc.args...), dir)...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if cmd.ProcessState.ExitCode() != 1 || stdout.String() != "" || stderr.String() != tc.want {
				t.Fatalf("report: %v, stdout %q, stderr %q; want exit 1 and %q", err, stdout.String(), stderr.String(), tc.want)
			}
			if got, err := os.ReadFile(page); err != nil || string(got) != good {
				t.Fatalf("the report was overwritten (%v): %q", err, got)
			}
		})
	}
}

// With nothing piped in (stdin a terminal, or a device such as
// /dev/null), report refuses at once instead of waiting for input.
func TestReportRefusesAStdinWithNothingPipedIn(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	cmd := exec.Command(binary, "report", t.TempDir())
	cmd.Stdin = devNull
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	want := "agenttest report: nothing is piped in (stdin is a terminal or a device): pipe `go test -json …` into agenttest report, or give --json FILE; no report was written\n"
	if cmd.ProcessState.ExitCode() != 1 || stdout.String() != "" || stderr.String() != want {
		t.Fatalf("report: %v, stdout %q, stderr %q; want exit 1 and %q", err, stdout.String(), stderr.String(), want)
	}
}
