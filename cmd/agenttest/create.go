package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/internal/redact"

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
	var given []error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "user-id":
			given = append(given, config.CheckGivenUser("--user-id "+redact.Quote(p.UserID), p.UserID, false))
		case "identifier":
			given = append(given, config.CheckGivenUser("--identifier "+redact.Quote(p.Identifier), p.Identifier, true))
		}
	})
	if err := errors.Join(given...); err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if p.SessionMaxDuration < 0 {
		return fmt.Errorf("--session-max-duration is negative: pass a positive duration such as 30m")
	}
	env, err := config.LoadEnv()
	if err != nil {
		return err
	}
	// Every missing or wrong setting at once, the instance's first; whom
	// and where as the fixture resolves them.
	cfg, cfgErr := agenttask.ConfigFromEnv(env)
	target, targetErr := config.ResolveTarget(env, config.Choice{
		UserID: p.UserID, Identifier: p.Identifier, Redirect: *redirect,
		UserIDName: "--user-id", IdentifierName: "--identifier", RedirectName: "--redirect-url",
	})
	if err := errors.Join(cfgErr, targetErr); err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	p.UserID, p.Identifier, p.RedirectURL = target.UserID, target.Identifier, target.Redirect.String()
	if cfg.Production() && target.Redirect.Scheme == "http" {
		return fmt.Errorf("the redirect URL %s uses http with a production key: production instances redirect to https only", redact.URL(p.RedirectURL))
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
		return createError(err, target)
	}
	fmt.Fprintf(stdout, "task_id=%s\n%s\n", task.ID, task.URL())
	return nil
}

// createError says a failed create in the CLI's words: a user Clerk
// does not have, and the library's parameter names as the flags that
// set them.
func createError(err error, user config.Target) error {
	var apiErr *agenttask.APIError
	if !errors.As(err, &apiErr) {
		return errors.New(paramNames(user).Replace(err.Error()))
	}
	if errors.Is(err, agenttask.ErrUserNotFound) {
		if user.UserID != "" {
			return fmt.Errorf("no user %s in this Clerk instance (%s): check %s against the instance's users (Clerk Dashboard → Users), and that CLERK_SECRET_KEY is that instance's key", user.UserID, apiErr.Summary(), user.Setting)
		}
		return fmt.Errorf("no user with the identifier %s in this Clerk instance (%s): check %s is a verified email address or phone number, or a username, of one of the instance's users (Clerk Dashboard → Users), or name the user by id", redact.Quote(user.Identifier), apiErr.Summary(), user.Setting)
	}
	// A refused key's error already names the key's variable and where
	// its value came from (agenttask's client adds it).
	return err
}

// paramNames replaces the library's parameter names, in an error about
// the parameters create passed, with the flags or variables that set
// them.
func paramNames(user config.Target) *strings.Replacer {
	id, identifier := "--user-id", "--identifier"
	if user.UserID != "" {
		id = user.Setting
	} else if user.Setting != "" {
		identifier = user.Setting
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
