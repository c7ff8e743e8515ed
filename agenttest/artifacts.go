package agenttest

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/playwright-community/playwright-go"
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
// log. Every task URL, ticket and session token the page knows of is
// redacted in the text files and inside the trace. It writes what it
// can and returns the errors of what it could not.
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
	} else if err := os.WriteFile(filepath.Join(dir, artifactHTML), []byte(r(html)), 0o644); err != nil {
		errs = append(errs, err)
	}
	if err := os.WriteFile(filepath.Join(dir, artifactConsole), []byte(r(p.console.String())), 0o644); err != nil {
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
		return fmt.Errorf("agenttest: save artifacts in %s: %s", dir, r(err.Error()))
	}
	return nil
}

// saveTrace stops the trace into a temporary file outside the artifacts
// folder (which CI uploads) and writes its redacted copy to dst.
func (p *Page) saveTrace(dst string, r func(string) string) error {
	tmp, err := os.CreateTemp("", "agenttest-trace-*.zip")
	if err != nil {
		return err
	}
	raw := tmp.Name()
	defer os.Remove(raw)
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := p.BrowserContext.Tracing().Stop(raw); err != nil {
		return err
	}
	return redactZip(raw, dst, r)
}

// artifactRedactor returns the function every artifact's text goes
// through: the page's secrets (task URLs, tickets, session tokens),
// every cookie value the context holds (a sign-in that failed before the
// cookie step has not learnt its token yet; a real Clerk development
// instance also sets __clerk_db_jwt and handshake cookies), then what
// the module's one redaction pipeline removes from any text.
func (p *Page) artifactRedactor() func(string) string {
	if p.BrowserContext != nil {
		if cookies, err := p.BrowserContext.Cookies(); err == nil {
			for _, c := range cookies {
				if len(c.Value) >= 16 {
					p.secrets.Add(c.Value)
				}
			}
		}
	}
	return p.secrets.String
}

// redactZip copies the zip at src to dst with every secret replaced in
// every text entry. The trace's network log holds the task URL and the
// session cookie, so it cannot be kept as Playwright wrote it.
func redactZip(src, dst string, r func(string) string) (err error) {
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
		w, err := zw.CreateHeader(&zip.FileHeader{Name: entry.Name, Method: zip.Deflate, Modified: entry.Modified})
		if err != nil {
			return err
		}
		if !isImage(entry.Name) {
			data = []byte(r(string(data)))
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// isImage reports whether a trace entry is a screenshot, which holds no
// text to redact and must not be edited byte-wise.
func isImage(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpeg", ".jpg", ".png", ".webp":
		return true
	}
	return false
}

// unsafePathChars are replaced in a test's name to make a folder name.
var unsafePathChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// artifactsDirFor picks where a failed test's artifacts go: the option,
// then t.ArtifactDir() under `go test -artifacts`, then
// AGENTTEST_ARTIFACTS_DIR or test-results, with a folder per test.
func artifactsDirFor(name string, opt string, artifactsFlag bool, artifactDir func() string, env agenttask.Env) string {
	folder := unsafePathChars.ReplaceAllString(name, "_")
	if opt != "" {
		return filepath.Join(opt, folder)
	}
	if artifactsFlag {
		return artifactDir()
	}
	base := "test-results"
	if v, ok := env.Lookup(agenttask.VarArtifactsDir); ok && v != "" {
		base = v
	}
	return filepath.Join(base, folder)
}
