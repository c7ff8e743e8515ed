package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/provision"
)

func TestVersionNamesWhatABugReportNeeds(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runCLI(t, args...)
		want := []string{"agenttest ", runtime.Version(), "playwright-go v", "(Playwright driver " + provision.DriverVersion() + ")"}
		for _, w := range want {
			if code != 0 || stderr != "" || !strings.Contains(stdout, w) {
				t.Errorf("agenttest %s: exit %d, stderr %q, stdout %q; want it to contain %q", args[0], code, stderr, stdout, w)
			}
		}
	}
}

// Built in a user's module, agenttest is a dependency: its version is
// the one go.mod selects, or the replacement's.
func TestVersionTextReadsTheDependency(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{{
		name: "a released version",
		info: &debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{
			{Path: agenttestModule, Version: "v1.2.3"},
			{Path: playwrightModule, Version: "v0.6401.0"},
		}},
		want: "agenttest v1.2.3\ngo1.26\nplaywright-go v0.6401.0 (Playwright driver 1.64.1)\n",
	}, {
		name: "replaced by a checkout",
		info: &debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{
			{Path: agenttestModule, Version: "v0.0.0", Replace: &debug.Module{Path: "../agenttest"}},
			{Path: playwrightModule, Version: "v0.6401.0"},
		}},
		want: "agenttest (devel) from ../agenttest\ngo1.26\nplaywright-go v0.6401.0 (Playwright driver 1.64.1)\n",
	}, {
		name: "replaced by a checkout, as go run builds it",
		info: &debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{
			{Path: agenttestModule, Version: "v0.0.0", Replace: &debug.Module{Path: "/src/agenttest", Version: "(devel)"}},
			{Path: playwrightModule, Version: "v0.6401.0"},
		}},
		want: "agenttest (devel) from /src/agenttest\ngo1.26\nplaywright-go v0.6401.0 (Playwright driver 1.64.1)\n",
	}, {
		name: "built in its own repository",
		info: &debug.BuildInfo{Main: debug.Module{Path: agenttestModule, Version: "v0.0.0-20261129204801-d64aa1800000"}, Deps: []*debug.Module{
			{Path: playwrightModule, Version: "v0.6400.0", Replace: &debug.Module{Path: playwrightModule, Version: "v0.6401.0"}},
		}},
		want: "agenttest v0.0.0-20261129204801-d64aa1800000\ngo1.26\nplaywright-go v0.6401.0 (replaces v0.6400.0) (Playwright driver 1.64.1)\n",
	}, {
		name: "no build information",
		want: "agenttest unknown\ngo1.26\nplaywright-go unknown (Playwright driver unknown)\n",
	}} {
		driver := "1.64.1"
		if tc.info == nil {
			driver = ""
		}
		if got := versionText(tc.info, "go1.26", driver); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}
