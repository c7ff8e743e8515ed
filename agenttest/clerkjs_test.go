package agenttest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmulatedFrontendAPIIsAnHTTPLoopbackProxy(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{config.VarProxyURL: "http://127.0.0.1:4000"}, "127.0.0.1:4000"},
		{map[string]string{config.VarFrontendAPIURL: "http://localhost:4000"}, "localhost:4000"},
		{map[string]string{config.VarProxyURL: "https://example.com/__clerk", config.VarFrontendAPIURL: "http://[::1]:4000"}, "[::1]:4000"},
		{map[string]string{config.VarProxyURL: "https://example.com/__clerk"}, ""},
		{map[string]string{config.VarProxyURL: "http://10.0.0.1:4000"}, ""},
		{map[string]string{}, ""},
	} {
		s := &suite{env: config.EnvFromMap(tc.env)}
		got := ""
		if u := s.emulatedFrontendAPI(); u != nil {
			got = u.Host
		}
		assert.Equal(t, tc.want, got, "%v", tc.env)
	}
}

func TestEmulatedURLKeepsPathAndQuery(t *testing.T) {
	to, err := url.Parse("http://127.0.0.1:4000/proxy/")
	require.NoError(t, err)
	got, ok := emulatedURL("https://calm-otter-12.clerk.accounts.dev/v1/client?__clerk_db_jwt=x&_method=PATCH", to)
	require.True(t, ok)
	assert.Equal(t, "http://127.0.0.1:4000/proxy/v1/client?__clerk_db_jwt=x&_method=PATCH", got)
}

func TestHTTPSProxyHintOnlyForLoopbackHTTPS(t *testing.T) {
	assert.Contains(t, httpsProxyHint("https://127.0.0.1:4000/npm/@clerk/clerk-js@6/dist/clerk.browser.js"), "NEXT_PUBLIC_CLERK_JS_URL")
	assert.Empty(t, httpsProxyHint("https://calm-otter-12.clerk.accounts.dev/npm/@clerk/clerk-js@6/dist/clerk.browser.js"))
	assert.Empty(t, httpsProxyHint("http://127.0.0.1:4000/npm/@clerk/clerk-js@6/dist/clerk.browser.js"))
}

func TestLastClerkConsoleError(t *testing.T) {
	log := "error: Failed to load resource: 404\nwarning: Clerk: development keys\nerror: ClerkJS: Something went wrong initializing Clerk\nlog: done\n"
	assert.Equal(t, "error: ClerkJS: Something went wrong initializing Clerk", lastClerkConsoleError(log))
	assert.Empty(t, lastClerkConsoleError("warning: Clerk: development keys\n"))
}

// The fixture's wait for clerk-js, on pages that stand in for the ways
// it ends: no clerk-js (nothing to wait for), a clerk-js script that does
// not load, clerk-js loaded signed out or holding another session.
func TestWaitClerkJSSaysHowClerkJSEnded(t *testing.T) {
	pages := map[string]string{
		"/plain":   `<p>no clerk-js here</p>`,
		"/missing": `<script data-clerk-js-script async src="/npm/@clerk/clerk-js@6/dist/clerk.browser.js"></script>`,
		"/out":     `<script>window.Clerk = { loaded: true, status: 'ready', user: null, session: null }</script>`,
		"/other":   `<script>window.Clerk = { loaded: true, status: 'ready', user: { id: 'user_2other' }, session: { id: 'sess_2other' } }</script>`,
		"/errored": `<script>window.Clerk = { loaded: false, status: 'error' }</script>`,
		"/ok":      `<script>window.Clerk = { loaded: false }; setTimeout(() => { Object.assign(window.Clerk, { loaded: true, status: 'ready', user: { id: 'user_2me' }, session: { id: 'sess_2me' } }) }, 200)</script>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><html><body>" + body + "</body></html>"))
	}))
	t.Cleanup(srv.Close)
	page := NewPage(t)
	wait := func(path string) error {
		t.Helper()
		_, err := page.Page.Goto(srv.URL + path)
		require.NoError(t, err)
		return page.waitClerkJS(page.opts, "user_2me", "sess_2me")
	}
	require.NoError(t, wait("/plain"))
	require.NoError(t, wait("/ok"))
	err := wait("/missing")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "clerk-js in the page did not load: its script "+srv.URL+"/npm/@clerk/clerk-js@6/dist/clerk.browser.js failed to load")
	err = wait("/out")
	require.Error(t, err)
	assert.Equal(t, "clerk-js in the page loaded signed out, while the app's cookie is user_2me's session sess_2me", err.Error())
	err = wait("/other")
	require.Error(t, err)
	assert.Equal(t, "clerk-js in the page holds user_2other's session sess_2other, want user_2me's sess_2me", err.Error())
	err = wait("/errored")
	require.Error(t, err)
	assert.Equal(t, `clerk-js in the page loaded with status "error"`, err.Error())
}
