package provision

import (
	"archive/tar"
	"bytes"
	"cmp"
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
	"strings"

	"github.com/mxschmitt/playwright-go"
)

// installCommand is the one command that provisions the driver and a browser.
const installCommand = "go run github.com/agenttest/agenttest/cmd/agenttest install"

// DriverVersion returns the version of the Playwright driver (the Node.js
// package playwright-core) that playwright-go expects, e.g. "1.64.1".
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
func (s Settings) DriverDir() (string, error) {
	if dir := s.DriverPath; dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("driver dir: %w: set PLAYWRIGHT_DRIVER_PATH", err)
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
func (s Settings) CheckDriver() error {
	dir, err := s.DriverDir()
	if err != nil {
		return err
	}
	return s.checkDriverIn(dir)
}

func (s Settings) checkDriverIn(dir string) error {
	want := DriverVersion()
	cli := filepath.Join(dir, "package", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return fmt.Errorf("check playwright driver: %s not found (driver %s is not installed): run `%s`", cli, want, installCommand)
	}
	got, err := packageVersion(filepath.Join(dir, "package", "package.json"))
	if err != nil {
		return fmt.Errorf("check playwright driver: %w: run `%s`", err, installCommand)
	}
	if got != want {
		return fmt.Errorf("check playwright driver: %s holds version %s, playwright-go needs %s: remove it and run `%s`", dir, got, want, installCommand)
	}
	if node := s.NodePath; node != "" {
		if err := isExecutable(node); err != nil {
			return fmt.Errorf("check playwright driver: PLAYWRIGHT_NODEJS_PATH: %w: point it at a Node.js binary or unset it", err)
		}
		return nil
	}
	if err := isExecutable(filepath.Join(dir, nodeName())); err != nil {
		return fmt.Errorf("check playwright driver: no Node.js to run it: %w: run `%s` or set PLAYWRIGHT_NODEJS_PATH", err, installCommand)
	}
	return nil
}

// packageVersion reads the "version" of a package.json.
func packageVersion(path string) (string, error) {
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

// isExecutable reports why path is not an executable file (symlinks followed).
func isExecutable(path string) error {
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

// installDriver puts a verified driver into dir.
func (s Settings) installDriver(ctx context.Context, dir string, out io.Writer, log *slog.Logger) error {
	version := DriverVersion()
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("install playwright driver: %w", err)
	}
	// Unpack beside dir so the final rename stays on one file system.
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("install playwright driver: %w", err)
	}
	defer os.RemoveAll(tmp)                      // gone after a successful rename; cleans up otherwise
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return fmt.Errorf("install playwright driver: %w", err)
	}

	fmt.Fprintf(out, "agenttest: installing playwright driver %s into %s\n", version, dir)
	if err := s.downloadDriver(ctx, tmp); err != nil {
		log.Info("playwright-go's driver download failed; trying npm pack", "err", err)
		if err := emptyDir(tmp); err != nil {
			return fmt.Errorf("install playwright driver: %w", err)
		}
		fmt.Fprintf(out, "agenttest: playwright-go's download (the npm registry, nodejs.org) is unavailable; building the driver with npm pack playwright-core@%s and the node on PATH\n", version)
		if err := s.packDriverNPM(ctx, tmp, version); err != nil {
			return err
		}
		if err := s.verifyDriver(ctx, tmp, version); err != nil {
			return err
		}
		if err := patchDriver(tmp); err != nil {
			return err
		}
	} else if err := s.verifyDriver(ctx, tmp, version); err != nil {
		return err
	}
	if err := place(tmp, dir); err != nil {
		// Another installer may have won the race with a good driver.
		if s.checkDriverIn(dir) == nil {
			return nil
		}
		return err
	}
	return s.checkDriverIn(dir)
}

// downloadDriver downloads the driver into tmp with playwright-go, but
// only when its download hosts answer within installProbeTimeout:
// playwright-go's own download takes no context and can hang for minutes
// on a network that drops packets.
func (s Settings) downloadDriver(ctx context.Context, tmp string) error {
	if err := s.probeDriverHosts(ctx); err != nil {
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

// probeDriverHosts asks the hosts playwright-go downloads its driver from
// whether they answer: the npm registry for the playwright-core archive
// (PLAYWRIGHT_GO_NPM_REGISTRY), and nodejs.org for a Node.js (NODE_MIRROR),
// which playwright-go skips when PLAYWRIGHT_NODEJS_PATH is set. This
// mirrors playwright-go v0.6401.0's run.go.
func (s Settings) probeDriverHosts(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, installProbeTimeout)
	defer cancel()
	registry := cmp.Or(s.NPMRegistry, "https://registry.npmjs.org")
	v := DriverVersion()
	urls := []string{fmt.Sprintf("%s/playwright-core/-/playwright-core-%s.tgz", strings.TrimRight(registry, "/"), v)}
	if s.NodePath == "" {
		// The Node.js version playwright-go wants is not exported: ask
		// whether the host answers at all.
		urls = append(urls, strings.TrimRight(cmp.Or(s.NodeMirror, "https://nodejs.org/dist"), "/")+"/")
	}
	// A transport of our own, so no idle connection outlives the probe.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for i, url := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
		if err != nil {
			return fmt.Errorf("probe playwright driver download: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("probe playwright driver download: %w", err)
		}
		resp.Body.Close()
		// The archive must be there; the Node.js host need only answer.
		if i == 0 && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("probe playwright driver download: HEAD %s: %s", url, resp.Status)
		}
	}
	return nil
}

// packDriverNPM builds the driver in tmp from the npm registry: the
// playwright-core package as tmp/package and tmp/node linking to the node
// on PATH.
func (s Settings) packDriverNPM(ctx context.Context, tmp, version string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("install playwright driver: playwright's download failed and npm is not on PATH: install Node.js and npm (`apt-get install -y nodejs npm`)")
	}
	node, err := exec.LookPath("node")
	if err != nil && s.NodePath == "" {
		return fmt.Errorf("install playwright driver: node is not on PATH: install Node.js (`apt-get install -y nodejs`) or set PLAYWRIGHT_NODEJS_PATH")
	}
	packDir, err := os.MkdirTemp("", "agenttest-npm-pack-")
	if err != nil {
		return fmt.Errorf("install playwright driver: %w", err)
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
		return fmt.Errorf("install playwright driver: npm pack %s: %w: %s", spec, err, errorLine(stderr.String()))
	}
	tarballs, _ := filepath.Glob(filepath.Join(packDir, "*.tgz"))
	if len(tarballs) != 1 {
		return fmt.Errorf("install playwright driver: npm pack %s left %d tarballs in %s, want 1", spec, len(tarballs), packDir)
	}
	if err := untar(tarballs[0], tmp); err != nil {
		return fmt.Errorf("install playwright driver: unpack %s: %w", filepath.Base(tarballs[0]), err)
	}
	if node != "" {
		if err := os.Symlink(node, filepath.Join(tmp, nodeName())); err != nil {
			return fmt.Errorf("install playwright driver: link node: %w", err)
		}
	}
	return nil
}

// patchDriver makes the fixes to a verified driver in dir that
// playwright-go makes to the driver it downloads (v0.6401.0: a guard in
// coreBundle.js for page errors without a location), so that a driver
// built by npm pack runs as a downloaded one does. On a driver of the
// right version, playwright-go's DownloadDriver downloads nothing.
func patchDriver(dir string) error {
	d, err := playwright.NewDriver(&playwright.RunOptions{DriverDirectory: dir, SkipInstallBrowsers: true, Stdout: io.Discard})
	if err != nil {
		return fmt.Errorf("install playwright driver: patch: %w", err)
	}
	if err := d.DownloadDriver(); err != nil {
		return fmt.Errorf("install playwright driver: patch: %w", err)
	}
	return nil
}

// untar extracts the regular files and directories of a .tgz into
// dst, refusing paths that leave it.
func untar(tgz, dst string) error {
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
			if err := writeFile(target, tr, os.FileMode(hdr.Mode).Perm()|0o644); err != nil {
				return err
			}
		}
	}
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
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

// verifyDriver runs `<dir>/node <dir>/package/cli.js --version` (or
// PLAYWRIGHT_NODEJS_PATH's node) and checks the version it prints.
func (s Settings) verifyDriver(ctx context.Context, dir, version string) error {
	ctx, cancel := context.WithTimeout(ctx, installVerifyTimeout)
	defer cancel()
	node := s.NodePath
	if node == "" {
		node = filepath.Join(dir, nodeName())
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "package", "cli.js"), "--version")
	cmd.WaitDelay = installWaitDelay
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("install playwright driver: verify with --version: %w: %s", err, errorLine(string(out)))
	}
	if !strings.Contains(string(out), "Version "+version) {
		return fmt.Errorf("install playwright driver: the new driver says %q, want \"Version %s\": remove %s and run `%s`", strings.TrimSpace(string(out)), version, dir, installCommand)
	}
	return nil
}

// place renames tmp to dir. An existing dir is replaced only when
// it is empty or looks like a driver (holds nothing but node and package).
func place(tmp, dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("install playwright driver: %w", err)
	default:
		for _, e := range entries {
			if e.Name() != "node" && e.Name() != "node.exe" && e.Name() != "package" {
				return fmt.Errorf("install playwright driver: %s holds %s, which is not a playwright driver: empty it or set PLAYWRIGHT_DRIVER_PATH to another directory", dir, e.Name())
			}
		}
		old, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".old-")
		if err != nil {
			return fmt.Errorf("install playwright driver: %w", err)
		}
		defer os.RemoveAll(old)
		if err := os.Rename(dir, filepath.Join(old, "driver")); err != nil {
			return fmt.Errorf("install playwright driver: move the broken driver aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("install playwright driver: %w", err)
	}
	return nil
}

// emptyDir removes everything inside dir.
func emptyDir(dir string) error {
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
