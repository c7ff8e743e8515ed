package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// installIsolated points the driver and browser lookups at empty temp
// directories.
func installIsolated(t *testing.T) {
	t.Helper()
	t.Setenv("PLAYWRIGHT_DRIVER_PATH", t.TempDir())
	t.Setenv("PLAYWRIGHT_BROWSERS_PATH", t.TempDir())
	t.Setenv("PLAYWRIGHT_NODEJS_PATH", "")
	t.Setenv("AGENTTEST_BROWSER_PATH", "")
	t.Setenv("PATH", t.TempDir())
}

func TestInstallCheckReportsWhatIsMissing(t *testing.T) {
	installIsolated(t)
	code, stdout, stderr := runCLI(t, "install", "--check")
	if code != 1 {
		t.Fatalf("install --check on an empty machine: exit %d, want 1", code)
	}
	if !strings.Contains(stdout, "driver: missing: ") || !strings.Contains(stdout, "browser chromium: missing: ") {
		t.Errorf("install --check printed %q, want a missing line for the driver and the browser", stdout)
	}
	if !strings.Contains(oneLineOf(t, stderr), "agenttest install") {
		t.Errorf("install --check stderr %q, want the fix", stderr)
	}

	browser := filepath.Join(t.TempDir(), "chromium")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AGENTTEST_BROWSER_PATH", browser)
	code, stdout, _ = runCLI(t, "install", "--check", "--only", "browser")
	if code != 0 || stdout != "browser chromium: ok: "+browser+"\n" {
		t.Fatalf("install --check --only browser: exit %d, stdout %q; want 0 and the browser", code, stdout)
	}
	// A full Chromium and a headless shell on PATH: the line names both.
	t.Setenv("AGENTTEST_BROWSER_PATH", "")
	pathDir := t.TempDir()
	t.Setenv("PATH", pathDir)
	for _, name := range []string{"chromium", "chromium-headless-shell"} {
		if err := os.WriteFile(filepath.Join(pathDir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, _ = runCLI(t, "install", "--check", "--only", "browser")
	want := "browser chromium: ok: " + filepath.Join(pathDir, "chromium") + " (headless runs: " + filepath.Join(pathDir, "chromium-headless-shell") + ")\n"
	if code != 0 || stdout != want {
		t.Fatalf("install --check --only browser with a headless shell: exit %d, stdout %q; want 0 and %q", code, stdout, want)
	}
	code, stdout, _ = runCLI(t, "install", "--check", "--only", "driver")
	if code != 1 || strings.Contains(stdout, "browser") {
		t.Fatalf("install --check --only driver: exit %d, stdout %q; want 1 and only the driver", code, stdout)
	}
}

// The fix a failed check advises repeats the browser it checked.
func TestInstallCheckAdvisesTheSameFlags(t *testing.T) {
	installIsolated(t)
	for args, want := range map[string]string{
		"--browser firefox":               "agenttest install: not ready: run `agenttest install --browser firefox`",
		"--browser webkit --only browser": "agenttest install: not ready: run `agenttest install --browser webkit`",
		"":                                "agenttest install: not ready: run `agenttest install`",
	} {
		code, _, stderr := runCLI(t, append([]string{"install", "--check"}, strings.Fields(args)...)...)
		if line := oneLineOf(t, stderr); code != 1 || line != want {
			t.Errorf("install --check %s: exit %d, stderr %q; want 1 and %q", args, code, line, want)
		}
	}
}
