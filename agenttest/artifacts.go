package agenttest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
)

// Artifact file names, in the folder of a failed test.
const (
	artifactScreenshot = "screenshot.png"
	artifactTrace      = "trace.zip"
	artifactHTML       = "page.html"
	artifactConsole    = "console.log"
)

// consoleLog keeps what the page wrote to its console and its uncaught
// errors, for a failed test's artifacts.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

// watch records the page's console messages and errors.
func (c *consoleLog) watch(page playwright.Page) {
	page.OnConsole(func(m playwright.ConsoleMessage) {
		c.add(m.Type() + ": " + m.Text())
	})
	page.OnPageError(func(err error) {
		c.add("pageerror: " + err.Error())
	})
}

// add appends one line.
func (c *consoleLog) add(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, line)
}

// String is the log, a line per message.
func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.lines) == 0 {
		return ""
	}
	return strings.Join(c.lines, "\n") + "\n"
}

// SaveArtifacts writes what a person needs to see why a test failed
// into dir: a screenshot, the Playwright trace (when the page records
// one, as [SignIn] and [NewPage] do), the page's HTML and its console
// log. Nothing in them may sign anyone in: every task URL this run
// created (by any page or test, see [NewTaskContext]), every cookie value
// the page's context holds, and every Clerk credential (ticket,
// __clerk_handshake, __clerk_db_jwt, __clerk_testing_token, __session,
// __client, Authorization, session tokens and other JWTs, secret keys)
// is redacted. The trace is redacted by parsing it: its JSON and JSON
// lines entries are decoded, their strings rewritten and encoded again,
// so it still loads in Playwright's trace viewer; its other text entries
// are scrubbed as text and its images are kept as they are. SaveArtifacts
// writes what it can and returns the errors of what it could not.
//
// A test's pages share its folder: see [WithArtifactsDir] for where it
// is; the first page the test opened saves into it, the n-th into its
// subfolder page-n, so two pages of one failing test keep both sets.
func (p *Page) SaveArtifacts(dir string) error {
	if p == nil || p.Page == nil {
		return errors.New("agenttest: save artifacts: the page was not opened")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("agenttest: save artifacts: %w", err)
	}
	r := p.artifactRedactor()
	var errs []error
	if _, err := p.Page.Screenshot(playwright.PageScreenshotOptions{
		Path:     playwright.String(filepath.Join(dir, artifactScreenshot)),
		FullPage: playwright.Bool(true),
	}); err != nil {
		errs = append(errs, fmt.Errorf("screenshot: %w", err))
	}
	if html, err := p.Page.Content(); err != nil {
		errs = append(errs, fmt.Errorf("page html: %w", err))
	} else if err := os.WriteFile(filepath.Join(dir, artifactHTML), []byte(r.String(html)), 0o644); err != nil {
		errs = append(errs, err)
	}
	if err := os.WriteFile(filepath.Join(dir, artifactConsole), []byte(r.String(p.console.String())), 0o644); err != nil {
		errs = append(errs, err)
	}
	p.mu.Lock()
	tracing := p.tracing
	p.tracing = false
	p.mu.Unlock()
	if tracing {
		if err := p.saveTrace(filepath.Join(dir, artifactTrace), r); err != nil {
			errs = append(errs, fmt.Errorf("trace: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("agenttest: save artifacts in %s: %s", dir, r.String(oneLine(err.Error())))
	}
	return nil
}

// keepTrace saves the page's trace, redacted, as dir's trace.zip: the
// artifact TraceOn keeps for a test that passed.
func (p *Page) keepTrace(dir string) error {
	p.mu.Lock()
	tracing := p.tracing
	p.tracing = false
	p.mu.Unlock()
	if !tracing {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("agenttest: keep trace: %w", err)
	}
	r := p.artifactRedactor()
	if err := p.saveTrace(filepath.Join(dir, artifactTrace), r); err != nil {
		return fmt.Errorf("agenttest: keep trace in %s: %s", dir, r.String(oneLine(err.Error())))
	}
	return nil
}

// oneLine joins the lines of a message, for an error in one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// saveTrace stops the trace into a temporary file outside the artifacts
// folder (which CI uploads) and writes its redacted copy to dst.
func (p *Page) saveTrace(dst string, r *redact.Set) error {
	tmp, err := os.CreateTemp("", "agenttest-trace-*.zip")
	if err != nil {
		return err
	}
	raw := tmp.Name()
	// The raw trace holds every secret the page saw: an early end (a
	// signal, the -timeout) removes it too, since this defer then never
	// runs.
	forget, ok := rawTraces.add(raw)
	defer func() {
		os.Remove(raw)
		forget()
	}()
	if err := tmp.Close(); err != nil {
		return err
	}
	if !ok {
		return errors.New("the run is ending early: no trace is saved")
	}
	if err := p.BrowserContext.Tracing().Stop(raw); err != nil {
		return err
	}
	return redactTrace(raw, dst, r)
}

// tempFiles is a set of temporary files, safe for concurrent use.
type tempFiles struct {
	mu      sync.Mutex
	paths   map[string]bool
	removed bool // removeAll ran: nothing more is recorded
}

// add records path and returns the function that forgets it, and true;
// after removeAll it removes path at once and returns false: its writer
// must not fill it.
func (f *tempFiles) add(path string) (forget func(), ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		_ = os.Remove(path)
		return func() {}, false
	}
	if f.paths == nil {
		f.paths = map[string]bool{}
	}
	f.paths[path] = true
	return func() {
		f.mu.Lock()
		delete(f.paths, path)
		f.mu.Unlock()
	}, true
}

// removeAll removes every recorded file, and any file added later.
func (f *tempFiles) removeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = true
	for path := range f.paths {
		_ = os.Remove(path)
		delete(f.paths, path)
	}
}

// artifactRedactor returns the set every artifact goes through: the
// page's secrets (its task URLs, the Testing Token, session tokens it
// read), every task URL of the run (a page may show another test's), and
// every cookie value the context holds (a sign-in that failed before the
// cookie step has not learnt its token yet; a real Clerk development
// instance also sets __clerk_db_jwt and handshake cookies). The set then
// removes what the module's one redaction pipeline removes from any text.
func (p *Page) artifactRedactor() *redact.Set {
	r := &redact.Set{}
	r.AddSet(&p.secrets)
	if p.suite != nil {
		r.AddSet(&p.suite.secrets)
	}
	if p.BrowserContext != nil {
		if cookies, err := p.BrowserContext.Cookies(); err == nil {
			for _, c := range cookies {
				addCookieSecret(r, c.Value)
			}
		}
	}
	return r
}

// minCookieSecret is the length from which a cookie value is taken for
// a credential and redacted wherever it appears; shorter ones (flags,
// __client_uat's timestamp) would blank unrelated text.
const minCookieSecret = 16

// addCookieSecret adds a cookie's value to r when it is long enough to
// be a credential (see minCookieSecret).
func addCookieSecret(r *redact.Set, value string) {
	if len(value) >= minCookieSecret {
		r.Add(value)
	}
}

// traceEntryKind says how a trace entry is redacted.
type traceEntryKind int

const (
	traceJSONLines traceEntryKind = iota // *.trace, *.network: a JSON value a line
	traceJSON                            // *.json, *.stacks: one JSON document
	traceText                            // other UTF-8 text: HTML, CSS, scripts
	traceBinary                          // images, fonts: kept as they are
)

// traceEntryKindOf classifies a trace entry by its name and content.
func traceEntryKindOf(name string, data []byte) traceEntryKind {
	switch strings.ToLower(path.Ext(name)) {
	case ".trace", ".network":
		return traceJSONLines
	case ".json", ".stacks":
		return traceJSON
	case ".jpeg", ".jpg", ".png", ".webp", ".gif", ".avif", ".ico", ".woff", ".woff2", ".ttf", ".otf":
		return traceBinary
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return traceBinary
	}
	return traceText
}

// redactTraceEntry redacts one entry of a trace. A JSON resource that
// does not parse (an app may serve anything as JSON) is scrubbed as
// text instead; an event file that does not parse loses the lines that
// do not, and the error says how many.
func redactTraceEntry(name string, data []byte, r *redact.Set) ([]byte, error) {
	switch traceEntryKindOf(name, data) {
	case traceJSONLines:
		out, err := r.JSONLines(data)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		return out, nil
	case traceJSON:
		if out, err := r.JSON(data); err == nil {
			return out, nil
		}
		return []byte(r.String(string(data))), nil
	case traceText:
		return []byte(r.String(string(data))), nil
	default:
		return data, nil
	}
}

// redactTrace copies the Playwright trace at src to dst with every
// entry redacted (see redactTraceEntry). The trace's network log holds
// the task URL, the handshake and the session cookie, so it cannot be
// kept as Playwright wrote it. An entry that could be redacted only in
// part is still written, and its error returned after the rest.
func redactTrace(src, dst string, r *redact.Set) (err error) {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	zw := zip.NewWriter(f)
	var partial []error
	for _, entry := range zr.File {
		rc, err := entry.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		if entry.Name == "trace.stacks" {
			data = trimTraceStacks(data)
		}
		data, err = redactTraceEntry(entry.Name, data, r)
		if err != nil {
			partial = append(partial, err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: entry.Name, Method: zip.Deflate, Modified: entry.Modified})
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if len(partial) > 0 {
		// The trace is written; say what it lost without failing the copy.
		return errors.Join(partial...)
	}
	return nil
}

// unsafePathChars are replaced in a test's name to make a folder name.
var unsafePathChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// pageArtifactsDir is where a failed test's page saves its artifacts:
// the test's folder (see artifactsDirFor) for the first page the test
// opened, its subfolder page-n for the n-th.
func pageArtifactsDir(tb testing.TB, p *Page) string {
	var env config.Env
	if p.suite != nil {
		env = p.suite.env
	}
	dir := artifactsDirFor(tb.Name(), p.opts.artifactsDir, artifactsFlagSet(), tb.ArtifactDir, env)
	if p.artifactsSlot > 1 {
		dir = filepath.Join(dir, fmt.Sprintf("page-%d", p.artifactsSlot))
	}
	return dir
}

// claimArtifactsSlot numbers p among the pages tb opened (1, 2, …), so
// that their artifacts go to folders of their own. The count lives in
// the run's suite until the test ends.
func (p *Page) claimArtifactsSlot(tb testing.TB) {
	if p == nil || p.suite == nil {
		p.artifactsSlot = 1
		return
	}
	n, loaded := p.suite.pagesOpened.LoadOrStore(tb, new(atomic.Int32))
	if !loaded {
		named := nameArtifactDirEarly(tb, p)
		// Registered before the page's own cleanup, so it runs after it.
		tb.Cleanup(func() {
			p.suite.pagesOpened.Delete(tb)
			if named != "" && !tb.Failed() {
				_ = os.Remove(named) // only when empty: nothing was kept
			}
		})
	}
	p.artifactsSlot = int(n.(*atomic.Int32).Add(1))
	if p.artifactsSlot == 1 && !artifactsFlagSet() {
		// A new run of the test: what an earlier, failed run saved would
		// otherwise pass for this run's.
		clearStaleArtifacts(pageArtifactsDir(tb, p))
	}
}

// nameArtifactDirEarly names, under go test -artifacts, the test's
// t.ArtifactDir when its first page opens, before the test's own
// output, and returns it ("" otherwise). The -json stream's artifacts
// event, which naming it sends, ends the test for gotestsum, which then
// keeps only the lines after it as the failure's text (JUnit, summary):
// sent late, at cleanup, it left the test's assertion messages out.
func nameArtifactDirEarly(tb testing.TB, p *Page) string {
	if !artifactsFlagSet() || p.opts.artifactsDir != "" {
		return ""
	}
	return tb.ArtifactDir()
}

// stalePageDir matches the page-n folders of a test's artifacts.
var stalePageDir = regexp.MustCompile(`^page-[0-9]+$`)

// clearStaleArtifacts removes the artifacts an earlier run of a test
// left in dir (and its page-n folders): only the files the fixture
// writes, then the folders if that left them empty, so nothing the user
// put there is lost.
func clearStaleArtifacts(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && stalePageDir.MatchString(e.Name()) {
			clearStaleArtifacts(filepath.Join(dir, e.Name()))
		}
	}
	for _, name := range []string{artifactScreenshot, artifactTrace, artifactHTML, artifactConsole} {
		_ = os.Remove(filepath.Join(dir, name))
	}
	_ = os.Remove(dir) // only when empty
}

// artifactsDirFor picks where a failed test's artifacts go: the option,
// then t.ArtifactDir() under `go test -artifacts`, then
// AGENTTEST_ARTIFACTS_DIR or test-results, with a folder per test.
func artifactsDirFor(name string, opt string, artifactsFlag bool, artifactDir func() string, env config.Env) string {
	folder := unsafePathChars.ReplaceAllString(name, "_")
	if opt != "" {
		return filepath.Join(opt, folder)
	}
	if artifactsFlag {
		return artifactDir()
	}
	base := "test-results"
	if v, ok := env.Lookup(config.VarArtifactsDir); ok && v != "" {
		base = v
	}
	return filepath.Join(base, folder)
}
