package agenttask

import (
	"context"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"
)

// Session returns a session (GET /v1/sessions/{id}); its Status is one
// of "active", "revoked", "ended", "expired", and a session created by
// an Agent Task carries Actor {"type":"agent","task_id":…}.
func (c *Client) Session(ctx context.Context, sessionID string) (*clerk.Session, error) {
	op, err := idOp("get session", "session", sessionID)
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
	op, err := idOp("revoke session", "session", sessionID)
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
