package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/stretchr/testify/require"
)

// A revoked task's URL must not sign anyone in.
func TestRevokedTaskURLDoesNotSignIn(t *testing.T) {
	t.Parallel()
	task := agenttest.NewTask(t, agenttest.RedirectTo("/dashboard"))
	client := newClient(t)
	_, err := client.Revoke(t.Context(), task.ID)
	require.NoError(t, err)

	// OpenTask opens the URL once and never hands it to an error message.
	page := agenttest.NewPage(t)
	require.NoError(t, page.OpenTask(t.Context(), task))
	agenttest.ExpectSignedOut(t, page)
}

// newClient is a Backend API client built from the run's configuration:
// the environment, with the embedded emulator's variables over it.
func newClient(t *testing.T) *agenttask.Client {
	t.Helper()
	env, err := config.LoadEnv()
	require.NoError(t, err)
	if embedded != nil {
		env = env.With(embedded.stack.Env(), "the embedded emulator")
	}
	cfg, err := agenttask.ConfigFromEnv(env)
	require.NoError(t, err)
	client, err := agenttask.NewClient(cfg)
	require.NoError(t, err)
	return client
}
