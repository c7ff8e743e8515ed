//go:build !race

package agenttest_test

// readmeRaceEnabled is whether this test binary was built with -race.
const readmeRaceEnabled = false
