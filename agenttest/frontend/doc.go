// Package frontend makes the calls agenttest needs on a Clerk instance's
// Frontend API without a browser: [VisitTask] opens a task URL once,
// which creates the session as a browser's visit does, and reads its
// first session token; [EndSession] signs a browser's client out of a
// session without spending the Backend API's rate limit.
//
//	tok, err := frontend.VisitTask(ctx, nil, task, nil) // once: the ticket is single-use
package frontend
