package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// aptHint is what to do when no Chromium can be found or downloaded.
const aptHint = "install Debian's chromium (`apt-get install -y chromium chromium-headless-shell`) or set AGENTTEST_BROWSER_PATH"

// systemChromiums are the executables FindBrowser looks for on PATH, in order.
var systemChromiums = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// systemHeadlessShells are the Chromium headless shells (Chromium's
// "old headless", a browser without the full browser's services) that
// FindHeadlessBrowser looks for on PATH first: Debian's package and
// Google's Chrome for Testing download.
var systemHeadlessShells = []string{"chromium-headless-shell", "chrome-headless-shell"}

// FindBrowser returns the executable to launch for a browser kind:
// "chromium" (also when kind is ""), "firefox" or "webkit", one that can
// run headed as well as headless. In order:
//
//  1. AGENTTEST_BROWSER_PATH, which must name an executable file (any kind);
//  2. Playwright's own download of that browser for this driver version (in
//     PLAYWRIGHT_BROWSERS_PATH or Playwright's default cache directory), for
//     which it returns "": launch without an executable path (but the path
//     of Playwright's full Chromium when its headless shell is missing);
//  3. for chromium only, chromium, chromium-browser, google-chrome or
//     google-chrome-stable on PATH.
//
// The error names what was looked for and how to provide a browser.
func (s Settings) FindBrowser(kind string) (string, error) {
	return s.findBrowser(kind, false)
}

// FindHeadlessBrowser is [Settings.FindBrowser] for a headless launch.
// Where FindBrowser would take a Chromium from PATH, it takes a headless
// shell first (chromium-headless-shell, Debian's package, or
// chrome-headless-shell): the browser Playwright itself launches for
// headless Chromium. A headless shell makes a new browser context with
// much less work than the full browser, whose profile starts services a
// test never uses; on a 2-core machine a signed-in spec takes about half
// the time. AGENTTEST_BROWSER_PATH and Playwright's own download come
// first, as in FindBrowser.
func (s Settings) FindHeadlessBrowser(kind string) (string, error) {
	return s.findBrowser(kind, true)
}

// HeadlessNote names the browser a headless run launches instead of
// path (the one FindBrowser returned for kind): " (headless runs:
// <shell>)" when a headless shell is found beside it, "" otherwise. It
// is how `agenttest install` reports the browser.
func (s Settings) HeadlessNote(kind, path string) string {
	if headless, err := s.FindHeadlessBrowser(kind); err == nil && headless != path {
		return " (headless runs: " + headless + ")"
	}
	return ""
}

// findBrowser is FindBrowser, or FindHeadlessBrowser when headless.
func (s Settings) findBrowser(kind string, headless bool) (string, error) {
	kind, err := browserKind(kind)
	if err != nil {
		return "", fmt.Errorf("find browser: %w", err)
	}
	if p := s.BrowserPath; p != "" {
		if err := isExecutable(p); err != nil {
			return "", fmt.Errorf("find browser %s: AGENTTEST_BROWSER_PATH: %w: point it at a browser executable or unset it", kind, err)
		}
		return p, nil
	}
	found, exe, where := s.playwrightBrowser(kind)
	if found {
		return exe, nil
	}
	if kind != "chromium" {
		return "", fmt.Errorf("find browser %s: Playwright's %s is not installed (%s): run `%s --browser %s` or set AGENTTEST_BROWSER_PATH", kind, kind, where, installCommand, kind)
	}
	names := systemChromiums
	if headless {
		names = append(slices.Clone(systemHeadlessShells), names...)
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("find browser chromium: AGENTTEST_BROWSER_PATH is unset, Playwright's chromium is not installed (%s), and none of %s is on PATH: %s",
		where, strings.Join(names, ", "), aptHint)
}

func browserKind(kind string) (string, error) {
	switch kind {
	case "":
		return "chromium", nil
	case "chromium", "firefox", "webkit":
		return kind, nil
	}
	return "", fmt.Errorf("unknown browser %q: use chromium, firefox or webkit", kind)
}

// playwrightBrowser looks for Playwright's own complete download of
// kind at a revision the installed driver pins. exe is "" when Playwright's
// default launch finds it: always, except for a full Chromium without the
// headless shell (which headless launches use), whose executable it
// returns. where says what was looked for.
func (s Settings) playwrightBrowser(kind string) (found bool, exe, where string) {
	dir, err := s.DriverDir()
	if err != nil {
		return false, "", err.Error()
	}
	revs, err := browserRevisions(filepath.Join(dir, "package", "browsers.json"))
	if err != nil {
		return false, "", "the driver is not installed, so its browser revisions are unknown"
	}
	root, err := s.browsersDir(dir)
	if err != nil {
		return false, "", err.Error()
	}
	names := []string{kind}
	if kind == "chromium" {
		names = []string{"chromium-headless-shell", "chromium"}
	}
	var looked []string
	for _, name := range names {
		for _, rev := range revs[name] {
			p := filepath.Join(root, strings.ReplaceAll(name, "-", "_")+"-"+rev)
			looked = append(looked, p)
			if _, err := os.Stat(filepath.Join(p, "INSTALLATION_COMPLETE")); err != nil {
				continue
			}
			if name == "chromium" {
				return true, chromiumExecutable(p), p
			}
			return true, "", p
		}
	}
	return false, "", "looked for " + strings.Join(looked, ", ")
}

// chromiumExecutable is the executable inside Playwright's Chromium
// download dir, or "" if it is not where Playwright 1.64 puts it (Chrome
// for Testing's layout, per platform).
func chromiumExecutable(dir string) string {
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	var p string
	switch runtime.GOOS {
	case "darwin":
		p = filepath.Join(dir, "chrome-mac-"+arch, "Google Chrome for Testing.app", "Contents", "MacOS", "Google Chrome for Testing")
	case "windows":
		p = filepath.Join(dir, "chrome-win64", "chrome.exe")
	default:
		p = filepath.Join(dir, "chrome-linux64", "chrome")
		if arch == "arm64" {
			p = filepath.Join(dir, "chrome-linux-arm64", "chrome")
		}
	}
	if isExecutable(p) != nil {
		return ""
	}
	return p
}

// browserRevisions reads the driver's browsers.json: for each browser
// name, its revision and any per-platform overrides.
func browserRevisions(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Browsers []struct {
			Name              string            `json:"name"`
			Revision          string            `json:"revision"`
			RevisionOverrides map[string]string `json:"revisionOverrides"`
		} `json:"browsers"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	revs := make(map[string][]string)
	for _, br := range doc.Browsers {
		revs[br.Name] = append(revs[br.Name], br.Revision)
		for _, r := range br.RevisionOverrides {
			if !slices.Contains(revs[br.Name], r) {
				revs[br.Name] = append(revs[br.Name], r)
			}
		}
	}
	return revs, nil
}

// browsersDir is where Playwright keeps its browsers (its registry
// directory): PLAYWRIGHT_BROWSERS_PATH ("0" meaning inside the driver
// package), else the platform cache directory + "ms-playwright".
func (s Settings) browsersDir(driverDir string) (string, error) {
	switch env := s.BrowsersPath; env {
	case "0":
		return filepath.Join(driverDir, "package", ".local-browsers"), nil
	case "":
	default:
		return filepath.Abs(env)
	}
	// os.UserCacheDir is Playwright's own rule: XDG_CACHE_HOME or
	// ~/.cache on Linux, ~/Library/Caches on macOS, %LocalAppData% on
	// Windows.
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("playwright browsers dir: %w: set PLAYWRIGHT_BROWSERS_PATH", err)
	}
	return filepath.Join(cache, "ms-playwright"), nil
}

// installBrowser runs the driver's `install <kind>` (Playwright's download)
// and looks again.
func (s Settings) installBrowser(ctx context.Context, dir, kind string, out io.Writer, log *slog.Logger) (string, error) {
	fmt.Fprintf(out, "agenttest: no %s found; downloading Playwright's %s\n", kind, kind)
	ctx, cancel := context.WithTimeout(ctx, installBrowserDownload)
	defer cancel()
	node := s.NodePath
	if node == "" {
		node = filepath.Join(dir, nodeName())
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "package", "cli.js"), "install", kind)
	cmd.WaitDelay = installWaitDelay
	if s.DownloadHost != "" { // else the driver reads it from the process, if anywhere
		cmd.Env = append(cmd.Environ(), "PLAYWRIGHT_DOWNLOAD_HOST="+s.DownloadHost)
	}
	var tail bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = io.MultiWriter(out, &tail)
	runErr := cmd.Run()
	if runErr == nil {
		browser, err := s.FindBrowser(kind)
		if err == nil {
			return browser, nil
		}
		runErr = err
	}
	why := fmt.Sprintf("%v: %s", runErr, errorLine(tail.String()))
	log.Info("playwright's browser download failed", "browser", kind, "err", why)
	if kind == "chromium" {
		return "", fmt.Errorf("install chromium: Playwright's download failed (%s): %s", why, aptHint)
	}
	return "", fmt.Errorf("install %s: Playwright's download failed (%s): run `%s --browser %s` on a machine that reaches Playwright's CDN, or set AGENTTEST_BROWSER_PATH", kind, why, installCommand, kind)
}
