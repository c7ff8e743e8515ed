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

	second := agenttest.NewPage(t)
	_, err := second.Goto(first.Task.URL())
	require.NoError(t, err)
	agenttest.ExpectSignedOut(t, second)
	agenttest.ExpectSignedIn(t, first)
}
