package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// choice names the settings as the fixture does.
func choice(userID, identifier, redirect string) Choice {
	return Choice{UserID: userID, Identifier: identifier, Redirect: redirect,
		UserIDName: "agenttest.AsUser", IdentifierName: "agenttest.AsIdentifier", RedirectName: "agenttest.RedirectTo"}
}

func TestResolveTargetRedirect(t *testing.T) {
	t.Parallel()
	cases := []struct{ app, redirect, want, err string }{
		{"http://localhost:3000", "/dashboard", "http://localhost:3000/dashboard", ""},
		{"http://localhost:3000/ ", "dashboard", "http://localhost:3000/dashboard", ""},
		{"http://localhost:3000", "", "http://localhost:3000/", ""},
		{"", "https://app.example.com/x", "https://app.example.com/x", ""},
		{"", "https://app.example.com", "https://app.example.com/", ""},
		{"", "/dashboard", "", `agenttest.RedirectTo is "/dashboard", a path, but AGENTTEST_APP_URL is not set: set it to your app's URL (e.g. http://localhost:3000), or pass a full URL`},
		{"", "", "", "no redirect: set AGENTTEST_APP_URL to your app's URL (e.g. http://localhost:3000), or pass a full URL to agenttest.RedirectTo"},
		{"", "ftp://x/y", "", `agenttest.RedirectTo is "ftp://x/y", not an absolute http(s) URL: pass one such as http://localhost:3000/dashboard, or a path such as /dashboard with AGENTTEST_APP_URL set`},
		{"", "https://u:pw@x.dev/?ticket=t", "", `agenttest.RedirectTo is "https://…@x.dev/?…", with user information (user:password@), which Clerk would receive in redirect_url: remove it`},
		{"http://u:pw@localhost:3000", "/x", "", "AGENTTEST_APP_URL (from the given map) holds user information (user:password@), which Clerk would receive in redirect_url: remove it"},
		{"localhost:3000", "/x", "", "AGENTTEST_APP_URL (from the given map) is not an absolute http(s) URL: set it to your app's URL (e.g. http://localhost:3000), or pass a full URL to agenttest.RedirectTo"},
	}
	for _, c := range cases {
		env := EnvFromMap(map[string]string{VarUserID: "user_1", VarAppURL: c.app})
		got, err := ResolveTarget(env, choice("", "", c.redirect))
		if c.err != "" {
			assert.EqualError(t, err, c.err, "%+v", c)
			continue
		}
		require.NoError(t, err, "%+v", c)
		if c.want != "" {
			assert.Equal(t, c.want, got.Redirect.String())
		}
	}
	// A URL's credentials and query are not shown.
	_, err := ResolveTarget(EnvFromMap(nil), choice("user_1", "", "ftp://u:pw@x.dev/?ticket=tkt_secret"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "pw")
	assert.NotContains(t, err.Error(), "tkt_secret")
}

func TestResolveTargetUser(t *testing.T) {
	t.Parallel()
	app := map[string]string{VarAppURL: "http://localhost:3000"}
	with := func(m map[string]string) Env {
		for k, v := range app {
			m[k] = v
		}
		return EnvFromMap(m)
	}
	got, err := ResolveTarget(with(map[string]string{VarUserIdentifier: " ada@example.com \t"}), choice("", "", ""))
	require.NoError(t, err)
	assert.Equal(t, Target{Identifier: "ada@example.com", Setting: VarUserIdentifier, Redirect: got.Redirect}, got, "trimmed")
	got, err = ResolveTarget(with(map[string]string{VarUserID: "user_env"}), choice("", "ada@example.com", ""))
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", got.Who(), "the choice wins over the variable")
	assert.Equal(t, "agenttest.AsIdentifier", got.Setting)

	for _, c := range []struct {
		env                map[string]string
		userID, identifier string
		err                string
	}{
		{map[string]string{}, "", "", "no user: pass agenttest.AsUser or agenttest.AsIdentifier, or set AGENTTEST_USER_ID or AGENTTEST_USER_IDENTIFIER"},
		{map[string]string{VarUserID: "user_1", VarUserIdentifier: "a@x.dev"}, "", "", "both AGENTTEST_USER_ID and AGENTTEST_USER_IDENTIFIER are set: keep one, or pass agenttest.AsUser or agenttest.AsIdentifier"},
		{map[string]string{}, "user_1", "a@x.dev", "agenttest.AsUser and agenttest.AsIdentifier name the user twice: pass exactly one"},
		{map[string]string{}, "ada@example.com", "", `agenttest.AsUser is "ada@example.com", not a Clerk user id (user_…): for an email address, phone number or username use agenttest.AsIdentifier`},
		{map[string]string{VarUserID: "ada"}, "", "", `AGENTTEST_USER_ID is "ada", not a Clerk user id (user_…): for an email address, phone number or username use AGENTTEST_USER_IDENTIFIER, or pass agenttest.AsIdentifier`},
		{map[string]string{}, "\u201cuser_2ada\u201d", "", `agenttest.AsUser is "“user_2ada”", a user id in quote characters: remove them`},
		{map[string]string{VarUserID: "'user_2ada'"}, "", "", `AGENTTEST_USER_ID is "'user_2ada'", a user id in quote characters: remove them`},
		{map[string]string{}, "user_x\nFAKE", "", `agenttest.AsUser is "user_x\nFAKE", not a Clerk user id (user_…: at most 128 letters, digits, '_' and '-'): pass the id Clerk returned, or the user's email, phone number or username as agenttest.AsIdentifier`},
		{map[string]string{VarUserID: "user_x\nFAKE: forged line"}, "", "", `AGENTTEST_USER_ID is "user_x\nFAKE: forged line", not a Clerk user id (user_…: at most 128 letters, digits, '_' and '-'): pass the id Clerk returned, or the user's email, phone number or username as AGENTTEST_USER_IDENTIFIER, or pass agenttest.AsIdentifier`},
	} {
		_, err := ResolveTarget(with(c.env), choice(c.userID, c.identifier, ""))
		assert.EqualError(t, err, c.err, "%+v", c)
	}
	// Every problem at once, on one line.
	_, err = ResolveTarget(EnvFromMap(nil), choice("", "", ""))
	assert.EqualError(t, err, "no user: pass agenttest.AsUser or agenttest.AsIdentifier, or set AGENTTEST_USER_ID or AGENTTEST_USER_IDENTIFIER; no redirect: set AGENTTEST_APP_URL to your app's URL (e.g. http://localhost:3000), or pass a full URL to agenttest.RedirectTo")
}
