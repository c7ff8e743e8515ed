// Command agenttest provisions and exercises agenttest outside of go test:
// it installs the Playwright driver and a browser, runs the Clerk emulator
// (alone, or with the demo app), and creates or revokes Agent Tasks against
// the Clerk instance named by CLERK_SECRET_KEY and CLERK_API_URL.
//
// Usage:
//
//	agenttest install [--browser chromium] [--check [--only driver|browser]]
//	agenttest emulator [--listen ADDR] [--secret-key KEY] [--users FILE]
//	agenttest demo [--listen-host HOST] [--users FILE]
//	agenttest create (--user-id ID | --identifier X) --redirect-url URL [flags]
//	agenttest revoke TASK_ID
//	agenttest help [COMMAND]
//
// Exit status: 0 on success, 1 on failure (one line on stderr), 2 on a
// usage error (the usage on stderr).
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
	"strings"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // synopsis after "agenttest "
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		installCommand(),
		emulatorCommand(),
		demoCommand(),
		createCommand(),
		revokeCommand(),
	}
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
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, rest, stdout, stderr)
		switch {
		case err == nil, errors.Is(err, errHelpShown):
			return 0
		case errors.Is(err, errUsage):
			return 2 // the flag set has printed the problem and the usage
		default:
			fmt.Fprintf(stderr, "agenttest %s: %s\n", c.name, oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "agenttest: unknown command %q\n", name)
	printUsage(stderr)
	return 2
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			_ = c.run(context.Background(), []string{"-h"}, stdout, stdout)
			return 0
		}
	}
	fmt.Fprintf(stderr, "agenttest help: unknown command %q\n", args[0])
	printUsage(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: agenttest COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help      show this, or `agenttest help COMMAND` for a command's flags")
}

// oneLine keeps an error message on one line, without the library's
// "agenttest: " prefix (the command name already leads the line).
func oneLine(s string) string {
	return strings.TrimPrefix(strings.Join(strings.Fields(s), " "), "agenttest: ")
}
