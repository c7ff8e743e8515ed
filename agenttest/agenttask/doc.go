// Package agenttask is a client of Clerk's Backend API for Agent Tasks:
// create a task (a single-use URL that signs a user in and redirects to
// the app), revoke it, and the few user and session calls a sign-in
// needs. It is shaped like clerk-sdk-go's resource packages and links
// neither a browser nor the testing package, so tools and CLIs can use
// it alone.
//
//	cfg, err := agenttask.LoadConfig() // CLERK_SECRET_KEY, CLERK_API_URL
//	client, err := agenttask.NewClient(cfg)
//	task, err := client.Create(ctx, agenttask.CreateParams{UserID: "user_…", RedirectURL: "http://localhost:3000/"})
//	// hand task.URL() to a browser, once; revoke a task you did not use:
//	_, err = client.Revoke(ctx, task.ID)
//
// # Configuration
//
// [config.LoadEnv] takes the one snapshot of configuration the module reads:
// the process environment over .env.local over .env, from the working
// directory up to the module root, without modifying the process
// environment. [config.Variables] lists every variable agenttest reads, with
// its default. [ConfigFromEnv] turns a snapshot into a [Config]; sk_live_
// keys are refused unless AGENTTEST_ALLOW_PRODUCTION=1: an Agent Task
// mints a real session for a real user. [NewClient] takes one Config,
// whose zero fields have documented defaults.
//
// # Calls
//
// [Client.Create] checks its parameters before any request and returns
// a [Task] whose URL only [Task.URL] returns. Revoke a task you did not
// use; errors.Is(err, [ErrTaskNotPending]) means it was already used,
// revoked or expired, and [ErrTaskNotFound] that the instance has no
// such task. Failures from Clerk are [*APIError]
// values with the status, every Clerk code and message, and the trace
// id.
//
// Every request, retries included, waits on a client-side rate limiter
// shared by every Client of the same secret key in the process, which
// keeps the process to its share of Clerk's per-instance limit (100
// requests per 10 s for development keys, 1000 for production; half by
// default, the rest left to the app under test: Config.RateShare,
// AGENTTEST_RATE_SHARE, [NewServerShareLimiter]): 90% of that share in any
// 10.5 s, sent at once when they come at once ([WindowLimiter]). Failed
// requests are retried on 408, 429, 5xx gateway errors and dropped
// connections with exponential backoff, or after the server's
// Retry-After when it sends one, never past the context's deadline
// ([RetryPolicy]). A create whose answer was
// lost may therefore leave a duplicate pending task that nobody holds
// the URL of; Clerk expires it, and Create names it ([Task.Warning]).
//
// Errors show a caller's ids, identifiers, URLs and environment values
// on one line, quoted when they are not plain, at most 80 characters of
// each.
//
// # Sessions without a browser
//
// [VisitTask] opens a task URL once without following Clerk's redirect
// into the app, which creates the session as a browser's visit does, and
// reads its first session token from the redirect's handshake.
// [Client.SessionToken] mints a fresh token for a session (POST
// /v1/sessions/{id}/tokens); [Client.NewTokenSource] reuses each token
// until shortly before it expires; [Transport] sends them as
// "Authorization: Bearer" (golang.org/x/oauth2's Transport shape).
//
// [EndSession] signs a browser's client out of a session on the Frontend
// API, as clerk-js does, identified by the client's __client cookie or
// dev browser token: the session ends without a Backend API request,
// leaving the rate limit's budget for creating tasks.
//
// # Secrets
//
// Config, Env, Client, Task, TestingToken and SessionToken print redacted through every fmt verb,
// slog and JSON; errors never carry the secret key or a ticket.
package agenttask
