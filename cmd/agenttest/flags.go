package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// errUsage reports a usage error whose message and usage are printed
// already; run exits 2.
var errUsage = errors.New("usage error")

// errHelpShown reports that -h printed the usage; run exits 0.
var errHelpShown = errors.New("help shown")

// newFlagSet returns a flag set for command c that reports problems and its
// usage on stderr, with the details after the flag list.
func newFlagSet(c command, stderr io.Writer, details string) *flag.FlagSet {
	fs := flag.NewFlagSet("agenttest "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: agenttest %s\n\n%s\n", c.usage, c.summary)
		if hasFlags(fs) {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
		if details != "" {
			fmt.Fprintf(w, "\n%s\n", details)
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args and maps the outcome to errHelpShown or errUsage.
// After the flags it wants exactly one argument, named positional in the
// problem it reports, or none when positional is "".
func parseFlags(fs *flag.FlagSet, args []string, positional string) error {
	if err := parseOnly(fs, args); err != nil {
		return err
	}
	switch {
	case positional == "" && fs.NArg() > 0:
		return usagef(fs, "unexpected argument %q", fs.Arg(0))
	case positional != "" && fs.NArg() != 1:
		return usagef(fs, "want exactly one %s, got %d arguments", positional, fs.NArg())
	}
	return nil
}

// usagef prints a usage problem and the usage, and returns errUsage.
func usagef(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

// parseOnly parses args and maps the outcome to errHelpShown or errUsage,
// leaving any arguments after the flags to the command.
func parseOnly(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelpShown
		}
		return errUsage
	}
	return nil
}
