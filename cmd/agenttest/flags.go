package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/agenttest/agenttest/internal/shellword"
)

// errUsage reports a usage error whose one-line problem and pointer to
// the usage are printed already; run exits 2.
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
	case positional != "":
		if err := checkFlagOrder(fs, args, positional); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usagef(fs, "want exactly one %s, got %d arguments", positional, fs.NArg())
		}
	}
	return nil
}

// usagef prints a usage problem on one line and where the full usage is,
// and returns errUsage.
func usagef(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(fs.Output(), "run `agenttest help %s` for its flags\n", strings.TrimPrefix(fs.Name(), "agenttest "))
	return errUsage
}

// parseOnly parses args and maps the outcome to errHelpShown (the full
// usage printed) or errUsage (the problem and where the usage is
// printed), leaving any arguments after the flags to the command.
func parseOnly(fs *flag.FlagSet, args []string) error {
	// The flag package prints the problem and calls Usage both on -h and
	// on an error; it stays quiet here and the outcome decides.
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return errHelpShown
	case err != nil:
		return usagef(fs, "%v", err)
	}
	return nil
}

// checkFlagOrder fails with the command line in the right order when
// flags follow the first of the arguments (named what): the flag package
// stops at that argument, so they were not parsed.
func checkFlagOrder(fs *flag.FlagSet, args []string, what string) error {
	rest := fs.Args()
	lead := args[:len(args)-len(rest)]
	if slices.Contains(lead, "--") || !slices.ContainsFunc(rest, looksLikeFlag) {
		return nil
	}
	var flags, operands []string
	for i := 0; i < len(rest); i++ {
		if !looksLikeFlag(rest[i]) {
			operands = append(operands, rest[i])
			continue
		}
		flags = append(flags, rest[i])
		name, _, hasValue := strings.Cut(strings.TrimLeft(rest[i], "-"), "=")
		if f := fs.Lookup(name); f != nil && !hasValue && !isBoolFlag(f) && i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	words := []string{fs.Name()}
	for _, a := range slices.Concat(lead, flags, operands) {
		words = append(words, shellword.Quote(a))
	}
	return usagef(fs, "flags go before the %s: %s", what, strings.Join(words, " "))
}

// looksLikeFlag reports whether a is a flag to the flag package: -x or
// --x (a lone "-" is an argument, stdin by custom).
func looksLikeFlag(a string) bool {
	return len(a) > 1 && a[0] == '-' && a != "--"
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
