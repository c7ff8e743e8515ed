package main

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
)

func runShowTrace(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `It runs the trace viewer of the Playwright driver agenttest installed (node
<driver>/package/cli.js show-trace), no npx needed. Without --port or --host
it opens the viewer in a window of Playwright's own Chromium; when that is
not installed (agenttest found another browser) it serves the viewer on
127.0.0.1 instead. With --port or --host it serves the viewer over HTTP, prints
"Listening on URL" and asks the desktop to open it; it serves until SIGINT.
The viewer gets only the environment it needs (PATH, HOME, locale, display,
PLAYWRIGHT_*): no Clerk key or other secret of this shell.`)
	port := fs.String("port", "", "serve the viewer over HTTP on this `port` (0: any free port)")
	host := fs.String("host", "", "serve the viewer over HTTP on this `host` (e.g. 127.0.0.1)")
	if err := parseFlags(fs, args, "FILE"); err != nil {
		return err
	}
	if *port != "" {
		if n, err := strconv.Atoi(*port); err != nil || n < 0 || n > 65535 {
			return usagef(fs, "--port is %q, want a number from 0 to 65535", *port)
		}
	}
	file, err := checkTraceFile(fs.Arg(0))
	if err != nil {
		return err
	}
	env, err := config.LoadEnv()
	if err != nil {
		return err
	}
	s := provision.Load(env)
	if err := s.CheckDriver(); err != nil {
		return err
	}
	view := viewerOptions{Host: *host, Port: *port}
	if view.Host == "" && view.Port == "" {
		// The window needs Playwright's own Chromium: FindBrowser returns
		// "" for it, a path for any other browser.
		if exe, err := s.FindBrowser("chromium"); err != nil || exe != "" {
			fmt.Fprintln(stderr, "agenttest show-trace: Playwright's own Chromium is not installed, so the viewer is served over HTTP: open the URL below in a browser")
			view = viewerOptions{Host: "127.0.0.1", Port: "0"}
		}
	}
	cmd, err := traceViewerCommand(ctx, s, view, file, nil)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil // stopped by SIGINT or SIGTERM, as documented
		}
		return fmt.Errorf("the trace viewer (node %s show-trace) failed: %w: see its output above", filepath.Join("<driver>", "package", "cli.js"), err)
	}
	return nil
}

// viewerOptions are show-trace's --host and --port, empty when not given.
type viewerOptions struct{ Host, Port string }

// checkTraceFile returns the absolute path of a Playwright trace, or an
// error saying why the file is not one.
func checkTraceFile(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("trace %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("trace %s does not exist: give the trace.zip a failed test saved (see its log, or test-results/)", path)
	case err != nil:
		return "", fmt.Errorf("trace %s: %w", path, err)
	case st.IsDir():
		return "", fmt.Errorf("trace %s is a directory: give the trace.zip inside it", path)
	}
	zr, err := zip.OpenReader(abs)
	if err != nil {
		return "", fmt.Errorf("trace %s is not a zip file (%v): give a trace.zip that Playwright recorded", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".trace") {
			return abs, nil
		}
	}
	return "", fmt.Errorf("trace %s is a zip without a .trace entry: not a Playwright trace", path)
}

// traceViewerCommand is the driver's show-trace command for file, with an
// environment built from environ (nil: this process's, passed through)
// keeping only what Node.js, the viewer and its browser need: no secret
// of the calling shell reaches it. When ctx
// ends the driver gets SIGINT: it closes its browser and exits.
func traceViewerCommand(ctx context.Context, s provision.Settings, view viewerOptions, file string, environ []string) (*exec.Cmd, error) {
	dir, err := s.DriverDir()
	if err != nil {
		return nil, err
	}
	node := s.NodePath
	if node == "" {
		node = filepath.Join(dir, "node")
		if runtime.GOOS == "windows" {
			node += ".exe"
		}
	}
	args := []string{filepath.Join(dir, "package", "cli.js"), "show-trace"}
	if view.Host != "" {
		args = append(args, "--host", view.Host)
	}
	if view.Port != "" {
		args = append(args, "--port", view.Port)
	}
	args = append(args, file)
	cmd := exec.CommandContext(ctx, node, args...)
	if environ == nil {
		environ = cmd.Environ()
	}
	cmd.Env = viewerEnv(s, environ)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	return cmd, nil
}

// viewerEnv keeps the variables of environ that Node.js, a browser and a
// desktop's opener read, and sets the driver's own from s (which may come
// from .env files rather than the process).
func viewerEnv(s provision.Settings, environ []string) []string {
	keep := func(name string) bool {
		switch strings.ToUpper(name) {
		case "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TEMP", "TMP", "LANG", "LANGUAGE", "TZ",
			"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS", "BROWSER",
			"SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "PROGRAMFILES":
			return true
		}
		for _, prefix := range []string{"LC_", "XDG_", "PLAYWRIGHT_"} {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		}
		return false
	}
	var env []string
	for _, kv := range environ {
		if name, _, ok := strings.Cut(kv, "="); ok && keep(name) {
			env = append(env, kv)
		}
	}
	for _, v := range [][2]string{
		{config.VarDriverPath, s.DriverPath},
		{config.VarNodePath, s.NodePath},
		{config.VarBrowsersPath, s.BrowsersPath},
	} {
		if v[1] != "" {
			env = append(env, v[0]+"="+v[1])
		}
	}
	return env
}
