package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/appserver"
	"github.com/agenttest/agenttest/agenttest/config"
)

// exitCode is an error that makes run exit with that status and print
// nothing: the child whose status it is has spoken for itself.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func runServe(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `It starts the app command (through sh -c, in a process group of its own, its
output on stderr), waits until --url answers 2xx, 3xx or 400-403, then runs
the tests command after -- with the same stdin, stdout and stderr, stops the
app's whole process group (SIGTERM, then SIGKILL after --stop-timeout) and
exits with the tests command's status. Without a tests command it prints
"ready URL" and serves until SIGINT, SIGTERM or SIGHUP. If the app exits or
does not answer in time it exits 1 with the app's last output lines.

The app's environment is serve's, plus the Clerk instance the tests use:
CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY and CLERK_API_URL as go test reads
them (the environment over .env.local over .env, from here up to the module
root); serve names on stderr those it gives and where each came from. For
example:

  agenttest serve --url http://127.0.0.1:3000/ --app 'go run ./cmd/web' -- go test ./e2e/

The same helper for a TestMain is agenttest.StartApp (package appserver).`)
	url := fs.String("url", "", "the `URL` that answers once the app is ready (required)")
	app := fs.String("app", "", "the app's `command`, run by sh -c (required)")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for --url to answer")
	stopTimeout := fs.Duration("stop-timeout", 10*time.Second, "how long the app has to end after SIGTERM")
	reuse := fs.Bool("reuse-existing", false, "if --url already answers, use that app and start none")
	if err := parseOnly(fs, args); err != nil {
		return err
	}
	switch {
	case *url == "":
		return usagef(fs, "--url is required")
	case *app == "":
		return usagef(fs, "--app is required")
	case *timeout <= 0:
		return usagef(fs, "--timeout %v: give a positive duration, such as 60s", *timeout)
	case *stopTimeout <= 0:
		return usagef(fs, "--stop-timeout %v: give a positive duration, such as 10s", *stopTimeout)
	}
	tests := fs.Args()
	env, err := config.LoadEnv()
	if err != nil {
		return err
	}
	appEnv, given := instanceEnv(env)
	if len(given) > 0 {
		fmt.Fprintf(stderr, "agenttest serve: the app gets %s, as the tests read them\n", strings.Join(given, ", "))
	}

	a, err := appserver.Start(ctx, appserver.Options{
		Command:       []string{"sh", "-c", *app},
		URL:           *url,
		Env:           appEnv,
		Timeout:       *timeout,
		StopTimeout:   *stopTimeout,
		Output:        stderr,
		ReuseExisting: *reuse,
	})
	if err != nil {
		return flagNames(err)
	}
	var runErr error
	if len(tests) == 0 {
		fmt.Fprintf(stdout, "ready %s\n", a.URL())
		<-ctx.Done()
	} else {
		runErr = runTestsCommand(ctx, tests, stdout, stderr)
	}
	if err := a.Stop(); err != nil {
		if runErr == nil {
			return err
		}
		// The tests' status wins; the app's end is still told.
		fmt.Fprintf(stderr, "agenttest serve: %s\n", oneLine(err.Error()))
	}
	return runErr
}

// instanceVars are the variables that name the tests' Clerk instance to
// the app.
var instanceVars = []string{config.VarSecretKey, config.VarPublishableKey, config.VarAPIURL}

// instanceEnv is the app's share of the tests' configuration: the
// instance variables env sets, as KEY=VALUE entries, and each described
// with where its value came from (never the value).
func instanceEnv(env config.Env) (entries, given []string) {
	for _, name := range instanceVars {
		if v, ok := env.Lookup(name); ok && v != "" {
			entries = append(entries, name+"="+v)
			given = append(given, env.Describe(name))
		}
	}
	return entries, given
}

// flagNames names serve's flags where appserver's error names the Go
// options they set (its timeout hint says Options.Timeout).
func flagNames(err error) error {
	text := strings.NewReplacer("Options.Timeout", "--timeout", "Options.StopTimeout", "--stop-timeout", "Options.URL", "--url", "Options.ReuseExisting", "--reuse-existing").Replace(err.Error())
	if text == err.Error() {
		return err
	}
	return renamedError{text: text, err: err}
}

// renamedError is err with the text a command-line user acts on.
type renamedError struct {
	text string
	err  error
}

func (e renamedError) Error() string { return e.text }
func (e renamedError) Unwrap() error { return e.err }

// runTestsCommand runs argv with our stdin and the given outputs; an
// interrupted run gets SIGINT (go test then prints what was running).
func runTestsCommand(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return exitCode(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("run the tests command %s: %w", argv[0], err)
	}
	return nil
}
