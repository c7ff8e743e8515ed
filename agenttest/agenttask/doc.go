// Package agenttask is a client of Clerk's Backend API for Agent Tasks:
// create a task (a single-use URL that signs a user in and redirects to
// the app), revoke it, and the user, session, session token and Testing
// Token calls a sign-in needs. Every request waits on a rate limiter
// shared by the process's clients of one secret key ([Config.Limiter])
// and is retried on 408, 429, 500, 502, 503, 504 and dropped connections
// ([RetryPolicy]). Failures from Clerk are [*APIError] values; the secret
// key, task URLs and tokens print redacted. It links neither a browser
// nor the testing package.
//
//	cfg, err := agenttask.LoadConfig() // CLERK_SECRET_KEY, CLERK_API_URL
//	client, err := agenttask.NewClient(cfg)
//	task, err := client.Create(ctx, agenttask.CreateParams{UserID: "user_…", RedirectURL: "http://localhost:3000/"})
//	// hand task.URL() to a browser, once; revoke a task you did not use:
//	_, err = client.Revoke(ctx, task.ID)
package agenttask
