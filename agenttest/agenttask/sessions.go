package agenttask

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/agenttest/agenttest/internal/clerkid"
	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"
)

// Session returns a session (GET /v1/sessions/{id}); its Status is one
// of "active", "revoked", "ended", "expired", and a session created by
// an Agent Task carries Actor {"type":"agent","task_id":…}.
func (c *Client) Session(ctx context.Context, sessionID string) (*clerk.Session, error) {
	op, err := clerkid.Op("get session", "session", sessionID)
	if err != nil {
		return nil, err
	}
	ctx, rec := withCallRecord(ctx)
	s, err := (&session.Client{Backend: c.Backend}).Get(ctx, sessionID)
	if err != nil {
		return nil, c.callError(op, rec, err)
	}
	return s, nil
}

// RevokeSession revokes a session (POST /v1/sessions/{id}/revoke), which
// signs the browser holding it out, and returns it.
func (c *Client) RevokeSession(ctx context.Context, sessionID string) (*clerk.Session, error) {
	op, err := clerkid.Op("revoke session", "session", sessionID)
	if err != nil {
		return nil, err
	}
	ctx, rec := withCallRecord(ctx)
	s, err := (&session.Client{Backend: c.Backend}).Revoke(ctx, &session.RevokeParams{ID: sessionID})
	if err != nil {
		return nil, c.callError(op, rec, err)
	}
	return s, nil
}

// Actor is who acts in a session on the user's behalf: for a session an
// Agent Task created, {Type: "agent", Subject: "agt_…", TaskID:
// "agttsk_…"}.
type Actor struct {
	Subject string `json:"sub"`
	Type    string `json:"type"`
	TaskID  string `json:"task_id"`
}

// SessionActor reads a session's actor; nil when it has none.
func SessionActor(s *clerk.Session) *Actor {
	if s == nil || len(s.Actor) == 0 || string(s.Actor) == "null" {
		return nil
	}
	var a Actor
	if json.Unmarshal(s.Actor, &a) != nil {
		return nil
	}
	return &a
}

// TaskSessions returns the active sessions of the user that the Agent
// Task taskID created (GET /v1/sessions?user_id=…&status=active, matched
// on the session's actor.task_id). Cleanup uses it to revoke the session
// of a task whose ticket was spent when the sign-in failed before the
// session was known.
func (c *Client) TaskSessions(ctx context.Context, userID, taskID string) ([]*clerk.Session, error) {
	if _, err := clerkid.Op("list sessions of agent task", "task", taskID); err != nil {
		return nil, err
	}
	all, err := c.ActiveSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []*clerk.Session
	for _, s := range all {
		if a := SessionActor(s); a != nil && a.TaskID == taskID {
			out = append(out, s)
		}
	}
	return out, nil
}

// activeSessionsPage and activeSessionsMaxPages bound the listing of one
// user's active sessions (Clerk's largest page, 500; 20 pages).
const (
	activeSessionsPage     = 500
	activeSessionsMaxPages = 20
)

// ActiveSessions lists every active session of the user, page by page
// (GET /v1/sessions?user_id=…&status=active&limit=500&offset=…).
func (c *Client) ActiveSessions(ctx context.Context, userID string) ([]*clerk.Session, error) {
	op, err := clerkid.Op("list active sessions of user", "user", userID)
	if err != nil {
		return nil, err
	}
	active := "active"
	var out []*clerk.Session
	for page := 0; page < activeSessionsMaxPages; page++ {
		limit, offset := int64(activeSessionsPage), int64(page*activeSessionsPage)
		pctx, rec := withCallRecord(ctx)
		list, err := (&session.Client{Backend: c.Backend}).List(pctx, &session.ListParams{
			ListParams: clerk.ListParams{Limit: &limit, Offset: &offset},
			UserID:     &userID,
			Status:     &active,
		})
		if err != nil {
			return nil, c.callError(op, rec, err)
		}
		out = append(out, list.Sessions...)
		if len(list.Sessions) < activeSessionsPage || int64(len(out)) >= list.TotalCount {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%s: more than %d active sessions", op, activeSessionsPage*activeSessionsMaxPages)
}
