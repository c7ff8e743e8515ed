package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

func runCreate(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `It reads CLERK_SECRET_KEY and CLERK_API_URL from the environment, else from
.env.local and .env (the working directory's, then each parent's up to the
module root), and prints two lines:
  task_id=agttsk_…
  https://<Frontend API host>/v1/agents/tasks?ticket=…
The URL signs its holder in as the user until it is used, revoked or expires:
hand it only to the agent that should use it. Revoke an unused one with
agenttest revoke TASK_ID.`)
	var p agenttask.CreateParams
	fs.StringVar(&p.UserID, "user-id", "", "the user to sign in, by `id` (user_…)")
	fs.StringVar(&p.Identifier, "identifier", "", "the user to sign in, by verified email, phone number or username")
	fs.StringVar(&p.RedirectURL, "redirect-url", "", "absolute `URL` the browser lands on once signed in (required)")
	fs.StringVar(&p.AgentName, "agent-name", "", "agent `name` recorded in Clerk's audit log (default \"agenttest\")")
	fs.StringVar(&p.TaskDescription, "description", "", "task description recorded in Clerk's audit log (default \"agenttest sign-in\")")
	fs.DurationVar(&p.SessionMaxDuration, "session-max-duration", 0, "the longest the session may live, e.g. 30m (default Clerk's, 30m)")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	switch {
	case p.UserID != "" && p.Identifier != "":
		return fmt.Errorf("--user-id and --identifier name the user twice: pass exactly one")
	case p.UserID == "" && p.Identifier == "":
		return fmt.Errorf("no user: pass --user-id ID or --identifier EMAIL|PHONE|USERNAME")
	case p.UserID != "" && !strings.HasPrefix(p.UserID, "user_"):
		return fmt.Errorf("--user-id %s is not a Clerk user id (user_…): pass an email address, phone number or username as --identifier", quoteArg(p.UserID))
	case p.RedirectURL == "":
		return fmt.Errorf("no redirect: pass --redirect-url URL")
	case p.SessionMaxDuration < 0:
		return fmt.Errorf("--session-max-duration is negative: pass a positive duration such as 30m")
	}
	client, err := loadClient()
	if err != nil {
		return err
	}
	task, err := client.Create(ctx, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "task_id=%s\n%s\n", task.ID, task.URL())
	return nil
}
