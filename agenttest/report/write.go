package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agenttest/agenttest/internal/redact"
	"github.com/agenttest/agenttest/internal/shellword"
)

// Options say where a report finds artifacts and how large it may grow.
// The zero Options are usable: artifacts only where the stream names
// them, links relative to the working directory, the default limits.
type Options struct {
	// Title heads the page; "go test report" when empty.
	Title string
	// ArtifactsDir is the folder the run's artifacts are under (the
	// fixture's test-results or AGENTTEST_ARTIFACTS_DIR, or the -outputdir
	// of `go test -artifacts`), where folders named in the stream are
	// looked for when they are not where the stream says, and where a
	// failed test's folder is looked for when the stream names none.
	ArtifactsDir string
	// ReportDir is the folder the HTML file will be in: links to traces
	// and pages are relative to it. The working directory when empty.
	ReportDir string
	// MaxImageBytes is the largest screenshot inlined; larger ones are
	// linked. 0 means 2 MiB.
	MaxImageBytes int64
	// MaxInlineBytes bounds the screenshots inlined into one report;
	// the ones past it are linked. 0 means 16 MiB.
	MaxInlineBytes int64
	// MaxTextBytes bounds each output and console log shown; a longer
	// one keeps its first quarter and its end. 0 means 64 KiB.
	MaxTextBytes int
	// Secrets are redacted from everything the report shows, besides
	// what the module's redaction removes anyway.
	Secrets []string
}

// The defaults of Options' limits.
const (
	defaultMaxImageBytes  = 2 << 20
	defaultMaxInlineBytes = 16 << 20
	defaultMaxTextBytes   = 64 << 10
)

//go:embed report.html.tmpl
var pageTemplateText string

// pageTemplate is the report's page.
var pageTemplate = template.Must(template.New("report").Parse(pageTemplateText))

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// Write renders run as one self-contained HTML page (styles and
// screenshots inline) on w. It reads the failed tests' artifacts (see
// the package documentation); an artifact it cannot read is named in
// the page instead. It fails only when the page cannot be written.
func Write(w io.Writer, run *Run, opts Options) error {
	v := newView(run, opts)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		return fmt.Errorf("report: render the page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write the page: %w", err)
	}
	return nil
}

// WriteFile renders run (see [Write]) into the file path, with links
// relative to path's folder unless opts.ReportDir says otherwise.
func WriteFile(path string, run *Run, opts Options) error {
	if opts.ReportDir == "" {
		opts.ReportDir = filepath.Dir(path)
	}
	var buf bytes.Buffer
	if err := Write(&buf, run, opts); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: write the page: %w", err)
	}
	return nil
}

// view is what the template shows.
type view struct {
	Title                   string
	Passed, Failed, Skipped int
	Total                   string
	Packages                []packageView
	Failures                []failureView
	Stray                   string
	NoTests                 bool
}

type packageView struct {
	ImportPath, Status, StatusClass, Elapsed string
	Tests                                    []testView
}

type testView struct {
	Name, Status, StatusClass, Elapsed, Anchor string
	Indent                                     int
	// Traces are the traces a test that did not fail kept (TraceOn).
	Traces []traceView
}

// traceView links a kept trace and gives the command that opens it.
type traceView struct{ Link, Cmd string }

type failureView struct {
	Anchor, Package, Name, Status, Elapsed string
	Output                                 string
	Attrs                                  []Attr
	Pages                                  []pageView
	NoArtifacts                            bool
}

type pageView struct {
	Label, Dir          string
	Screenshot          template.URL // a data: URI, or ""
	ScreenshotLink      string
	ScreenshotNote      string
	Console             string
	ConsoleEmpty        bool
	ConsoleLink         string
	TraceLink, TraceCmd string
	HTMLLink            string
}

// renderer holds what building the view needs.
type renderer struct {
	opts    Options
	secrets *redact.Set
	inlined int64
}

func newView(run *Run, opts Options) *view {
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = defaultMaxImageBytes
	}
	if opts.MaxInlineBytes <= 0 {
		opts.MaxInlineBytes = defaultMaxInlineBytes
	}
	if opts.MaxTextBytes <= 0 {
		opts.MaxTextBytes = defaultMaxTextBytes
	}
	if opts.Title == "" {
		opts.Title = "go test report"
	}
	r := &renderer{opts: opts, secrets: &redact.Set{}}
	r.secrets.Add(opts.Secrets...)
	v := &view{Title: opts.Title, Stray: r.text(run.Stray)}
	v.Passed, v.Failed, v.Skipped = run.Counts()
	if !run.Start.IsZero() {
		v.Total = formatDuration(run.End.Sub(run.Start))
	} else {
		var sum time.Duration
		for _, p := range run.Packages {
			sum += p.Elapsed
		}
		v.Total = formatDuration(sum)
	}
	v.NoTests = !slices.ContainsFunc(run.Packages, func(p *Package) bool { return len(p.Tests) > 0 })
	for _, p := range run.Packages {
		pv := packageView{ImportPath: p.ImportPath, Elapsed: formatDuration(p.Elapsed)}
		pv.Status, pv.StatusClass = packageStatus(p)
		if f, ok := r.packageFailure(p); ok {
			v.Failures = append(v.Failures, f)
		}
		for _, t := range p.Tests {
			tv := testView{Name: attemptName(t), Elapsed: formatDuration(t.Elapsed), Indent: t.Depth()}
			tv.Status, tv.StatusClass = statusText(t.Status)
			if t.Status == StatusUnfinished {
				tv.Elapsed = ""
			}
			if !t.Status.Failed() {
				tv.Traces = r.keptTraces(t)
			}
			if t.Status.Failed() {
				tv.Anchor = anchor(p.ImportPath, attemptName(t))
				if ownFailure(p, t) {
					v.Failures = append(v.Failures, r.testFailure(p, t))
				} else {
					tv.Anchor = ""
				}
			}
			pv.Tests = append(pv.Tests, tv)
		}
		v.Packages = append(v.Packages, pv)
	}
	return v
}

// attemptName is the test's name, with its attempt after the first.
func attemptName(t *Test) string {
	if t.Attempt > 1 {
		return fmt.Sprintf("%s (run %d)", t.Name, t.Attempt)
	}
	return t.Name
}

// ownFailure reports whether t failed for a reason of its own, not
// only because a subtest did: some output, or no failed subtest.
func ownFailure(p *Package, t *Test) bool {
	if strings.TrimSpace(t.Output) != "" || len(t.ArtifactDirs) > 0 {
		return true
	}
	for _, sub := range p.Tests {
		if strings.HasPrefix(sub.Name, t.Name+"/") && sub.Attempt == t.Attempt && sub.Status.Failed() {
			return false
		}
	}
	return true
}

// packageFailure is the failure card of a package that failed outside
// its tests: a build failure, a failure no test accounts for (go test
// before any test ran, a panic in TestMain, a timeout), or a stream that
// ended before the package did.
func (r *renderer) packageFailure(p *Package) (failureView, bool) {
	f := failureView{Anchor: anchor(p.ImportPath, ""), Package: p.ImportPath, Elapsed: formatDuration(p.Elapsed), NoArtifacts: true}
	switch {
	case p.FailedBuild != "" || p.BuildOutput != "":
		f.Name, f.Status = "(build)", "build failed"
		f.Output = r.text(p.BuildOutput + p.Output)
		return f, true
	case p.Status == "" && p.FailedOutsideTests():
		f.Name, f.Status, f.Elapsed = "(package)", "did not finish", ""
	case p.Status != StatusFail:
		return f, false
	case !strings.Contains(p.Output, "panic:") && !p.FailedOutsideTests():
		return f, false // the failed tests' cards say it
	default:
		f.Name, f.Status = "(package)", "failed"
	}
	f.Output = r.text(p.Output)
	return f, true
}

// testFailure is the failure card of a test.
func (r *renderer) testFailure(p *Package, t *Test) failureView {
	f := failureView{
		Anchor:  anchor(p.ImportPath, attemptName(t)),
		Package: p.ImportPath,
		Name:    attemptName(t),
		Elapsed: formatDuration(t.Elapsed),
		Output:  r.text(t.Output),
		Attrs:   slices.Clone(t.Attrs),
	}
	f.Status, _ = statusText(t.Status)
	if t.Status == StatusUnfinished {
		f.Elapsed = "" // it never said
	}
	for i := range f.Attrs {
		f.Attrs[i].Value = r.secrets.String(f.Attrs[i].Value)
	}
	pages := findArtifacts(t, r.opts.ArtifactsDir)
	f.NoArtifacts = len(pages) == 0
	for i, a := range pages {
		f.Pages = append(f.Pages, r.page(i, a))
	}
	return f
}

// keptTraces are the traces in the folders t's stream named: those a
// test that passed kept under TraceOn. Only named folders count, so an
// earlier run's folder is not taken for this one's.
func (r *renderer) keptTraces(t *Test) []traceView {
	if len(t.ArtifactDirs) == 0 {
		return nil
	}
	var out []traceView
	for _, a := range findArtifacts(t, r.opts.ArtifactsDir) {
		if a.Trace != "" {
			out = append(out, r.trace(a.Trace))
		}
	}
	return out
}

// trace links the trace at path, with the command that opens it from
// the report's folder.
func (r *renderer) trace(path string) traceView {
	return traceView{Link: r.link(path), Cmd: "agenttest show-trace " + shellword.Quote(r.relPath(path))}
}

// page shows one page's artifacts.
func (r *renderer) page(i int, a pageArtifacts) pageView {
	pv := pageView{Label: fmt.Sprintf("page %d", i+1), Dir: r.link(a.Dir)}
	if a.Screenshot != "" {
		pv.ScreenshotLink = r.link(a.Screenshot)
		pv.Screenshot, pv.ScreenshotNote = r.inlineImage(a.Screenshot)
	}
	if a.Console != "" {
		pv.ConsoleLink = r.link(a.Console)
		data, err := os.ReadFile(a.Console)
		switch {
		case err != nil:
			pv.Console = "could not read the console log: " + r.secrets.String(err.Error())
		case len(bytes.TrimSpace(data)) == 0:
			pv.ConsoleEmpty = true
		default:
			pv.Console = r.text(string(data))
		}
	}
	if a.Trace != "" {
		tv := r.trace(a.Trace)
		pv.TraceLink, pv.TraceCmd = tv.Link, tv.Cmd
	}
	if a.HTML != "" {
		pv.HTMLLink = r.link(a.HTML)
	}
	return pv
}

// inlineImage returns the PNG at path as a data: URI, or a note saying
// why it is only linked.
func (r *renderer) inlineImage(path string) (template.URL, string) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", "could not read the screenshot: " + r.secrets.String(err.Error())
	}
	if fi.Size() > r.opts.MaxImageBytes {
		return "", fmt.Sprintf("the screenshot (%s) is larger than the %s inlined: open it from the link", formatBytes(fi.Size()), formatBytes(r.opts.MaxImageBytes))
	}
	if r.inlined+fi.Size() > r.opts.MaxInlineBytes {
		return "", fmt.Sprintf("the report already inlines %s of screenshots: open this one from the link", formatBytes(r.inlined))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "could not read the screenshot: " + r.secrets.String(err.Error())
	}
	if !bytes.HasPrefix(data, pngMagic) {
		return "", "the screenshot is not a PNG file: open it from the link"
	}
	r.inlined += int64(len(data))
	// A data URI built here from a PNG's bytes: safe to put in src.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(data)), ""
}

// text redacts s and bounds it to MaxTextBytes.
func (r *renderer) text(s string) string {
	return clip(r.secrets.String(s), r.opts.MaxTextBytes)
}

// relPath is path relative to the report's folder, with slashes; the
// absolute path when there is no relative one.
func (r *renderer) relPath(path string) string {
	base := r.opts.ReportDir
	if base == "" {
		base = "."
	}
	absBase, err1 := filepath.Abs(base)
	absPath, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(absBase, absPath)
	if err != nil {
		return filepath.ToSlash(absPath)
	}
	return filepath.ToSlash(rel)
}

// link is an href for path, relative to the report's folder.
func (r *renderer) link(path string) string {
	rel := r.relPath(path)
	if filepath.IsAbs(filepath.FromSlash(rel)) {
		return (&url.URL{Scheme: "file", Path: rel}).String()
	}
	return (&url.URL{Path: rel}).String()
}

// clip keeps s within max bytes: its first quarter and its end, cut on
// UTF-8 boundaries, with a line saying how much was left out.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	head := max / 4
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	tail := len(s) - (max - head)
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return fmt.Sprintf("%s\n… %s left out …\n%s", s[:head], formatBytes(int64(tail-head)), s[tail:])
}

// anchor is the id of a failure card.
func anchor(pkg, test string) string {
	return "fail-" + unsafeNameChars.ReplaceAllString(pkg+"-"+test, "-")
}

// statusText is how a status reads, and its CSS class.
func statusText(s Status) (string, string) {
	switch s {
	case StatusPass:
		return "passed", "pass"
	case StatusFail:
		return "failed", "fail"
	case StatusSkip:
		return "skipped", "skip"
	case StatusUnfinished:
		return "did not finish", "fail"
	}
	return string(s), ""
}

// packageStatus is how a package's end reads, and its CSS class.
func packageStatus(p *Package) (string, string) {
	switch {
	case p.FailedBuild != "":
		return "build failed", "fail"
	case p.Status == StatusSkip:
		return "no tests", "skip"
	case p.Status == "":
		return "did not finish", "fail"
	}
	return statusText(p.Status)
}

// formatDuration reads like go test's own "(1.23s)".
func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// formatBytes is a size for a person.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
