// Command agenttest provisions and exercises agenttest outside of go test:
// it installs the Playwright driver and a browser, runs the Clerk emulator
// (alone, or with the demo app), and creates or revokes Agent Tasks against
// the Clerk instance named by CLERK_SECRET_KEY and CLERK_API_URL.
//
// Usage:
//
//	agenttest install [--browser chromium] [--check [--only driver|browser]]
//	agenttest emulator [--listen ADDR] [--frontend-listen ADDR] [--secret-key KEY] [--users FILE]
//	agenttest demo [--listen-host HOST] [--listen ADDR] [--frontend-listen ADDR] [--app-listen ADDR] [--secret-key KEY] [--users FILE]
//	agenttest create [--user-id ID | --identifier X] [--redirect-url URL|PATH] [flags]
//	agenttest revoke TASK_ID
//	agenttest sweep [--dry-run] [--ledger-dir DIR] [--all-agent-sessions]
//	agenttest report [--json FILE] [-o FILE] [--title T] DIR
//	agenttest shard --index I --total N [--durations REPORT.json] [-v] [PACKAGES]
//	agenttest serve --url URL --app COMMAND [flags] [-- TESTS COMMAND...]
//	agenttest show-trace [--port P] [--host H] FILE
//	agenttest init [--force] [--app CMD [--app-url URL]] [DIR]
//	agenttest version
//	agenttest help [COMMAND]
//
// Exit status: 0 on success, 1 on failure (one line on stderr), 2 on a
// usage error (on stderr one line, then where the full usage is).
//
// The secret key is printed only by emulator and demo, whose whole output
// is an env file for the instance they just started (the key is a random
// one of that throwaway instance unless --secret-key gave it). create prints
// the task URL, a bearer credential, because handing it to an agent is its
// purpose; nothing else prints secrets.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	// SIGINT, SIGTERM and SIGHUP (the terminal closed) cancel the
	// context: emulator and demo stop serving, serve stops the app and
	// the tests command, and an API call or download in progress is
	// abandoned.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // synopsis after "agenttest "
	// run parses args with a flag set of c (see newFlagSet) and runs the
	// command until done or ctx is cancelled.
	run func(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order the usage shows them.
func commands() []command {
	return []command{{
		name:    "install",
		summary: "install the Playwright driver and a browser (idempotent)",
		usage:   "install [--browser chromium|firefox|webkit] [--check [--only driver|browser]]",
		run:     runInstall,
	}, {
		name:    "emulator",
		summary: "run the Clerk emulator and print its env: twelve variables (keys, URLs, script URLs, telemetry off; Next.js spellings too)",
		usage:   "emulator [--listen ADDR] [--frontend-listen ADDR] [--secret-key KEY] [--users FILE]",
		run:     runEmulator,
	}, {
		name:    "demo",
		summary: "run the Clerk emulator and the demo app together, with a sign-in link",
		usage:   "demo [--listen-host HOST] [--listen ADDR] [--frontend-listen ADDR] [--app-listen ADDR] [--secret-key KEY] [--users FILE]",
		run:     runDemo,
	}, {
		name:    "create",
		summary: "create an Agent Task and print its id and sign-in URL",
		usage:   "create [--user-id ID | --identifier X] [--redirect-url URL|PATH] [--agent-name N] [--description D] [--session-max-duration 30m]",
		run:     runCreate,
	}, {
		name:    "revoke",
		summary: "revoke a pending Agent Task so its URL can no longer sign in",
		usage:   "revoke TASK_ID",
		run:     runRevoke,
	}, {
		name:    "sweep",
		summary: "revoke the tasks and sessions that killed runs left, from their ledgers",
		usage:   "sweep [--dry-run] [--ledger-dir DIR] [--all-agent-sessions]",
		run:     runSweep,
	}, {
		name:    "report",
		summary: "turn go test -json output and the artifacts into one HTML page",
		usage:   "report [--json FILE] [-o FILE] [--title T] DIR",
		run:     runReport,
	}, {
		name:    "shard",
		summary: "print the go test -run expression of one shard of the tests",
		usage:   "shard --index I --total N [--durations REPORT.json] [-v] [PACKAGES]",
		run:     runShard,
	}, {
		name:    "serve",
		summary: "start the app, wait until its URL answers, run the tests command, stop the app",
		usage:   "serve --url URL --app COMMAND [--timeout 60s] [--stop-timeout 10s] [--reuse-existing] [-- TESTS COMMAND...]",
		run:     runServe,
	}, {
		name:    "show-trace",
		summary: "open a saved trace.zip in Playwright's trace viewer, through the installed driver",
		usage:   "show-trace [--port P] [--host H] FILE",
		run:     runShowTrace,
	}, {
		name:    "init",
		summary: "write a starter e2e/ package (TestMain, two specs) and a .env.local example into a module",
		usage:   "init [--force] [--app CMD [--app-url URL]] [DIR]",
		run:     runInit,
	}, {
		name:    "version",
		summary: "print the versions of agenttest, Go, playwright-go and the Playwright driver, for a bug report",
		usage:   "version",
		run:     runVersion,
	}}
}

// run executes the command line args (without the program name) and
// returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return runHelp(rest, stdout, stderr)
	case "--version", "-version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, c, rest, stdout, stderr)
		var code exitCode
		switch {
		case errors.As(err, &code):
			return int(code) // a child's status; it has printed its own output
		case err == nil, errors.Is(err, errHelpShown):
			return 0
		case errors.Is(err, errUsage):
			return 2 // the flag set has printed the problem and where the usage is
		default:
			fmt.Fprintf(stderr, "agenttest %s: %s\n", c.name, oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "agenttest: unknown command %q\n%s\n", name, listPointer)
	return 2
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			_ = c.run(context.Background(), c, []string{"-h"}, stdout, stdout)
			return 0
		}
	}
	fmt.Fprintf(stderr, "agenttest help: unknown command %q\n%s\n", args[0], listPointer)
	return 2
}

// listPointer follows a usage error that is not about one command.
const listPointer = "run `agenttest help` for the commands"

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: agenttest COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help       show this, or `agenttest help COMMAND` for a command's flags")
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
