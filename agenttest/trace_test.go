package agenttest

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTraceModes(t *testing.T) {
	if artifactsFlagSet() {
		t.Skip("checks the fixture's own artifacts folders, not go test -artifacts")
	}
	s := fixtureStart(t)
	dir := t.TempDir()
	folder := func(t *testing.T) string { return filepath.Join(dir, unsafePathChars.ReplaceAllString(t.Name(), "_")) }
	var onDir, offDir string
	t.Run("on keeps a passed test's trace", func(t *testing.T) {
		onDir = folder(t)
		SignIn(t, s.opts(AsUser(fixtureAda), WithArtifactsDir(dir), WithTrace(TraceOn))...)
	})
	t.Run("retain-on-failure keeps nothing of a passed test", func(t *testing.T) {
		offDir = folder(t)
		SignIn(t, s.opts(AsUser(fixtureAda), WithArtifactsDir(dir))...)
	})
	zr, err := zip.OpenReader(filepath.Join(onDir, artifactTrace))
	require.NoError(t, err, "TraceOn: the passed test's trace.zip")
	assert.NotEmpty(t, zr.File)
	require.NoError(t, zr.Close())
	_, err = os.Stat(offDir)
	assert.ErrorIs(t, err, os.ErrNotExist)

	// The mode is checked before a context is made.
	p, err := NewPageContext(fixtureCtx(t), s.opts(WithTrace("sometimes"))...)
	require.ErrorContains(t, err, `agenttest.WithTrace: trace mode "sometimes": use off, retain-on-failure or on`)
	assert.Nil(t, p.BrowserContext)
	// A sign-in checks it before it creates a task.
	creates := s.emu.Requests(clerkemu.RouteCreateTask)
	p, err = SignInContext(fixtureCtx(t), s.opts(AsUser(fixtureAda), WithTrace("sometimes"))...)
	require.ErrorContains(t, err, `agenttest.WithTrace: trace mode "sometimes"`)
	require.NoError(t, p.Release(fixtureCleanupCtx(t)))
	assert.Equal(t, creates, s.emu.Requests(clerkemu.RouteCreateTask), "no task for a page that cannot open")
	st := newSuite(config.EnvFromMap(map[string]string{config.VarTrace: "ON"}))
	m, err := st.traceMode(options{})
	require.NoError(t, err)
	assert.Equal(t, TraceOn, m, "AGENTTEST_TRACE, any case")
	st = newSuite(config.EnvFromMap(map[string]string{config.VarTrace: "always"}))
	_, err = st.traceMode(options{})
	assert.ErrorContains(t, err, `AGENTTEST_TRACE: trace mode "always"`)
}
