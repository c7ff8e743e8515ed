package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"

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

	page := agenttest.NewPage(t)
	_, err = page.Goto(task.URL())
	require.NoError(t, err)
	agenttest.ExpectSignedOut(t, page)
}

// newClient is a Backend API client built from the environment.
func newClient(t *testing.T) *agenttask.Client {
	t.Helper()
	cfg, err := agenttask.LoadConfig()
	require.NoError(t, err)
	client, err := agenttask.NewClient(cfg)
	require.NoError(t, err)
	return client
}
