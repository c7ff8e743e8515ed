package agenttest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/playwright-community/playwright-go"
)

// installCommand is the one command that provisions the driver and a browser.
const installCommand = "go run github.com/agenttest/agenttest/cmd/agenttest install"

// aptHint is what to do when no Chromium can be found or downloaded.
const aptHint = "install Debian's chromium (`apt-get install -y chromium`) or set AGENTTEST_BROWSER_PATH"

// Limits for the steps of Install that reach the network or run the driver.
const (
	installProbeTimeout    = 10 * time.Second // does playwright-go's download host answer?
	installDriverTimeout   = 5 * time.Minute  // playwright-go's download or npm pack
	installVerifyTimeout   = 30 * time.Second // `cli.js --version`
	installBrowserDownload = 15 * time.Minute // `cli.js install <browser>`
	// installWaitDelay bounds the wait for a killed command's output: a
	// child it started (Playwright downloads in one) may hold the pipes.
	installWaitDelay = 10 * time.Second
)

// systemChromiums are the executables FindBrowser looks for on PATH, in order.
var systemChromiums = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// DriverVersion returns the version of the Playwright driver (the Node.js
// package playwright-core) that playwright-go expects, e.g. "1.52.0".
func DriverVersion() string {
	// A set directory keeps NewDriver from looking up the home directory,
	// the only way it can fail.
	d, err := playwright.NewDriver(&playwright.RunOptions{DriverDirectory: os.TempDir()})
	if err != nil {
		return ""
	}
	return d.Version
}

// DriverDir returns the directory playwright-go runs its driver from:
// PLAYWRIGHT_DRIVER_PATH when set, otherwise playwright-go's default,
// <cache>/ms-playwright-go/<DriverVersion()> where <cache> is ~/.cache on
// Linux, ~/Library/Caches on macOS and %USERPROFILE%\AppData\Local on Windows.
func DriverDir() (string, error) {
	if dir := os.Getenv("PLAYWRIGHT_DRIVER_PATH"); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("agenttest: driver dir: %w: set PLAYWRIGHT_DRIVER_PATH", err)
	}
	var cache string
	switch runtime.GOOS {
	case "windows":
		cache = filepath.Join(home, "AppData", "Local")
	case "darwin":
		cache = filepath.Join(home, "Library", "Caches")
	default:
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "ms-playwright-go", DriverVersion()), nil
}

// CheckDriver reports whether the Playwright driver is installed at the
// version playwright-go expects, with a Node.js to run it (<dir>/node, or
// PLAYWRIGHT_NODEJS_PATH when set). It only looks at files: it downloads
// nothing and starts no process. The error names what is missing and the
// command that installs it.
func CheckDriver() error {
	dir, err := DriverDir()
	if err != nil {
		return err
	}
	return installCheckDriverIn(dir)
}

func installCheckDriverIn(dir string) error {
	want := DriverVersion()
	cli := filepath.Join(dir, "package", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return fmt.Errorf("agenttest: check playwright driver: %s not found (driver %s is not installed): run `%s`", cli, want, installCommand)
	}
	got, err := installPackageVersion(filepath.Join(dir, "package", "package.json"))
	if err != nil {
		return fmt.Errorf("agenttest: check playwright driver: %w: run `%s`", err, installCommand)
	}
	if got != want {
		return fmt.Errorf("agenttest: check playwright driver: %s holds version %s, playwright-go needs %s: remove it and run `%s`", dir, got, want, installCommand)
	}
	if node := os.Getenv("PLAYWRIGHT_NODEJS_PATH"); node != "" {
		if err := installIsExecutable(node); err != nil {
			return fmt.Errorf("agenttest: check playwright driver: PLAYWRIGHT_NODEJS_PATH: %w: point it at a Node.js binary or unset it", err)
		}
		return nil
	}
	if err := installIsExecutable(filepath.Join(dir, nodeName())); err != nil {
		return fmt.Errorf("agenttest: check playwright driver: no Node.js to run it: %w: run `%s` or set PLAYWRIGHT_NODEJS_PATH", err, installCommand)
	}
	return nil
}

// installPackageVersion reads the "version" of a package.json.
func installPackageVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read driver version: %w", err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", fmt.Errorf("read driver version from %s: %w", path, err)
	}
	return pkg.Version, nil
}

// installIsExecutable reports why path is not an executable file (symlinks followed).
func installIsExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

func nodeName() string {
	if runtime.GOOS == "windows" {
		return "node.exe"
	}
	return "node"
}

// FindBrowser returns the executable to launch for a browser kind:
// "chromium" (also when kind is ""), "firefox" or "webkit". In order:
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
func FindBrowser(kind string) (string, error) {
	kind, err := installBrowserKind(kind)
	if err != nil {
		return "", fmt.Errorf("agenttest: find browser: %w", err)
	}
	if p := os.Getenv("AGENTTEST_BROWSER_PATH"); p != "" {
		if err := installIsExecutable(p); err != nil {
			return "", fmt.Errorf("agenttest: find browser %s: AGENTTEST_BROWSER_PATH: %w: point it at a browser executable or unset it", kind, err)
		}
		return p, nil
	}
	found, exe, where := installPlaywrightBrowser(kind)
	if found {
		return exe, nil
	}
	if kind != "chromium" {
		return "", fmt.Errorf("agenttest: find browser %s: Playwright's %s is not installed (%s): run `%s --browser %s` or set AGENTTEST_BROWSER_PATH", kind, kind, where, installCommand, kind)
	}
	for _, name := range systemChromiums {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("agenttest: find browser chromium: AGENTTEST_BROWSER_PATH is unset, Playwright's chromium is not installed (%s), and none of %s is on PATH: %s",
		where, strings.Join(systemChromiums, ", "), aptHint)
}

func installBrowserKind(kind string) (string, error) {
	switch kind {
	case "":
		return "chromium", nil
	case "chromium", "firefox", "webkit":
		return kind, nil
	}
	return "", fmt.Errorf("unknown browser %q: use chromium, firefox or webkit", kind)
}

// installPlaywrightBrowser looks for Playwright's own complete download of
// kind at a revision the installed driver pins. exe is "" when Playwright's
// default launch finds it: always, except for a full Chromium without the
// headless shell (which headless launches use), whose executable it
// returns. where says what was looked for.
func installPlaywrightBrowser(kind string) (found bool, exe, where string) {
	dir, err := DriverDir()
	if err != nil {
		return false, "", err.Error()
	}
	revs, err := installBrowserRevisions(filepath.Join(dir, "package", "browsers.json"))
	if err != nil {
		return false, "", "the driver is not installed, so its browser revisions are unknown"
	}
	root, err := installBrowsersDir(dir)
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
				return true, installChromiumExecutable(p), p
			}
			return true, "", p
		}
	}
	return false, "", "looked for " + strings.Join(looked, ", ")
}

// installChromiumExecutable is the executable inside Playwright's Chromium
// download dir, or "" if it is not where Playwright 1.52 puts it.
func installChromiumExecutable(dir string) string {
	var p string
	switch runtime.GOOS {
	case "darwin":
		p = filepath.Join(dir, "chrome-mac", "Chromium.app", "Contents", "MacOS", "Chromium")
	case "windows":
		p = filepath.Join(dir, "chrome-win", "chrome.exe")
	default:
		p = filepath.Join(dir, "chrome-linux", "chrome")
	}
	if installIsExecutable(p) != nil {
		return ""
	}
	return p
}

// installBrowserRevisions reads the driver's browsers.json: for each browser
// name, its revision and any per-platform overrides.
func installBrowserRevisions(path string) (map[string][]string, error) {
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

// installBrowsersDir is where Playwright keeps its browsers (its registry
// directory): PLAYWRIGHT_BROWSERS_PATH ("0" meaning inside the driver
// package), else the platform cache directory + "ms-playwright".
func installBrowsersDir(driverDir string) (string, error) {
	switch env := os.Getenv("PLAYWRIGHT_BROWSERS_PATH"); env {
	case "0":
		return filepath.Join(driverDir, "package", ".local-browsers"), nil
	case "":
	default:
		return filepath.Abs(env)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("agenttest: playwright browsers dir: %w: set PLAYWRIGHT_BROWSERS_PATH", err)
	}
	cache := filepath.Join(home, ".cache")
	switch runtime.GOOS {
	case "darwin":
		cache = filepath.Join(home, "Library", "Caches")
	case "windows":
		cache = os.Getenv("LOCALAPPDATA")
		if cache == "" {
			cache = filepath.Join(home, "AppData", "Local")
		}
	default:
		if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
			cache = x
		}
	}
	return filepath.Join(cache, "ms-playwright"), nil
}

// InstallOptions configures Install. The zero value installs the driver and
// Chromium quietly.
type InstallOptions struct {
	// Browser is the browser to provide: "chromium" (the default when
	// empty), "firefox" or "webkit".
	Browser string
	// Stdout receives progress lines, the output of the driver's browser
	// download, and the final "ready" line. Nil discards them.
	Stdout io.Writer
	// Logger receives why a download attempt failed before the next one is
	// tried. Nil discards.
	Logger *slog.Logger
}

// Install makes the machine ready to run agenttest's browser: the
// Playwright driver that playwright-go expects and a browser of the chosen
// kind. It is idempotent; on a ready machine it only checks files and prints
// one "ready" line.
//
// The driver is first downloaded the way playwright-go does it (when its
// download host answers within a few seconds), else built from the npm
// registry (`npm pack playwright-core@<DriverVersion()>`, which needs node
// and npm on PATH). Either way it is unpacked beside the driver directory
// and renamed into place, so a failed install leaves nothing half-written,
// and is verified with `cli.js --version`.
//
// The browser is whatever FindBrowser finds; failing that, the driver's own
// `install <browser>` download is tried. When that fails too, the error
// says to install Debian's chromium or to set AGENTTEST_BROWSER_PATH.
func Install(ctx context.Context, opts InstallOptions) error {
	kind, err := installBrowserKind(opts.Browser)
	if err != nil {
		return fmt.Errorf("agenttest: install: %w", err)
	}
	out := opts.Stdout
	if out == nil {
		out = io.Discard
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := DriverDir()
	if err != nil {
		return err
	}
	if err := installCheckDriverIn(dir); err != nil {
		log.Info("installing playwright driver", "dir", dir, "reason", err)
		if err := installDriver(ctx, dir, out, log); err != nil {
			return err
		}
	}
	browser, err := FindBrowser(kind)
	if err != nil {
		log.Info("downloading browser with the playwright driver", "browser", kind, "reason", err)
		if browser, err = installBrowser(ctx, dir, kind, out, log); err != nil {
			return err
		}
	}
	if browser == "" {
		browser = "Playwright's own " + kind
	}
	fmt.Fprintf(out, "agenttest: ready: playwright driver %s in %s, browser %s\n", DriverVersion(), dir, browser)
	return nil
}

// installDriver puts a verified driver into dir.
func installDriver(ctx context.Context, dir string, out io.Writer, log *slog.Logger) error {
	version := DriverVersion()
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("agenttest: install playwright driver: %w", err)
	}
	// Unpack beside dir so the final rename stays on one file system.
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("agenttest: install playwright driver: %w", err)
	}
	defer os.RemoveAll(tmp)                      // gone after a successful rename; cleans up otherwise
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return fmt.Errorf("agenttest: install playwright driver: %w", err)
	}

	fmt.Fprintf(out, "agenttest: installing playwright driver %s into %s\n", version, dir)
	if err := installDriverPlaywright(ctx, tmp); err != nil {
		log.Info("playwright-go's driver download failed; trying npm", "err", err)
		if err := installEmptyDir(tmp); err != nil {
			return fmt.Errorf("agenttest: install playwright driver: %w", err)
		}
		fmt.Fprintf(out, "agenttest: playwright's download is unavailable; building the driver from npm (playwright-core@%s)\n", version)
		if err := installDriverNPM(ctx, tmp, version); err != nil {
			return err
		}
	}
	if err := installVerifyDriver(ctx, tmp, version); err != nil {
		return err
	}
	if err := installPlace(tmp, dir); err != nil {
		// Another installer may have won the race with a good driver.
		if installCheckDriverIn(dir) == nil {
			return nil
		}
		return err
	}
	return installCheckDriverIn(dir)
}

// installDriverPlaywright downloads the driver into tmp with playwright-go,
// but only when its download host answers within installProbeTimeout:
// playwright-go's own download takes no context and can hang for minutes on
// a network that drops packets.
func installDriverPlaywright(ctx context.Context, tmp string) error {
	if err := installProbeDriverHost(ctx); err != nil {
		return err
	}
	err := playwright.Install(&playwright.RunOptions{
		DriverDirectory:     tmp,
		SkipInstallBrowsers: true,
		Stdout:              io.Discard,
	})
	// playwright-go downloads with http.Get; close the connection it leaves
	// idle so that its goroutines end with the download.
	http.DefaultClient.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("download playwright driver: %w", err)
	}
	return nil
}

// installProbeDriverHost asks playwright-go's download hosts (mirroring
// playwright-go v0.5200.1 run.go: PLAYWRIGHT_DOWNLOAD_HOST, else its three
// CDN mirrors) whether the driver archive exists.
func installProbeDriverHost(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, installProbeTimeout)
	defer cancel()
	platform := map[string]string{"windows": "win32_x64", "darwin": "mac", "linux": "linux"}[runtime.GOOS]
	if runtime.GOARCH == "arm64" && runtime.GOOS != "windows" {
		platform += "-arm64"
	}
	hosts := []string{"https://playwright.azureedge.net", "https://playwright-akamai.azureedge.net", "https://playwright-verizon.azureedge.net"}
	if h := os.Getenv("PLAYWRIGHT_DOWNLOAD_HOST"); h != "" {
		hosts = []string{h}
	}
	// A transport of our own, so no idle connection outlives the probe.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var errs []error
	for _, h := range hosts {
		url := fmt.Sprintf("%s/builds/driver/playwright-%s-%s.zip", h, DriverVersion(), platform)
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		resp, err := client.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		errs = append(errs, fmt.Errorf("HEAD %s: %s", url, resp.Status))
	}
	return fmt.Errorf("probe playwright driver download: %w", errors.Join(errs...))
}

// installDriverNPM builds the driver in tmp from the npm registry: the
// playwright-core package as tmp/package and tmp/node linking to the node
// on PATH.
func installDriverNPM(ctx context.Context, tmp, version string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("agenttest: install playwright driver: playwright's download failed and npm is not on PATH: install Node.js and npm (`apt-get install -y nodejs npm`)")
	}
	node, err := exec.LookPath("node")
	if err != nil && os.Getenv("PLAYWRIGHT_NODEJS_PATH") == "" {
		return fmt.Errorf("agenttest: install playwright driver: node is not on PATH: install Node.js (`apt-get install -y nodejs`) or set PLAYWRIGHT_NODEJS_PATH")
	}
	packDir, err := os.MkdirTemp("", "agenttest-npm-pack-")
	if err != nil {
		return fmt.Errorf("agenttest: install playwright driver: %w", err)
	}
	defer os.RemoveAll(packDir)

	ctx, cancel := context.WithTimeout(ctx, installDriverTimeout)
	defer cancel()
	spec := "playwright-core@" + version
	// --prefer-offline: a version is immutable, so npm's cache (warm after
	// a first install) serves it without asking the registry again.
	cmd := exec.CommandContext(ctx, npm, "pack", spec, "--pack-destination", packDir, "--silent", "--prefer-offline")
	cmd.Dir = packDir
	cmd.WaitDelay = installWaitDelay
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("agenttest: install playwright driver: npm pack %s: %w: %s", spec, err, installErrorLine(stderr.String()))
	}
	tarballs, _ := filepath.Glob(filepath.Join(packDir, "*.tgz"))
	if len(tarballs) != 1 {
		return fmt.Errorf("agenttest: install playwright driver: npm pack %s left %d tarballs in %s, want 1", spec, len(tarballs), packDir)
	}
	if err := installUntar(tarballs[0], tmp); err != nil {
		return fmt.Errorf("agenttest: install playwright driver: unpack %s: %w", filepath.Base(tarballs[0]), err)
	}
	if node != "" {
		if err := os.Symlink(node, filepath.Join(tmp, nodeName())); err != nil {
			return fmt.Errorf("agenttest: install playwright driver: link node: %w", err)
		}
	}
	return nil
}

// installUntar extracts the regular files and directories of a .tgz into
// dst, refusing paths that leave it.
func installUntar(tgz, dst string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("refusing path %q", hdr.Name)
		}
		target := filepath.Join(dst, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := installWriteFile(target, tr, os.FileMode(hdr.Mode).Perm()|0o644); err != nil {
				return err
			}
		}
	}
}

func installWriteFile(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// installVerifyDriver runs `<dir>/node <dir>/package/cli.js --version` (or
// PLAYWRIGHT_NODEJS_PATH's node) and checks the version it prints.
func installVerifyDriver(ctx context.Context, dir, version string) error {
	ctx, cancel := context.WithTimeout(ctx, installVerifyTimeout)
	defer cancel()
	node := os.Getenv("PLAYWRIGHT_NODEJS_PATH")
	if node == "" {
		node = filepath.Join(dir, nodeName())
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "package", "cli.js"), "--version")
	cmd.WaitDelay = installWaitDelay
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("agenttest: install playwright driver: verify with --version: %w: %s", err, installErrorLine(string(out)))
	}
	if !strings.Contains(string(out), "Version "+version) {
		return fmt.Errorf("agenttest: install playwright driver: the new driver says %q, want \"Version %s\": remove %s and run `%s`", strings.TrimSpace(string(out)), version, dir, installCommand)
	}
	return nil
}

// installPlace renames tmp to dir. An existing dir is replaced only when
// it is empty or looks like a driver (holds nothing but node and package).
func installPlace(tmp, dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("agenttest: install playwright driver: %w", err)
	default:
		for _, e := range entries {
			if e.Name() != "node" && e.Name() != "node.exe" && e.Name() != "package" {
				return fmt.Errorf("agenttest: install playwright driver: %s holds %s, which is not a playwright driver: empty it or set PLAYWRIGHT_DRIVER_PATH to another directory", dir, e.Name())
			}
		}
		old, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".old-")
		if err != nil {
			return fmt.Errorf("agenttest: install playwright driver: %w", err)
		}
		defer os.RemoveAll(old)
		if err := os.Rename(dir, filepath.Join(old, "driver")); err != nil {
			return fmt.Errorf("agenttest: install playwright driver: move the broken driver aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("agenttest: install playwright driver: %w", err)
	}
	return nil
}

// installEmptyDir removes everything inside dir.
func installEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// installBrowser runs the driver's `install <kind>` (Playwright's download)
// and looks again.
func installBrowser(ctx context.Context, dir, kind string, out io.Writer, log *slog.Logger) (string, error) {
	fmt.Fprintf(out, "agenttest: no %s found; downloading Playwright's %s\n", kind, kind)
	ctx, cancel := context.WithTimeout(ctx, installBrowserDownload)
	defer cancel()
	node := os.Getenv("PLAYWRIGHT_NODEJS_PATH")
	if node == "" {
		node = filepath.Join(dir, nodeName())
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "package", "cli.js"), "install", kind)
	cmd.WaitDelay = installWaitDelay
	var tail bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = io.MultiWriter(out, &tail)
	runErr := cmd.Run()
	if runErr == nil {
		browser, err := FindBrowser(kind)
		if err == nil {
			return browser, nil
		}
		runErr = err
	}
	why := fmt.Sprintf("%v: %s", runErr, installErrorLine(tail.String()))
	log.Info("playwright's browser download failed", "browser", kind, "err", why)
	if kind == "chromium" {
		return "", fmt.Errorf("agenttest: install chromium: Playwright's download failed (%s): %s", why, aptHint)
	}
	return "", fmt.Errorf("agenttest: install %s: Playwright's download failed (%s): run `%s --browser %s` on a machine that reaches Playwright's CDN, or set AGENTTEST_BROWSER_PATH", kind, why, installCommand, kind)
}

// installErrorLine picks the line of a driver's output that says what went
// wrong: the first "Error: …" line, else the last non-empty line.
func installErrorLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "Error:") {
			return l
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
