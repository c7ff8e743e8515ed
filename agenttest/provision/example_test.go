package provision_test

import (
	"fmt"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
)

// Settings come from the environment snapshot, so a value in .env.local
// counts as much as one exported in the shell.
func ExampleLoad() {
	env := config.EnvFromMap(map[string]string{
		"PLAYWRIGHT_DRIVER_PATH": "/opt/playwright-driver",
	})
	s := provision.Load(env)
	dir, err := s.DriverDir()
	fmt.Println(dir, err)
	// Output:
	// /opt/playwright-driver <nil>
}

// CheckDriver looks at files only; its error names what is missing and
// the command that installs it.
func ExampleSettings_CheckDriver() {
	s := provision.Settings{DriverPath: "/nonexistent/driver"}
	err := s.CheckDriver()
	fmt.Println(err != nil)
	// Output:
	// true
}

// AGENTTEST_BROWSER_PATH wins for every launch; without it, a headless
// launch looks for a headless shell on PATH before a full Chromium.
func ExampleSettings_FindHeadlessBrowser() {
	s := provision.Settings{BrowserPath: "/bin/sh", DriverPath: "/nonexistent/driver"}
	headless, _ := s.FindHeadlessBrowser("chromium")
	headed, _ := s.FindBrowser("chromium")
	fmt.Println(headless, headed)
	// Output:
	// /bin/sh /bin/sh
}
