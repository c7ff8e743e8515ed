package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/agenttest/agenttest/internal/redact"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

func runCreate(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `It reads its configuration as the tests do: the environment, else .env.local
and .env (the working directory's, then each parent's up to the module root).
CLERK_SECRET_KEY and CLERK_API_URL name the Clerk instance. Without --user-id
or --identifier the user is AGENTTEST_USER_ID or AGENTTEST_USER_IDENTIFIER.
Without --redirect-url the browser lands on AGENTTEST_APP_URL, and a path such
as /dashboard is on it. It prints two lines:
  task_id=agttsk_…
  https://<Frontend API host>/v1/agents/tasks?ticket=…
The URL signs its holder in as the user until it is used, revoked or expires:
hand it only to the agent that should use it. Revoke an unused one with
agenttest revoke TASK_ID.`)
	var p agenttask.CreateParams
	fs.StringVar(&p.UserID, "user-id", "", "the user to sign in, by `id` (user_…; default "+config.VarUserID+")")
	fs.StringVar(&p.Identifier, "identifier", "", "the user to sign in, by verified email, phone number or username (default "+config.VarUserIdentifier+")")
	redirect := fs.String("redirect-url", "", "the `URL` the browser lands on once signed in: absolute, or a path on "+config.VarAppURL+" (default "+config.VarAppURL+")")
	fs.StringVar(&p.AgentName, "agent-name", "", "agent `name` recorded in Clerk's audit log (default \"agenttest\")")
	fs.StringVar(&p.TaskDescription, "description", "", "task description recorded in Clerk's audit log (default \"agenttest sign-in\")")
	fs.DurationVar(&p.SessionMaxDuration, "session-max-duration", 0, "the longest the session may live, e.g. 30m (default Clerk's, 30m)")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	switch {
	case p.UserID != "" && p.Identifier != "":
		return fmt.Errorf("--user-id and --identifier name the user twice: pass exactly one")
	case p.UserID != "" && !strings.HasPrefix(p.UserID, "user_"):
		return fmt.Errorf("--user-id %s is not a Clerk user id (user_…): pass an email address, phone number or username as --identifier", redact.Quote(p.UserID))
	case p.SessionMaxDuration < 0:
		return fmt.Errorf("--session-max-duration is negative: pass a positive duration such as 30m")
	}
	env, err := config.LoadEnv()
	if err != nil {
		return err
	}
	// Every missing or wrong setting at once, the instance's first.
	cfg, cfgErr := agenttask.ConfigFromEnv(env)
	user, userErr := createUser(&p, env)
	target, targetErr := redirectURL(*redirect, env)
	if err := errors.Join(cfgErr, userErr, targetErr); err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	p.RedirectURL = target.String()
	if cfg.Production() && target.Scheme == "http" {
		return fmt.Errorf("the redirect URL %s uses http with a production key: production instances redirect to https only", shownURL(p.RedirectURL))
	}
	client, err := agenttask.NewClient(cfg)
	if err != nil {
		return fmt.Errorf("new client: %w", err)
	}
	if err := checkAPI(ctx, client); err != nil {
		return err
	}
	task, err := client.Create(ctx, p)
	if err != nil {
		return createError(err, user)
	}
	fmt.Fprintf(stdout, "task_id=%s\n%s\n", task.ID, task.URL())
	return nil
}

// taskUser is whom a task is for and which setting named them.
type taskUser struct {
	// value is the user id or identifier; setting the flag or variable
	// it came from ("--user-id", "AGENTTEST_USER_IDENTIFIER").
	value, setting string
	byID           bool
}

// createUser fills p's user from AGENTTEST_USER_ID or
// AGENTTEST_USER_IDENTIFIER when no flag named one, like the tests do,
// and returns whom the task is for.
func createUser(p *agenttask.CreateParams, env config.Env) (taskUser, error) {
	switch {
	case p.UserID != "":
		return taskUser{p.UserID, "--user-id", true}, nil
	case p.Identifier != "":
		return taskUser{p.Identifier, "--identifier", false}, nil
	}
	id, _ := env.Lookup(config.VarUserID)
	identifier, _ := env.Lookup(config.VarUserIdentifier)
	id, identifier = strings.TrimSpace(id), strings.TrimSpace(identifier)
	switch {
	case id != "" && identifier != "":
		return taskUser{}, fmt.Errorf("both %s and %s are set: keep one, or pass --user-id or --identifier", config.VarUserID, config.VarUserIdentifier)
	case id != "" && !strings.HasPrefix(id, "user_"):
		return taskUser{}, fmt.Errorf("%s=%s is not a Clerk user id (user_…): for an email address, phone number or username set %s instead, or pass --identifier", config.VarUserID, redact.Quote(id), config.VarUserIdentifier)
	case id != "":
		p.UserID = id
		return taskUser{id, config.VarUserID, true}, nil
	case identifier != "":
		p.Identifier = identifier
		return taskUser{identifier, config.VarUserIdentifier, false}, nil
	}
	return taskUser{}, fmt.Errorf("no user: pass --user-id ID or --identifier EMAIL|PHONE|USERNAME, or set %s or %s", config.VarUserID, config.VarUserIdentifier)
}

// redirectURL is where the task's browser lands: the --redirect-url
// flag's value when it is an absolute URL, else that path (or the root)
// on AGENTTEST_APP_URL, as the tests resolve agenttest.RedirectTo.
func redirectURL(flagValue string, env config.Env) (*url.URL, error) {
	appURL, _ := env.Lookup(config.VarAppURL)
	appURL = strings.TrimRight(strings.TrimSpace(appURL), "/")
	u, err := url.Parse(flagValue)
	switch {
	case err != nil || u.Scheme != "" || strings.HasPrefix(flagValue, "//"):
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			return nil, fmt.Errorf("--redirect-url %s is not an absolute http(s) URL: pass one such as http://localhost:3000/dashboard, or a path such as /dashboard with %s set", redact.Quote(shownURL(flagValue)), config.VarAppURL)
		}
		return withPath(u), nil
	case appURL == "" && flagValue == "":
		return nil, fmt.Errorf("no redirect: pass --redirect-url URL, or set %s to your app's URL (e.g. http://localhost:3000)", config.VarAppURL)
	case appURL == "":
		return nil, fmt.Errorf("--redirect-url %s is a path but %s is not set: set it to your app's URL (e.g. http://localhost:3000), or pass a full URL", redact.Quote(shownURL(flagValue)), config.VarAppURL)
	}
	if flagValue != "" && !strings.HasPrefix(flagValue, "/") {
		flagValue = "/" + flagValue
	}
	u, err = url.Parse(appURL + flagValue)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		// Not shown: a URL in the configuration may hold a password.
		return nil, fmt.Errorf("%s is not an absolute http(s) URL: set it to your app's URL (e.g. http://localhost:3000), or pass a full --redirect-url", config.VarAppURL)
	}
	return withPath(u), nil
}

// withPath gives a URL without a path the root path, as browsers do.
func withPath(u *url.URL) *url.URL {
	if u.Path == "" {
		u.Path = "/"
	}
	return u
}

// shownURL is raw without its query, fragment and user information,
// which may hold credentials: each is shown as "…".
func shownURL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + "…"
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		host := rest
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			host = rest[:i]
		}
		if at := strings.LastIndex(host, "@"); at >= 0 {
			s = scheme + "://…" + rest[at:]
		}
	}
	return s
}

// createError says a failed create in the CLI's words: a user Clerk
// does not have, and the library's parameter names as the flags that
// set them.
func createError(err error, user taskUser) error {
	var apiErr *agenttask.APIError
	if !errors.As(err, &apiErr) {
		return errors.New(paramNames(user).Replace(err.Error()))
	}
	if errors.Is(err, agenttask.ErrUserNotFound) {
		if user.byID {
			return fmt.Errorf("no user %s in this Clerk instance (%s): check %s against the instance's users (Clerk Dashboard → Users), and that CLERK_SECRET_KEY is that instance's key", user.value, apiErr.Summary(), user.setting)
		}
		return fmt.Errorf("no user with the identifier %s in this Clerk instance (%s): check %s is a verified email address or phone number, or a username, of one of the instance's users (Clerk Dashboard → Users), or name the user by id", redact.Quote(user.value), apiErr.Summary(), user.setting)
	}
	// A refused key's error already names the key's variable and where
	// its value came from (agenttask's client adds it).
	return err
}

// paramNames replaces the library's parameter names, in an error about
// the parameters create passed, with the flags or variables that set
// them.
func paramNames(user taskUser) *strings.Replacer {
	id, identifier := "--user-id", "--identifier"
	if user.byID {
		id = user.setting
	} else if user.setting != "" {
		identifier = user.setting
	}
	return strings.NewReplacer(
		"CreateParams.UserID", id,
		"CreateParams.Identifier", identifier,
		"CreateParams.RedirectURL", "the redirect URL",
		"CreateParams.SessionMaxDuration", "--session-max-duration",
		"CreateParams.AgentName", "--agent-name",
		"CreateParams.TaskDescription", "--description",
	)
}
