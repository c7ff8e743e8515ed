package agenttest

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureForgetShared revokes the shared sign-ins of the stack's client
// when the test ends, before its emulator stops: the run would revoke
// them only when the binary ends.
func fixtureForgetShared(t *testing.T, s *fixtureStack) {
	t.Cleanup(func() {
		r, err := currentRun()
		require.NoError(t, err)
		assert.NoError(t, r.suite.reuse.releaseClient(fixtureCleanupCtx(t), s.client))
	})
}

func TestReuseSignInSignsInOncePerUser(t *testing.T) {
	s := fixtureStart(t)
	fixtureForgetShared(t, s)
	var sessions, tasks []string
	signIn := func(t *testing.T) {
		p := SignIn(t, s.opts(AsUser(fixtureAda), ReuseSignIn())...)
		require.NoError(t, fixtureExpect().Locator(p.Locator("header")).ToContainText("Welcome"))
		ExpectSignedIn(t, p)
		assert.Positive(t, p.phases.navigate, "the seeded sign-in's navigation was timed")
		assert.Positive(t, p.phases.check, "the seeded sign-in's check was timed")
		sessions = append(sessions, p.SessionID())
		tasks = append(tasks, p.Task().ID)
	}
	for _, name := range []string{"first", "second", "third"} {
		t.Run(name, signIn)
	}
	// Past the 60 s token lifetime: the app refreshes the token through
	// Clerk's handshake, with no new task.
	s.emu.Advance(2 * time.Minute)
	t.Run("after the token expired", signIn)

	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteCreateTask), "one task for four sign-ins")
	require.Len(t, sessions, 4)
	for i := range sessions {
		assert.Equal(t, sessions[0], sessions[i], "every page shares the first sign-in's session")
		assert.Equal(t, tasks[0], tasks[i])
	}
	// The pages ended; the shared session lives on, for the run.
	active := s.emu.Sessions(clerkemu.SessionActive)
	require.Len(t, active, 1)
	assert.Equal(t, sessions[0], active[0].ID)
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending))
	assert.Zero(t, s.emu.Requests(clerkemu.RouteRevokeSession), "no test revokes the shared session")
	assert.Zero(t, s.emu.Requests(clerkemu.RouteEndSession), "no test ends the shared session")

	r, err := currentRun()
	require.NoError(t, err)
	require.NoError(t, r.suite.reuse.releaseClient(fixtureCleanupCtx(t), s.client))
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive), "the run ends the shared session")
	ended := s.emu.Sessions(clerkemu.SessionEnded)
	require.Len(t, ended, 1, "ended on the Frontend API, by the sign-in's browser cookies")
	assert.Equal(t, sessions[0], ended[0].ID)
	assert.Zero(t, s.emu.Requests(clerkemu.RouteRevokeSession), "no Backend API request")
}

func TestReuseSignInWaitsForTheFirstSignIn(t *testing.T) {
	s := fixtureStart(t)
	fixtureForgetShared(t, s)
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b", "c"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := SignIn(t, s.opts(AsUser(fixtureAda), ReuseSignIn())...)
				ExpectSignedIn(t, p)
			})
		}
	})
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteCreateTask), "parallel tests wait for the one sign-in")
	assert.Len(t, s.emu.Sessions(clerkemu.SessionActive), 1)
}

func TestReuseSignInSignsInAfreshWhenTheSharedSessionEnded(t *testing.T) {
	s := fixtureStart(t)
	fixtureForgetShared(t, s)
	var first string
	t.Run("first", func(t *testing.T) {
		first = SignIn(t, s.opts(AsUser(fixtureAda), ReuseSignIn())...).SessionID()
	})
	// A test signed out, say: the shared session ends at Clerk, and once
	// its token expires the app's refresh fails.
	_, err := s.client.RevokeSession(context.Background(), first)
	require.NoError(t, err)
	s.emu.Advance(2 * time.Minute)
	var second string
	t.Run("after the shared session ended", func(t *testing.T) {
		p := SignIn(t, s.opts(AsUser(fixtureAda), ReuseSignIn())...)
		ExpectSignedIn(t, p)
		second = p.SessionID()
	})
	assert.NotEqual(t, first, second, "a fresh sign-in, shared from now on")
	assert.Equal(t, 2, s.emu.Requests(clerkemu.RouteCreateTask))
	t.Run("shares the fresh one", func(t *testing.T) {
		assert.Equal(t, second, SignIn(t, s.opts(AsUser(fixtureAda), ReuseSignIn())...).SessionID())
	})
	assert.Equal(t, 2, s.emu.Requests(clerkemu.RouteCreateTask))
}

func TestReuseSignInIsPerUser(t *testing.T) {
	s := fixtureStart(t)
	fixtureForgetShared(t, s)
	ada := SignIn(t, s.opts(AsUser(fixtureAda), ReuseSignIn())...)
	grace := SignIn(t, s.opts(AsIdentifier("grace@example.com"), ReuseSignIn())...)
	assert.NotEqual(t, ada.UserID(), grace.UserID())
	assert.NotEqual(t, ada.SessionID(), grace.SessionID())
	assert.Equal(t, 2, s.emu.Requests(clerkemu.RouteCreateTask))
}

func TestReuseSignInRefusesKeepSession(t *testing.T) {
	s := fixtureStart(t)
	p, err := NewPageContext(fixtureCtx(t), s.opts()...)
	t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
	require.NoError(t, err)
	err = p.SignIn(fixtureCtx(t), AsUser(fixtureAda), ReuseSignIn(), KeepSession())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ReuseSignIn and agenttest.KeepSession together")
	assert.Zero(t, s.emu.Requests(clerkemu.RouteCreateTask), "refused before any call")
}

// A shared sign-in's cookies are redacted from artifacts like any
// page's: only values long enough to be credentials. A short one (an
// app's lang=en, __client_uat's Unix seconds) left the artifacts
// unreadable ("agREDACTEDttest") and the trace's screenshots unfound
// (their names hold the time).
func TestReusedSignInArtifactsKeepShortCookieValues(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	fixtureForgetShared(t, s)
	base := t.TempDir()
	for _, name := range []string{"TestLeads", "TestFollows"} {
		ft := fixtureNewFakeT(t, name)
		ft.run(func(tb testing.TB) {
			page := NewPage(tb, s.opts(WithArtifactsDir(base), WithTrace(TraceRetainOnFailure))...)
			require.NoError(t, page.BrowserContext.AddCookies([]playwright.OptionalCookie{{
				Name: "lang", Value: "en", URL: playwright.String(s.app.URL()),
			}}))
			require.NoError(t, page.SignIn(fixtureCtx(t), AsUser(fixtureAda), ReuseSignIn()))
			tb.Error("fail to keep the artifacts")
		})
		dir := filepath.Join(base, name)
		html, err := os.ReadFile(filepath.Join(dir, artifactHTML))
		require.NoError(t, err)
		assert.Contains(t, string(html), `<html lang="en">`, name)
		assert.Contains(t, string(html), "agenttest demo", name)
		assert.NotContains(t, string(html), "REDACTED", name)
		assert.Empty(t, fixtureTraceMissingResources(t, filepath.Join(dir, artifactTrace)), "%s: resources the trace names but does not hold", name)
	}
}

// fixtureTraceMissingResources lists the resources (screenshots, page
// resources) a trace's entries name by their "sha1" that are not in the
// zip: what the viewer cannot show.
func fixtureTraceMissingResources(t *testing.T, path string) []string {
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	held := map[string]bool{}
	for _, f := range zr.File {
		held[f.Name] = true
	}
	require.NoError(t, zr.Close())
	text := fixtureUnzipText(t, path)
	var missing []string
	for _, m := range regexp.MustCompile(`"(?:sha1|_sha1)":"([^"]+)"`).FindAllSubmatch(text, -1) {
		if name := "resources/" + string(m[1]); !held[name] {
			missing = append(missing, name)
		}
	}
	return missing
}
