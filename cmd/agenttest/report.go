package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/agenttest/agenttest/internal/shellword"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/report"
)

func runReport(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `DIR is the folder the failed tests' artifacts are under: test-results (or
AGENTTEST_ARTIFACTS_DIR), or the -outputdir of go test -artifacts. The report
is one HTML file, screenshots inline, with links to each trace and the command
that opens it (run from the report's folder). It prints the report's path and
the counts (a package that failed outside its tests, such as a build failure,
counts as one failure). It exits 0 when every package passed, 1 when one
failed (like go test, so a pipe from it fails too) or no report was written.
Example (-artifacts needs the -outputdir folder to exist):

  mkdir -p test-output
  go test -json ./e2e/ -artifacts -outputdir=test-output | agenttest report test-output`)
	jsonPath := fs.String("json", "-", "the go test -json `file` (- for stdin)")
	out := fs.String("o", "", "the report `file` (default DIR/report.html)")
	title := fs.String("title", "", "the page's title (default \"go test report\")")
	if err := parseFlags(fs, args, "DIR"); err != nil {
		return err
	}
	dir := fs.Arg(0)
	if *out == "" {
		*out = filepath.Join(dir, "report.html")
	}
	in := os.Stdin
	if *jsonPath == "-" && isDevice(os.Stdin) {
		// Nothing is piped in: waiting for a person to type a stream
		// would look like a hang.
		return fmt.Errorf("nothing is piped in (stdin is a terminal or a device): pipe `go test -json …` into agenttest report, or give --json FILE; no report was written")
	}
	if *jsonPath != "-" {
		f, err := os.Open(*jsonPath)
		if err != nil {
			return fmt.Errorf("open the go test -json stream: %w", err)
		}
		defer f.Close()
		in = f
	}
	if sameFile(in, *out) {
		return fmt.Errorf("the report file %s is the go test -json stream read (%s): writing it would destroy the stream; give -o another file; no report was written", *out, streamName(*jsonPath))
	}
	run, err := report.Parse(in, reportSecrets(stderr)...)
	if err != nil {
		return err
	}
	if run.Events == 0 {
		return noEvents(*jsonPath, run.Stray)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return fmt.Errorf("make the report's folder: %w", err)
	}
	if err := report.WriteFile(*out, run, report.Options{Title: *title, ArtifactsDir: dir}); err != nil {
		return err
	}
	passed, failed, skipped := run.Counts()
	fmt.Fprintf(stdout, "wrote %s: %d failed, %d passed, %d skipped\n", *out, failed, passed, skipped)
	// The page's show-trace commands name traces relative to its folder
	// (report.Options has one folder for links and commands), so a
	// command pasted here works only from there.
	if where := filepath.Dir(*out); slices.ContainsFunc(run.Packages, (*report.Package).TestFailed) && where != "." {
		fmt.Fprintf(stdout, "its show-trace commands run from the report's folder: cd %s first\n", shellword.Quote(where))
	}
	return packagesFailed(run.FailedPackages(), *out)
}

// noEvents is the refusal to write a report from a stream that held no
// go test -json event (from is the --json flag's value): an empty page
// would replace a good one.
func noEvents(from, stray string) error {
	what := streamName(from)
	if n := strings.Count(stray, "\n"); n > 0 {
		what += fmt.Sprintf(" (%d lines, none an event: go test without -json?)", n)
	}
	return fmt.Errorf("no go test -json events were read from %s: pipe `go test -json …` into agenttest report, or give --json FILE; no report was written", what)
}

// packagesFailed is the error that makes report exit 1 when packages
// failed, naming them and where the report says why; nil for none.
func packagesFailed(failed []*report.Package, page string) error {
	if len(failed) == 0 {
		return nil
	}
	const shown = 3
	var names []string
	for i, p := range failed {
		if i == shown {
			names = append(names, fmt.Sprintf("and %d more", len(failed)-shown))
			break
		}
		names = append(names, p.ImportPath)
	}
	what := "package"
	if len(failed) > 1 {
		what = "packages"
	}
	return fmt.Errorf("%d %s failed (%s): %s says why", len(failed), what, strings.Join(names, ", "), page)
}

// reportSecrets are this machine's Clerk credentials, redacted from the
// report besides whatever looks like one. A configuration that cannot be
// read costs only that: the report is still written.
func reportSecrets(stderr io.Writer) []string {
	env, err := config.LoadEnv()
	if err != nil {
		fmt.Fprintf(stderr, "agenttest report: warning: %s; the report redacts only what looks like a credential\n", oneLine(err.Error()))
		return nil
	}
	var secrets []string
	for _, name := range []string{config.VarSecretKey, config.VarTestingToken} {
		if v, ok := env.Lookup(name); ok && v != "" {
			secrets = append(secrets, v)
		}
	}
	return secrets
}

// streamName names the stream the --json flag's value reads.
func streamName(jsonFlag string) string {
	if jsonFlag == "-" {
		return "stdin"
	}
	return jsonFlag
}

// sameFile reports whether the file at path is f (through another
// spelling, a link), not whether both names are equal.
func sameFile(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	other, err := os.Stat(path)
	return err == nil && os.SameFile(fi, other)
}

// isDevice reports whether f is a character device (a terminal,
// /dev/null), not a pipe or a file.
func isDevice(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
