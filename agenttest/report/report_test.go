package report_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agenttest/agenttest/agenttest/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tiny suite's package and the fake credentials its failing test
// logs (testdata/tiny).
const (
	tinyPackage   = "github.com/agenttest/agenttest/agenttest/report/testdata/tiny"
	fakeSecretKey = "sk_test_tinyFAKEsecretKEY0123456789abcdefABCDEF"
	fakeTicket    = "tkt_tinyFAKEticket0123456789abcdef"
)

// inlineImage matches a screenshot inlined into a report.
var inlineImage = regexp.MustCompile(`<img class="screenshot" alt="[^"]*" src="data:image/png;base64,([^"]+)">`)

// screenshots decodes the report's inlined screenshots.
func screenshots(t *testing.T, page string) []image.Config {
	t.Helper()
	var out []image.Config
	for _, m := range inlineImage.FindAllStringSubmatch(page, -1) {
		data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(m[1], "&#43;", "+"))
		require.NoError(t, err)
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		require.NoError(t, err, "an inlined screenshot is not a PNG")
		out = append(out, cfg)
	}
	return out
}

// render parses the stream in file and writes its report into dir.
func render(t *testing.T, stream []byte, opts report.Options) (*report.Run, string) {
	t.Helper()
	run, err := report.Parse(bytes.NewReader(stream))
	require.NoError(t, err)
	var page bytes.Buffer
	require.NoError(t, report.Write(&page, run, opts))
	return run, page.String()
}

// failureCard returns the failure card of test, or "".
func failureCard(page, test string) string {
	failures, _, _ := strings.Cut(page, "<h2>Packages and tests</h2>")
	_, after, ok := strings.Cut(failures, `data-test="`+test+`">`)
	if !ok {
		return ""
	}
	card, _, _ := strings.Cut(after, "</section>")
	return card
}

// TestTinySuite runs the tiny suite for real under go test -json
// -artifacts and checks its report end to end: counts, a card per
// failure with the error, screenshots, console log, trace link and
// command, no card for a parent that failed only through its subtest,
// and no secret.
func TestTinySuite(t *testing.T) {
	work := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(work, "out"), 0o755))
	cmd := exec.Command("go", "test", "-json", "-count=1", "-artifacts", "-outputdir="+filepath.Join(work, "out"), "./testdata/tiny")
	cmd.Env = append(os.Environ(), "TINY_ARTIFACTS_DIR="+filepath.Join(work, "results"))
	var stream, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stream, &stderr
	var exit *exec.ExitError
	require.ErrorAs(t, cmd.Run(), &exit, "the tiny suite fails on purpose; stderr:\n%s", stderr.String())
	require.Contains(t, stream.String(), fakeSecretKey, "the stream itself holds the fake key: the check below can fail")

	run, err := report.Parse(&stream)
	require.NoError(t, err)
	reportFile := filepath.Join(work, "report.html")
	require.NoError(t, report.WriteFile(reportFile, run, report.Options{ArtifactsDir: work}))
	data, err := os.ReadFile(reportFile)
	require.NoError(t, err)
	page := string(data)

	passed, failed, skipped := run.Counts()
	assert.Equal(t, [3]int{2, 4, 1}, [3]int{passed, failed, skipped}, "passed, failed, skipped")
	assert.Contains(t, page, `<b id="failed-count">4</b>`)

	card := failureCard(page, "TestFailsWithArtifacts")
	require.NotEmpty(t, card, "a card for the failed test")
	assert.Contains(t, card, "header: want &#34;Welcome, Ada&#34;, got &#34;Sign in&#34;", "its error")
	assert.Contains(t, card, `<a href="results/TestFailsWithArtifacts/trace.zip">`, "its trace, relative to the report")
	assert.Contains(t, card, `open it, from the folder of this report, with <code class="cmd">agenttest show-trace results/TestFailsWithArtifacts/trace.zip</code>`, "the command says where it runs")
	assert.Contains(t, card, `<a href="results/TestFailsWithArtifacts/page-2/trace.zip">`, "its second page's trace")
	assert.Contains(t, card, "error: Failed to load resource", "its console log")
	assert.Contains(t, card, "agenttest.artifacts=", "its attributes")
	assert.Len(t, screenshots(t, card), 2, "a screenshot per page")

	card = failureCard(page, "TestFailsInArtifactDir")
	require.NotEmpty(t, card, "a card for the test that used t.ArtifactDir")
	assert.Contains(t, card, "the order was not placed")
	assert.Len(t, screenshots(t, card), 1, "its screenshot, found from the artifacts event")

	assert.NotEmpty(t, failureCard(page, "TestParent/broken"), "the failed subtest has a card")
	assert.Empty(t, failureCard(page, "TestParent"), "its parent failed only through it")
	assert.Contains(t, page, `data-test="TestPasses"`, "the passing test is listed")

	for _, cfg := range screenshots(t, page) {
		assert.Equal(t, [2]int{320, 200}, [2]int{cfg.Width, cfg.Height})
	}
	assert.NotContains(t, page, fakeSecretKey)
	assert.NotContains(t, page, fakeTicket)
	assert.Contains(t, page, "ticket=REDACTED")
}

// writePage writes the artifacts the fixture saves for a page.
func writePage(t *testing.T, dir, console string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			img.Set(x, y, color.RGBA{R: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "screenshot.png"), buf.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "trace.zip"), []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "console.log"), []byte(console), 0o644))
}

// A stream recorded on another machine (testdata/tiny.json, paths under
// /home/runner/work/app) finds its artifacts where they were copied, by
// the paths' trailing elements, and finds none when they are absent.
func TestRecordedStreamFindsCopiedArtifacts(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join("testdata", "tiny.json"))
	require.NoError(t, err)
	run, page := render(t, stream, report.Options{ArtifactsDir: t.TempDir()})
	assert.Empty(t, screenshots(t, page), "nothing copied, nothing shown")
	assert.Contains(t, failureCard(page, "TestFailsWithArtifacts"), "No artifacts were found")

	var artifactsEvent string
	for _, test := range run.Packages[0].Tests {
		if test.Name == "TestFailsInArtifactDir" {
			require.Len(t, test.ArtifactDirs, 1)
			artifactsEvent = test.ArtifactDirs[0]
		}
	}
	require.True(t, strings.HasPrefix(artifactsEvent, "/home/runner/work/app/out/_artifacts/"), "the recorded path: %q", artifactsEvent)

	copied := t.TempDir()
	writePage(t, filepath.Join(copied, "results", "TestFailsWithArtifacts"), "log: page one\n")
	writePage(t, filepath.Join(copied, "results", "TestFailsWithArtifacts", "page-2"), "log: page two\n")
	writePage(t, filepath.Join(copied, strings.TrimPrefix(artifactsEvent, "/home/runner/work/app/")), "")
	_, page = render(t, stream, report.Options{ArtifactsDir: copied, ReportDir: copied})
	card := failureCard(page, "TestFailsWithArtifacts")
	assert.Len(t, screenshots(t, card), 2)
	assert.Contains(t, card, "log: page two")
	assert.Contains(t, card, `<a href="results/TestFailsWithArtifacts/page-2/trace.zip">`)
	assert.Len(t, screenshots(t, failureCard(page, "TestFailsInArtifactDir")), 1)
}

// A failed test whose stream names no folder gets the fixture's folder
// for it under the artifacts directory, named like the fixture names it.
func TestFallsBackToTheFixturesFolder(t *testing.T) {
	root := t.TempDir()
	writePage(t, filepath.Join(root, "TestCheckout_as_admin"), "error: boom\n")
	stream := `{"Action":"run","Package":"example.com/e2e","Test":"TestCheckout/as admin"}
{"Action":"output","Package":"example.com/e2e","Test":"TestCheckout/as admin","Output":"    checkout_test.go:9: no order\n"}
{"Action":"fail","Package":"example.com/e2e","Test":"TestCheckout/as admin","Elapsed":1.5}
{"Action":"fail","Package":"example.com/e2e","Elapsed":1.6}
`
	_, page := render(t, []byte(stream), report.Options{ArtifactsDir: root})
	card := failureCard(page, "TestCheckout/as admin")
	assert.Len(t, screenshots(t, card), 1)
	assert.Contains(t, card, "error: boom")
	assert.Contains(t, card, "1.50s")
}

func TestBuildFailure(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join("testdata", "broken.json"))
	require.NoError(t, err)
	run, page := render(t, stream, report.Options{})
	require.Len(t, run.Packages, 1, "the build target is the package, not a package of its own")
	p := run.Packages[0]
	assert.NotEmpty(t, p.FailedBuild)
	assert.Contains(t, p.BuildOutput, "cannot use \"not a number\"")
	assert.True(t, run.Failed())
	card := failureCard(page, "(build)")
	assert.Contains(t, card, "build failed")
	assert.Contains(t, card, "cannot use &#34;not a number&#34;")
	assert.Empty(t, run.Stray)
}

// A binary stopped by -timeout: the test that never ended did not
// finish, counts as failed and shows the panic.
func TestTimeout(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join("testdata", "hang.json"))
	require.NoError(t, err)
	run, page := render(t, stream, report.Options{})
	passed, failed, _ := run.Counts()
	assert.Equal(t, [2]int{1, 1}, [2]int{passed, failed})
	test := run.Packages[0].Tests[1]
	assert.Equal(t, "TestHangs", test.Name)
	assert.Equal(t, report.StatusUnfinished, test.Status)
	card := failureCard(page, "TestHangs")
	assert.Contains(t, card, "did not finish")
	assert.Contains(t, card, "panic: test timed out after 2s")
	assert.Contains(t, card, "waiting for a reply that never comes")
}

// Lines that are not events (a 2>&1) are kept apart and shown, not lost.
func TestStrayLines(t *testing.T) {
	stream := "go: downloading example.com/x v1.0.0\n" +
		`{"Action":"run","Package":"p","Test":"TestA"}` + "\n" +
		"{not json\n" +
		`{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.25}` + "\n" +
		`{"Action":"pass","Package":"p","Elapsed":0.3}`
	run, page := render(t, []byte(stream), report.Options{})
	assert.Equal(t, "go: downloading example.com/x v1.0.0\n{not json\n", run.Stray)
	assert.Equal(t, 3, run.Events)
	assert.Contains(t, page, "Other output")
	assert.Equal(t, report.StatusPass, run.Packages[0].Tests[0].Status, "the last line has no newline")
	assert.False(t, run.Failed())
}

// Output and attributes are redacted: the module's patterns, and the
// secrets given to Parse and in Options.
func TestRedacts(t *testing.T) {
	stream := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJlc2lnbmF0dXJl and my-own-secret-1 and other-secret-2\n"}
{"Action":"attr","Package":"p","Test":"TestA","Key":"note","Value":"my-own-secret-1"}
{"Action":"fail","Package":"p","Test":"TestA","Elapsed":0.1}
`
	run, err := report.Parse(strings.NewReader(stream), "my-own-secret-1")
	require.NoError(t, err)
	var page bytes.Buffer
	require.NoError(t, report.Write(&page, run, report.Options{Secrets: []string{"other-secret-2"}}))
	for _, secret := range []string{"eyJhbGciOiJSUzI1NiJ9", "my-own-secret-1", "other-secret-2"} {
		assert.NotContains(t, page.String(), secret)
	}
	assert.Contains(t, page.String(), "note=REDACTED")
}

// Screenshots past the limits are linked with a note, and long text
// keeps its start and end, cut on UTF-8 boundaries.
func TestLimits(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"TestA", "TestB"} {
		writePage(t, filepath.Join(root, name), strings.Repeat("é", 5000)+"the end\n")
	}
	stream := `{"Action":"fail","Package":"p","Test":"TestA","Elapsed":1}
{"Action":"fail","Package":"p","Test":"TestB","Elapsed":1}
`
	_, page := render(t, []byte(stream), report.Options{ArtifactsDir: root, ReportDir: root, MaxTextBytes: 1001})
	assert.Len(t, screenshots(t, page), 2, "within the limits")
	assert.Contains(t, page, "left out")
	assert.Contains(t, page, "the end")
	assert.True(t, utf8.ValidString(page))

	_, page = render(t, []byte(stream), report.Options{ArtifactsDir: root, ReportDir: root, MaxImageBytes: 10})
	assert.Empty(t, screenshots(t, page))
	assert.Contains(t, page, "is larger than the 10 B inlined")
	assert.Contains(t, page, `<a href="TestA/screenshot.png">`)

	size, err := os.Stat(filepath.Join(root, "TestA", "screenshot.png"))
	require.NoError(t, err)
	_, page = render(t, []byte(stream), report.Options{ArtifactsDir: root, MaxInlineBytes: size.Size() + 1})
	assert.Len(t, screenshots(t, page), 1, "the second is past the report's budget")
	assert.Contains(t, page, "the report already inlines")
}

// A screenshot that is not a PNG is not inlined.
func TestNotAPNG(t *testing.T) {
	root := t.TempDir()
	writePage(t, filepath.Join(root, "TestA"), "")
	require.NoError(t, os.WriteFile(filepath.Join(root, "TestA", "screenshot.png"), []byte("<svg onload=alert(1)>"), 0o644))
	_, page := render(t, []byte(`{"Action":"fail","Package":"p","Test":"TestA"}`), report.Options{ArtifactsDir: root})
	assert.NotContains(t, page, "data:image")
	assert.Contains(t, page, "not a PNG")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A stream without events (empty, or go test without -json) says so.
func TestNoEvents(t *testing.T) {
	for _, stream := range []string{"", "\n", "ok  \texample.com/e2e\t0.1s\n"} {
		run, err := report.Parse(strings.NewReader(stream))
		require.NoError(t, err)
		assert.Zero(t, run.Events, "stream %q", stream)
	}
}

func TestWriteFails(t *testing.T) {
	run, err := report.Parse(strings.NewReader(""))
	require.NoError(t, err)
	err = report.Write(failingWriter{}, run, report.Options{})
	require.ErrorContains(t, err, "report: write the page: disk full")
	err = report.WriteFile(filepath.Join(t.TempDir(), "missing", "report.html"), run, report.Options{})
	require.ErrorContains(t, err, "report: write the page:")
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestParseFails(t *testing.T) {
	_, err := report.Parse(failingReader{})
	require.ErrorContains(t, err, "report: read the go test -json stream: broken pipe")
}

// A test run again (gotestsum --rerun-fails) shows each attempt: the
// failure stays visible when the rerun passes.
func TestRerunAttempts(t *testing.T) {
	stream := `{"Action":"run","Package":"p","Test":"TestFlaky"}
{"Action":"output","Package":"p","Test":"TestFlaky","Output":"    flaky_test.go:7: first attempt broke\n"}
{"Action":"fail","Package":"p","Test":"TestFlaky","Elapsed":1}
{"Action":"fail","Package":"p","Elapsed":1}
{"Action":"run","Package":"p","Test":"TestFlaky"}
{"Action":"pass","Package":"p","Test":"TestFlaky","Elapsed":1}
{"Action":"pass","Package":"p","Elapsed":1}
`
	run, page := render(t, []byte(stream), report.Options{})
	tests := run.Packages[0].Tests
	require.Len(t, tests, 2)
	assert.Equal(t, [2]report.Status{report.StatusFail, report.StatusPass}, [2]report.Status{tests[0].Status, tests[1].Status})
	assert.Equal(t, 2, tests[1].Attempt)
	assert.Contains(t, failureCard(page, "TestFlaky"), "first attempt broke")
	assert.Contains(t, page, `data-test="TestFlaky (run 2)"`)
}

// A package that failed outside any test (TestMain exited, -outputdir
// missing) gets a card of its own with its output.
func TestPackageFailure(t *testing.T) {
	stream := `{"Action":"start","Package":"example.com/e2e"}
{"Action":"output","Package":"example.com/e2e","Output":"testing: mkdir /nowhere/_artifacts: no such file or directory\n"}
{"Action":"output","Package":"example.com/e2e","Output":"FAIL\texample.com/e2e\t0.003s\n"}
{"Action":"fail","Package":"example.com/e2e","Elapsed":0.003}
`
	run, page := render(t, []byte(stream), report.Options{})
	assert.True(t, run.Failed())
	card := failureCard(page, "(package)")
	assert.Contains(t, card, "testing: mkdir /nowhere/_artifacts: no such file or directory")
	assert.Contains(t, page, "no tests ran")
	assertOneFailureOutsideTests(t, run, page)
}

// assertOneFailureOutsideTests checks that a run whose one package
// failed without a failed test counts, titles and lists it as a failure.
func assertOneFailureOutsideTests(t *testing.T, run *report.Run, page string) {
	t.Helper()
	passed, failed, skipped := run.Counts()
	assert.Equal(t, [3]int{0, 1, 0}, [3]int{passed, failed, skipped}, "passed, failed, skipped")
	assert.True(t, strings.Contains(page, "<title>go test report: 1 failed</title>"), "the title says 1 failed")
	assert.True(t, strings.Contains(page, `<b id="failed-count">1</b>`), "the summary says 1 failed")
	require.Len(t, run.FailedPackages(), 1)
	assert.True(t, run.FailedPackages()[0].FailedOutsideTests())
}

// go tool test2json without -p names no package in its events: its
// tests are counted all the same, and its failure fails the run.
func TestStreamWithoutPackageNames(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join("testdata", "unnamed.json"))
	require.NoError(t, err)
	run, page := render(t, stream, report.Options{})
	passed, failed, skipped := run.Counts()
	assert.Equal(t, [3]int{2, 3, 2}, [3]int{passed, failed, skipped}, "passed, failed, skipped")
	require.Len(t, run.FailedPackages(), 1)
	assert.Equal(t, "unnamed package", run.FailedPackages()[0].ImportPath)
	assert.Contains(t, failureCard(page, "TestFailsInArtifactDir"), "tiny_test.go")
	assert.NotContains(t, page, "sk_test_tinyFAKE", "a secret in the page")
}

// A package that failed to build counts as a failure.
func TestBuildFailureCounts(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join("testdata", "broken.json"))
	require.NoError(t, err)
	run, page := render(t, stream, report.Options{})
	assertOneFailureOutsideTests(t, run, page)
}

// A package the stream ended before (go test killed) counts as a
// failure, with a card showing what it printed.
func TestPackageThatDidNotFinish(t *testing.T) {
	stream := `{"Action":"start","Package":"example.com/e2e"}
{"Action":"output","Package":"example.com/e2e","Output":"signal: killed\n"}
`
	run, page := render(t, []byte(stream), report.Options{})
	assert.True(t, run.Failed())
	card := failureCard(page, "(package)")
	assert.Contains(t, card, "did not finish")
	assert.Contains(t, card, "signal: killed")
	assertOneFailureOutsideTests(t, run, page)
}

// A package whose failed test passed when rerun ended passing: its
// failed attempt still counts and shows, but the package is not failed.
func TestRerunThatPassedIsNoFailedPackage(t *testing.T) {
	stream := `{"Action":"run","Package":"p","Test":"TestFlaky"}
{"Action":"fail","Package":"p","Test":"TestFlaky","Elapsed":1}
{"Action":"fail","Package":"p","Elapsed":1}
{"Action":"run","Package":"p","Test":"TestFlaky"}
{"Action":"pass","Package":"p","Test":"TestFlaky","Elapsed":1}
{"Action":"pass","Package":"p","Elapsed":1}
`
	run, page := render(t, []byte(stream), report.Options{})
	assert.True(t, run.Failed(), "an attempt failed")
	assert.Empty(t, run.FailedPackages())
	passed, failed, _ := run.Counts()
	assert.Equal(t, [2]int{1, 1}, [2]int{passed, failed})
	assert.Empty(t, failureCard(page, "(package)"))
}

// A test that passed and kept its trace (TraceOn) has the trace linked
// beside its name, with the command that opens it; a passing test whose
// stream names no folder gets no link, even when an earlier run's folder
// of its name is there.
func TestPassedTestsLinkTheirKeptTraces(t *testing.T) {
	root := t.TempDir()
	kept := filepath.Join(root, "TestKept")
	writePage(t, kept, "")
	writePage(t, filepath.Join(root, "TestStale"), "")
	stream := `{"Action":"run","Package":"example.com/e2e","Test":"TestKept"}
{"Action":"attr","Package":"example.com/e2e","Test":"TestKept","Key":"agenttest.artifacts","Value":"` + kept + `"}
{"Action":"pass","Package":"example.com/e2e","Test":"TestKept","Elapsed":0.5}
{"Action":"run","Package":"example.com/e2e","Test":"TestStale"}
{"Action":"pass","Package":"example.com/e2e","Test":"TestStale","Elapsed":0.5}
{"Action":"pass","Package":"example.com/e2e","Elapsed":1.1}
`
	_, page := render(t, []byte(stream), report.Options{ArtifactsDir: root, ReportDir: root})
	row := func(name string) string {
		_, after, ok := strings.Cut(page, `<tr class="test pass" data-test="`+name+`">`)
		require.True(t, ok, "no row for %s", name)
		r, _, _ := strings.Cut(after, "</tr>")
		return r
	}
	assert.Contains(t, row("TestKept"), `<a class="trace" href="TestKept/trace.zip" title="agenttest show-trace TestKept/trace.zip">trace</a>`)
	assert.NotContains(t, row("TestStale"), "trace")
	assert.Empty(t, failureCard(page, "TestKept"), "a passed test gets no failure card")
}
