package provision

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Limits for the steps of Install that reach the network or run the driver.
const (
	installProbeTimeout    = 10 * time.Second // do playwright-go's download hosts answer?
	installDriverTimeout   = 5 * time.Minute  // playwright-go's download or npm pack
	installVerifyTimeout   = 30 * time.Second // `cli.js --version`
	installBrowserDownload = 15 * time.Minute // `cli.js install <browser>`
	// installWaitDelay bounds the wait for a killed command's output: a
	// child it started (Playwright downloads in one) may hold the pipes.
	installWaitDelay = 10 * time.Second
)

// Options configures Install. The zero value installs the driver and
// Chromium quietly.
type Options struct {
	// Settings say where the driver and browsers are; see [Load].
	Settings Settings
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
// The driver is first downloaded the way playwright-go does it
// (playwright-core from the npm registry, a Node.js from nodejs.org), when
// those hosts answer within a few seconds; else it is built with
// `npm pack playwright-core@<DriverVersion()>` and the node on PATH. Either way it is unpacked beside the driver directory
// and renamed into place, so a failed install leaves nothing half-written,
// and is verified with `cli.js --version`.
//
// The browser is whatever FindBrowser finds; failing that, the driver's own
// `install <browser>` download is tried. When that fails too, the error
// says to install Debian's chromium or to set AGENTTEST_BROWSER_PATH.
func Install(ctx context.Context, opts Options) error {
	s := opts.Settings
	kind, err := browserKind(opts.Browser)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	out := opts.Stdout
	if out == nil {
		out = io.Discard
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := s.DriverDir()
	if err != nil {
		return err
	}
	if err := s.checkDriverIn(dir); err != nil {
		log.Info("installing playwright driver", "dir", dir, "reason", err)
		if err := s.installDriver(ctx, dir, out, log); err != nil {
			return err
		}
	}
	browser, err := s.FindBrowser(kind)
	if err != nil {
		log.Info("downloading browser with the playwright driver", "browser", kind, "reason", err)
		if browser, err = s.installBrowser(ctx, dir, kind, out, log); err != nil {
			return err
		}
	}
	if browser == "" {
		browser = "Playwright's own " + kind
	} else {
		browser += s.HeadlessNote(kind, browser)
	}
	fmt.Fprintf(out, "agenttest: ready: playwright driver %s in %s, browser %s\n", DriverVersion(), dir, browser)
	return nil
}

// errorLine picks the line of a driver's output that says what went
// wrong: the first "Error: …" line, else the last non-empty line.
func errorLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "Error:") {
			return l
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
