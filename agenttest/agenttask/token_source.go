package agenttask

import (
	"context"
	"time"
)

// TokenSource gives session tokens: the shape of golang.org/x/oauth2's
// TokenSource, with a context, for [Transport].
type TokenSource interface {
	// Token returns a token valid for at least a little while longer.
	Token(ctx context.Context) (*SessionToken, error)
}

// DefaultRefreshMargin is how long before its expiry a
// [SessionTokenSource] replaces a token by default: a request that
// takes a while (and a clock a little off) still reaches the app with a
// valid token.
const DefaultRefreshMargin = 10 * time.Second

// TokenSourceOptions configures a [SessionTokenSource]; the zero value
// is ready to use.
type TokenSourceOptions struct {
	// RefreshMargin: a token with less than this left is replaced.
	// Zero means DefaultRefreshMargin.
	RefreshMargin time.Duration
	// Now is the clock a token's expiry is judged by. Nil means
	// time.Now; a test that moves an emulator's clock passes the
	// emulator's Now.
	Now func() time.Time
	// Initial is a token of the session to use first (the one a sign-in
	// just produced, say), saving a request. Nil mints one on first use.
	Initial *SessionToken
}

// SessionTokenSource mints session tokens for one session through
// [Client.SessionToken] and reuses each until it is about to expire
// (see TokenSourceOptions.RefreshMargin), like oauth2.ReuseTokenSource.
// It is safe for concurrent use; at most one mint is in flight, and
// callers waiting on it give up when their context ends.
type SessionTokenSource struct {
	client    *Client
	sessionID string
	margin    time.Duration
	now       func() time.Time

	// sem is held by whoever reads or replaces tok: a channel, so that
	// a caller waiting for a mint can give up when its context ends.
	sem chan struct{}
	tok *SessionToken
}

// NewTokenSource returns a source of session tokens for the session
// sessionID (sess_…) of c's instance.
func (c *Client) NewTokenSource(sessionID string, opts TokenSourceOptions) *SessionTokenSource {
	s := &SessionTokenSource{
		client:    c,
		sessionID: sessionID,
		margin:    opts.RefreshMargin,
		now:       opts.Now,
		sem:       make(chan struct{}, 1),
		tok:       opts.Initial,
	}
	if s.margin <= 0 {
		s.margin = DefaultRefreshMargin
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// SessionID returns the session the source mints tokens for.
func (s *SessionTokenSource) SessionID() string { return s.sessionID }

// Token returns the current token if it has more than the refresh
// margin left, else mints a fresh one (POST /v1/sessions/{id}/tokens).
// Once the session is revoked or has ended, minting fails with an
// [*APIError] of status 404.
func (s *SessionTokenSource) Token(ctx context.Context) (*SessionToken, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.sem }()
	if s.tok != nil && s.tok.ExpiresAt.Sub(s.now()) > s.margin {
		return s.tok, nil
	}
	t, err := s.client.SessionToken(ctx, s.sessionID)
	if err != nil {
		return nil, err
	}
	s.tok = t
	return t, nil
}
