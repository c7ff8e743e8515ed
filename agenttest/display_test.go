package agenttest

import (
	"context"
	"runtime"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noDisplay is the line a headed browser without a display fails with.
const noDisplay = "agenttest: no display for a headed browser: unset AGENTTEST_HEADED to run headless, or run under Xvfb (xvfb-run go test …)"

// A headed browser on Linux needs DISPLAY or WAYLAND_DISPLAY; headless,
// another system or a display set passes.
func TestHeadedNeedsADisplay(t *testing.T) {
	t.Parallel()
	check := func(env map[string]string, goos string) error {
		s, err := browserSettingsFromEnv(config.EnvFromMap(env))
		require.NoError(t, err)
		return s.checkDisplay(config.EnvFromMap(env), goos)
	}
	err := check(map[string]string{config.VarHeaded: "1"}, "linux")
	require.Error(t, err)
	assert.Equal(t, noDisplay, err.Error())
	assert.NoError(t, check(map[string]string{config.VarHeaded: "1", "DISPLAY": ":99"}, "linux"))
	assert.NoError(t, check(map[string]string{config.VarHeaded: "1", "WAYLAND_DISPLAY": "wayland-0"}, "linux"))
	assert.NoError(t, check(map[string]string{config.VarHeaded: "1", "DISPLAY": ""}, "darwin"))
	assert.NoError(t, check(map[string]string{config.VarHeaded: "0"}, "linux"))
	assert.NoError(t, check(nil, "linux"))
}

// launchBrowser refuses before starting the driver: the driver path here
// holds nothing, and the error is still the display's.
func TestLaunchHeadedWithoutDisplayFailsFirst(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the display check is Linux's")
	}
	s := newSuite(config.EnvFromMap(map[string]string{config.VarHeaded: "1", "PLAYWRIGHT_DRIVER_PATH": t.TempDir()}))
	b, err := launchBrowser(context.Background(), s)
	assert.Nil(t, b)
	require.Error(t, err)
	assert.Equal(t, noDisplay, err.Error())
}
