package agenttest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/fixtures/clerkemu"

	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gotoPage opens a page of the shared browser for a suite over env
// (no AGENTTEST_APP_URL unless env names one).
func gotoPage(t *testing.T, env map[string]string, opts ...Option) *Page {
	t.Helper()
	r, err := currentRun()
	require.NoError(t, err)
	shared, err := r.sharedBrowser(t.Context())
	require.NoError(t, err)
	b := &Browser{suite: newSuite(config.EnvFromMap(env)), browser: shared.browser}
	p, err := b.NewPage(t.Context(), opts...)
	t.Cleanup(func() { _ = p.Release(context.WithoutCancel(t.Context())) })
	require.NoError(t, err)
	return p
}

// A relative Goto without an app URL fails at once with one line that
// names the variable, not Playwright's protocol error; an absolute URL,
// or a relative one with a BaseURL, navigates.
func TestGotoRelativeNeedsAnAppURL(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<title>" + r.URL.Path + "</title>"))
	}))
	t.Cleanup(app.Close)

	p := gotoPage(t, map[string]string{})
	_, err := p.Goto("/x")
	require.Error(t, err)
	assert.Equal(t, `agenttest: Goto("/x"): a relative URL needs AGENTTEST_APP_URL (or WithContextOptions BaseURL)`, err.Error())
	assert.NotContains(t, err.Error(), "\n")
	resp, err := p.Goto(app.URL + "/abs")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status())

	// Set but empty (a placeholder left in .env.local): said so.
	empty := gotoPage(t, map[string]string{config.VarAppURL: " "})
	_, err = empty.Goto("/x")
	assert.EqualError(t, err, `agenttest: Goto("/x"): a relative URL needs an app URL, and AGENTTEST_APP_URL (from the given map) is empty: set it to the app's address (or give WithContextOptions BaseURL)`)

	withBase := gotoPage(t, map[string]string{}, WithContextOptions(playwright.BrowserNewContextOptions{BaseURL: playwright.String(app.URL)}))
	_, err = withBase.Goto("/rel")
	require.NoError(t, err)
	title, err := withBase.Title()
	require.NoError(t, err)
	assert.Equal(t, "/rel", title)

	withEnv := gotoPage(t, map[string]string{config.VarAppURL: app.URL})
	_, err = withEnv.Goto("/env")
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(withEnv.URL(), "/env"), withEnv.URL())
}

// A Goto to an app that is not running says so in one line, naming the
// setting that points at it; a Goto elsewhere keeps Playwright's error.
func TestGotoNamesAnAppThatDoesNotAnswer(t *testing.T) {
	t.Parallel()
	dead := fixtureClosedURL(t)

	p := gotoPage(t, map[string]string{config.VarAppURL: dead})
	_, err := p.Goto("/dashboard")
	require.Error(t, err)
	assert.Equal(t, `agenttest: Goto("/dashboard"): the app at `+dead+` (AGENTTEST_APP_URL) could not be reached (net::ERR_CONNECTION_REFUSED): start it before the tests, or fix AGENTTEST_APP_URL`, err.Error())
	var pwErr *playwright.Error
	assert.ErrorAs(t, err, &pwErr, "Playwright's error is wrapped")

	withBase := gotoPage(t, map[string]string{}, WithContextOptions(playwright.BrowserNewContextOptions{BaseURL: playwright.String(dead)}))
	_, err = withBase.Goto(dead + "/x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "(the context's BaseURL (WithContextOptions)) could not be reached")

	// Another host than the app's: Playwright's own error.
	_, err = p.Goto(fixtureClosedURL(t) + "/elsewhere")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "the app at")
	assert.Contains(t, err.Error(), "net::ERR_CONNECTION_REFUSED")
}

// Goto to a task URL that fails (here a timeout while the Frontend API
// stalls) returns Playwright's error without the ticket, still a
// timeout; the task's cleanup leaves nothing behind.
func TestGotoErrorHidesTheTaskURL(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	s.emu.InjectFault(clerkemu.RouteAcceptTask, clerkemu.Fault{Delay: 2 * time.Second})
	t.Run("goto", func(t *testing.T) {
		task := NewTask(t, s.taskOpts(AsUser(fixtureAda))...)
		ticket := task.URL()[strings.Index(task.URL(), "ticket=")+len("ticket="):]
		require.NotEmpty(t, ticket)
		p := gotoPage(t, map[string]string{})
		_, err := p.Goto(task.URL(), playwright.PageGotoOptions{Timeout: playwright.Float(500)})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), ticket, "the ticket is in the error")
		assert.Contains(t, err.Error(), "ticket=REDACTED")
		assert.ErrorIs(t, err, playwright.ErrTimeout)
		var pwErr *playwright.Error
		assert.False(t, errors.As(err, &pwErr), "Playwright's error, which quotes the ticket, is reachable")
	})
	// The visit may have spent the ticket after the timeout: the task's
	// cleanup revoked the task or the session it made.
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending), "tasks left pending")
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive), "sessions left active")
}
