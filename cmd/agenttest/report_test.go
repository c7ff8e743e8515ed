package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
		"its show-trace commands run from the report's folder: cd " + shellQuote(dir) + " first\n"
	if code != 0 || stdout != want {
		t.Fatalf("report: exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
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

// From stdin, through the real binary; the machine's Clerk credentials
// are redacted from the report even when they have no known shape.
func TestReportFromStdinRedactsTheConfiguredSecrets(t *testing.T) {
	const token = "canary-testing-token-0123456789"
	stream := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:3: token ` + token + `\n"}
{"Action":"fail","Package":"p","Test":"TestA","Elapsed":0.5}
`
	dir := t.TempDir()
	out := filepath.Join(dir, "sub", "r.html")
	cmd := exec.Command(binary, "report", "-o", out, dir)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CLERK_TESTING_TOKEN="+token)
	cmd.Stdin = strings.NewReader(stream)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("report: %v, stderr %q", err, stderr.String())
	}
	if want := "wrote " + out + ": 1 failed, 0 passed, 0 skipped\nits show-trace commands run from the report's folder: cd " + shellQuote(filepath.Dir(out)) + " first\n"; stdout.String() != want {
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
	if want := "wrote r.html: 1 failed, 1 passed, 0 skipped\n"; code != 0 || stdout != want {
		t.Fatalf("report: exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
	}
}
