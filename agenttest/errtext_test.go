package agenttest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errtextKey is a well-formed secret key that no instance knows.
var errtextKey = "sk_test_" + strings.Repeat("k", 40)

// errtextSignIn prepares a sign-in over env (no browser) and returns its
// error, which must be one line without the secret key.
func errtextSignIn(t *testing.T, env map[string]string, opts ...Option) error {
	t.Helper()
	s := newSuite(config.EnvFromMap(env))
	t.Cleanup(s.closeClient)
	o, err := resolve(defaults, atSignIn, opts)
	if err != nil {
		err = &SignInError{Step: StepConfig, Err: err}
	} else {
		_, err = prepareSignIn(context.Background(), s, o, nil)
	}
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
	if key := env[config.VarSecretKey]; len(key) > len("sk_test_") {
		assert.NotContains(t, err.Error(), key)
	}
	return err
}

// A configuration error reads "agenttest: sign in: config: …" once, not
// "agenttest: sign in: config: agenttest: config: …", and errors.As still
// reaches the SignInError.
func TestConfigErrorHasOnePrefix(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"missing key": {config.VarSecretKey: "", config.VarUserID: fixtureAda},
		"bad key":     {config.VarSecretKey: "sk_test_abc", config.VarUserID: fixtureAda},
		"bad api url": {config.VarSecretKey: errtextKey, config.VarAPIURL: "localhost:1234", config.VarUserID: fixtureAda},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := errtextSignIn(t, env)
			assert.Regexp(t, `^agenttest: sign in: config: CLERK_(SECRET_KEY|API_URL) `, err.Error())
			assert.Equal(t, 1, strings.Count(err.Error(), "agenttest:"), err.Error())
			assert.Equal(t, 1, strings.Count(err.Error(), "config:"), err.Error())
			var sie *SignInError
			assert.True(t, errors.As(err, &sie))
		})
	}
}

// An identifier nobody has: the lookup's error is named once.
func TestUnknownIdentifierHasOnePrefix(t *testing.T) {
	t.Parallel()
	f := fixtureStart(t)
	err := errtextSignIn(t, map[string]string{
		config.VarSecretKey: f.emu.SecretKey(), config.VarAPIURL: f.emu.APIURL(), config.VarAppURL: f.app.URL(),
	}, AsIdentifier("nobody@example.com"))
	assert.Equal(t, "agenttest: sign in as nobody@example.com: config: find user nobody@example.com: user not found: no user has this email address, phone number or username; check the identifier and that the user exists in this Clerk instance (the identifier is set by agenttest.AsIdentifier)", err.Error())
	assert.ErrorIs(t, err, agenttask.ErrUserNotFound)
	// From the environment, the message names the variable.
	err = errtextSignIn(t, map[string]string{
		config.VarSecretKey: f.emu.SecretKey(), config.VarAPIURL: f.emu.APIURL(), config.VarAppURL: f.app.URL(),
		config.VarUserIdentifier: "nobody@example.com",
	})
	assert.True(t, strings.HasSuffix(err.Error(), "(the identifier is set by AGENTTEST_USER_IDENTIFIER)"), err.Error())
}

// AsUser or AGENTTEST_USER_ID given an email address is refused before
// any call (the Backend API URL here answers nothing), pointing at the
// identifier form.
func TestUserIDThatIsNotOneIsRefused(t *testing.T) {
	t.Parallel()
	env := map[string]string{config.VarSecretKey: errtextKey, config.VarAPIURL: fixtureClosedURL(t), config.VarAppURL: fixtureClosedURL(t)}
	t.Run("AsUser", func(t *testing.T) {
		t.Parallel()
		err := errtextSignIn(t, env, AsUser("ada@example.com"))
		assert.Equal(t, `agenttest: sign in as ada@example.com: config: agenttest.AsUser is "ada@example.com", not a Clerk user id (user_…): for an email address, phone number or username use agenttest.AsIdentifier`, err.Error())
	})
	t.Run("AGENTTEST_USER_ID", func(t *testing.T) {
		t.Parallel()
		env := map[string]string{config.VarUserID: "ada"}
		for k, v := range map[string]string{config.VarSecretKey: errtextKey, config.VarAPIURL: fixtureClosedURL(t), config.VarAppURL: fixtureClosedURL(t)} {
			env[k] = v
		}
		err := errtextSignIn(t, env)
		assert.Equal(t, `agenttest: sign in as ada: config: AGENTTEST_USER_ID is "ada", not a Clerk user id (user_…): for an email address, phone number or username use AGENTTEST_USER_IDENTIFIER, or pass agenttest.AsIdentifier`, err.Error())
	})
}

// AsIdentifier with an unverified email address says so, before any
// task is made, instead of Clerk's "user not found".
func TestUnverifiedIdentifierIsNamed(t *testing.T) {
	t.Parallel()
	f := fixtureStart(t)
	err := errtextSignIn(t, map[string]string{
		config.VarSecretKey: f.emu.SecretKey(), config.VarAPIURL: f.emu.APIURL(), config.VarAppURL: f.app.URL(),
	}, AsIdentifier("alan.unverified@example.com"))
	assert.Equal(t, "agenttest: sign in as alan.unverified@example.com: config: find user alan.unverified@example.com: identifier not verified: the email address belongs to user_2alan0000000000000000000003 but is not verified, and an Agent Task needs a verified email address, phone number or username: verify it (Clerk Dashboard, Users), or name the user by id (user_2alan0000000000000000000003)", err.Error())
	assert.ErrorIs(t, err, agenttask.ErrIdentifierNotVerified)
	assert.Zero(t, f.emu.Requests(clerkemu.RouteCreateTask), "no task for an unverified identifier")
}

// AGENTTEST_USER_ID and AGENTTEST_USER_IDENTIFIER are trimmed like every
// variable: a stray space in .env.local is no part of the id (it made a
// ledger error that named neither the variable nor the space).
func TestUserVariablesAreTrimmed(t *testing.T) {
	t.Parallel()
	for _, v := range []string{config.VarUserID, config.VarUserIdentifier} {
		want := fixtureAda
		if v == config.VarUserIdentifier {
			want = "ada@example.com"
		}
		s := newSuite(config.EnvFromMap(map[string]string{config.VarSecretKey: errtextKey, config.VarAPIURL: fixtureClosedURL(t), config.VarAppURL: "http://localhost:3000", v: " " + want + " \t"}))
		t.Cleanup(s.closeClient)
		tg, _, err := resolveTarget(s, defaults, nil)
		require.NoError(t, err, v)
		assert.Equal(t, want, tg.Who(), v)
	}
}
