package agenttest

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/fixtures/childenv"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPreflightChecksTheConfigurationOnce(t *testing.T) {
	t.Parallel()
	stack := demoapp.RunStackT(t, demoapp.StackOptions{Emulator: clerkemu.Options{RateLimit: clerkemu.RateLimit{Disabled: true}}})
	good := stack.Env()
	check := func(t *testing.T, change map[string]string) (*suite, error) {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		for k, v := range change {
			env[k] = v
		}
		s := newSuite(config.EnvFromMap(env))
		t.Cleanup(s.closeClient)
		c, err := s.defaultClient()
		require.NoError(t, err)
		return s, s.preflight(context.Background(), c)
	}
	t.Run("good", func(t *testing.T) {
		_, err := check(t, nil)
		assert.NoError(t, err)
	})
	t.Run("Backend API down", func(t *testing.T) {
		dead := fixtureClosedURL(t)
		s, err := check(t, map[string]string{config.VarAPIURL: dead})
		require.Error(t, err)
		assert.Regexp(t, `^the Backend API at `+regexp.QuoteMeta(dead)+`/v1 did not answer \(.*connection refused\): check CLERK_API_URL`, err.Error())
		assert.NotContains(t, err.Error(), "\n")
		// The result stands: a second check answers the same at once.
		c, _ := s.defaultClient()
		assert.Equal(t, err, s.preflight(context.Background(), c))
	})
	t.Run("wrong key", func(t *testing.T) {
		before := stack.Emulator.Requests(clerkemu.RouteJWKS)
		key := "sk_test_" + strings.Repeat("x", 40)
		_, err := check(t, map[string]string{config.VarSecretKey: key})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "refused the secret key (401")
		assert.Contains(t, err.Error(), "check CLERK_SECRET_KEY (from the given map) is this instance's secret key", "it names where the key came from")
		assert.NotContains(t, err.Error(), key)
		assert.Equal(t, before+1, stack.Emulator.Requests(clerkemu.RouteJWKS), "one request, no retries")
	})
	t.Run("app down", func(t *testing.T) {
		dead := fixtureClosedURL(t)
		_, err := check(t, map[string]string{config.VarAppURL: dead})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the app at "+dead+" (AGENTTEST_APP_URL) did not answer")
		assert.Contains(t, err.Error(), "start it before the tests")
	})
	t.Run("a client the test brought is not checked", func(t *testing.T) {
		s := newSuite(config.EnvFromMap(map[string]string{config.VarAPIURL: fixtureClosedURL(t)}))
		assert.NoError(t, s.preflight(context.Background(), fixtureStart(t).client))
	})
}

// preflightChildEnv marks the child of TestConfigErrorsFailEveryTestAtOnce.
const preflightChildEnv = "AGENTTEST_TEST_PREFLIGHT_CHILD"

// A whole test binary with an unreachable Backend API: every sign-in
// fails with the same one line, no browser is launched, no artifacts
// are written.
func TestConfigErrorsFailEveryTestAtOnce(t *testing.T) {
	if os.Getenv(preflightChildEnv) != "" {
		t.Skip("this is the child")
	}
	t.Parallel()
	artifacts := t.TempDir()
	cmd := childTest("TestPreflightChild")
	cmd.Env = append(childenv.Clean(nil),
		preflightChildEnv+"=1",
		config.VarSecretKey+"=sk_test_"+strings.Repeat("k", 40),
		config.VarAPIURL+"="+fixtureClosedURL(t),
		config.VarAppURL+"="+fixtureClosedURL(t),
		config.VarUserID+"="+fixtureAda,
		config.VarArtifactsDir+"="+artifacts,
		config.VarLedgerDir+"="+t.TempDir(),
	)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child's tests fail")
	text := string(out)
	lines := regexp.MustCompile(`(?m)^\s+\S+\.go:\d+: (agenttest: sign in as .*)$`).FindAllStringSubmatch(text, -1)
	require.Len(t, lines, 3, "one line per test:\n%s", text)
	for _, l := range lines {
		assert.Equal(t, lines[0][1], l[1], "the same line for every test")
		assert.Contains(t, l[1], ": config: the Backend API at ")
		assert.Contains(t, l[1], "checked once for this test binary")
	}
	assert.Contains(t, text, "preflight-browser-launched: false")
	assert.NotContains(t, text, "artifacts of the failed test")
	entries, err := os.ReadDir(artifacts)
	require.NoError(t, err)
	assert.Empty(t, entries, "no artifacts for a configuration error")
}

// TestPreflightChild is the child of TestConfigErrorsFailEveryTestAtOnce.
func TestPreflightChild(t *testing.T) {
	if os.Getenv(preflightChildEnv) == "" {
		t.Skip("runs only as the child of TestConfigErrorsFailEveryTestAtOnce")
	}
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) { SignIn(t, RedirectTo("/dashboard")) })
	}
	r, err := currentRun()
	require.NoError(t, err)
	r.mu.Lock()
	t.Logf("preflight-browser-launched: %v", r.launched)
	r.mu.Unlock()
}
