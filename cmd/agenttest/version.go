package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/agenttest/agenttest/agenttest/provision"
)

// playwrightModule is playwright-go's module, whose version version
// prints beside agenttestModule's.
const playwrightModule = "github.com/mxschmitt/playwright-go"

// runVersion prints what a bug report needs: agenttest's version as the
// build knows it, the Go toolchain, playwright-go's version and the
// Playwright driver version it expects.
func runVersion(_ context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, "Run as `go run github.com/agenttest/agenttest/cmd/agenttest version` in your module, it prints the versions your go.mod selects.")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(info, runtime.Version(), provision.DriverVersion()))
	return nil
}

// versionText formats the versions of info (nil when the binary has no
// build information), the Go toolchain and the driver.
func versionText(info *debug.BuildInfo, goVersion, driver string) string {
	self, pw := "unknown", "unknown"
	if info != nil {
		for _, m := range append([]*debug.Module{&info.Main}, info.Deps...) {
			switch m.Path {
			case agenttestModule:
				self = moduleVersion(m)
			case playwrightModule:
				pw = moduleVersion(m)
			}
		}
	}
	if driver == "" {
		driver = "unknown"
	}
	return fmt.Sprintf("agenttest %s\n%s\nplaywright-go %s (Playwright driver %s)\n", self, goVersion, pw, driver)
}

// moduleVersion is m's version as built: a replacement's, "(devel)" for
// a directory (a replace to a checkout, or the module itself built from
// its source).
func moduleVersion(m *debug.Module) string {
	if m.Replace != nil {
		if m.Replace.Version == "" || m.Replace.Version == "(devel)" {
			return "(devel) from " + m.Replace.Path
		}
		return m.Replace.Version + " (replaces " + m.Version + ")"
	}
	if m.Version == "" {
		return "(devel)"
	}
	return m.Version
}
