package agenttest

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// A queued release that fails is reported at drain, named by its test,
// and drain waits for every release.
func TestReleaseQueueReportsFailuresAtDrain(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	dead, err := agenttask.NewClient(agenttask.Config{
		SecretKey:   s.emu.SecretKey(),
		APIURL:      fixtureClosedURL(t),
		RetryPolicy: agenttask.RetryPolicy{MaxRetries: -1},
		Limiter:     rate.NewLimiter(rate.Inf, 0),
	})
	require.NoError(t, err)
	var q releaseQueue
	q.add("TestFails", &Page{client: dead, session: &session{id: "sess_gone", client: dead}})
	done := &Page{client: s.client} // nothing to release
	q.add("TestPasses", done)
	err = q.drain()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cleanup of TestFails: agenttest: cleanup: revoke session sess_gone")
	assert.NotContains(t, err.Error(), "TestPasses")
	assert.True(t, done.released, "drain waited for every release")
	assert.NoError(t, q.drain(), "errors are reported once")
}
