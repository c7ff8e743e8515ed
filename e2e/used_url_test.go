package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/stretchr/testify/require"
)

// A task URL is single-use: a second browser that opens it is not
// signed in.
func TestUsedTaskURLDoesNotSignInTwice(t *testing.T) {
	t.Parallel()
	first := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"))

	// OpenTask opens the URL once and never hands it to an error message.
	second := agenttest.NewPage(t)
	require.NoError(t, second.OpenTask(t.Context(), first.Task()))
	agenttest.ExpectSignedOut(t, second)
	agenttest.ExpectSignedIn(t, first)
}
