package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/agenttest/agenttest/internal/shellword"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
)

func runInstall(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `Without --check it installs what is missing: the driver through playwright-go's
download (playwright-core from the npm registry, Node.js from nodejs.org), else
with npm pack playwright-core and the node on PATH; the browser found by FindBrowser
(AGENTTEST_BROWSER_PATH, Playwright's own, chromium or chrome on PATH), else
Playwright's download; what it prints names the headless shell that headless
runs launch when one is on PATH beside it (chromium-headless-shell). With
--check it only reports, and exits 1 when something is missing.`)
	browser := fs.String("browser", "chromium", "the browser to provide: chromium, firefox or webkit")
	check := fs.Bool("check", false, "only report what is missing; exit 1 when anything is")
	only := fs.String("only", "", "with --check, check only the `driver` or only the browser")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	switch *only {
	case "", "driver", "browser":
	default:
		return usagef(fs, "--only is %q, want driver or browser", *only)
	}
	if *only != "" && !*check {
		return usagef(fs, "--only needs --check")
	}
	env, err := config.LoadEnv()
	if err != nil {
		return err
	}
	settings := provision.Load(env)
	if *check {
		fix := "agenttest install"
		if fs.Lookup("browser").Value.String() != "chromium" || flagSet(fs, "browser") {
			fix += " --browser " + shellword.Quote(*browser)
		}
		return checkInstall(settings, *browser, *only, fix, stdout)
	}
	return provision.Install(ctx, provision.Options{
		Settings: settings,
		Browser:  *browser,
		Stdout:   stdout,
		Logger:   slog.New(slog.NewTextHandler(stderr, nil)),
	})
}

// checkInstall prints one line per checked part, "<part>: ok …" or
// "<part>: missing: <why>", and fails when a part is missing, advising
// fix: the install command with the flags of the check.
func checkInstall(s provision.Settings, browser, only, fix string, stdout io.Writer) error {
	missing := 0
	if only != "browser" {
		dir, _ := s.DriverDir()
		if err := s.CheckDriver(); err != nil {
			missing++
			fmt.Fprintf(stdout, "driver: missing: %s\n", oneLine(err.Error()))
		} else {
			fmt.Fprintf(stdout, "driver: ok: playwright %s in %s\n", provision.DriverVersion(), dir)
		}
	}
	if only != "driver" {
		kind := browser
		if kind == "" {
			kind = "chromium"
		}
		path, err := s.FindBrowser(kind)
		switch {
		case err != nil:
			missing++
			fmt.Fprintf(stdout, "browser %s: missing: %s\n", kind, oneLine(err.Error()))
		case path == "":
			fmt.Fprintf(stdout, "browser %s: ok: Playwright's own\n", kind)
		default:
			fmt.Fprintf(stdout, "browser %s: ok: %s%s\n", kind, path, s.HeadlessNote(kind, path))
		}
	}
	if missing > 0 {
		return fmt.Errorf("not ready: run `%s`", fix)
	}
	return nil
}

// flagSet reports whether the command line gave the flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
