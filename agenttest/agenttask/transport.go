package agenttask

import (
	"errors"
	"fmt"
	"net/http"
)

// Transport is an http.RoundTripper that sends each request with
// "Authorization: Bearer <session token>", the token taken from Source
// for every request (so a [SessionTokenSource] replaces it before it
// expires). It is golang.org/x/oauth2's Transport for Clerk session
// tokens. It sends the token to every host it is asked to reach: give
// it only requests for the app the session belongs to.
type Transport struct {
	// Source gives the tokens. Required.
	Source TokenSource
	// Base sends the requests. Nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip sends a clone of req with the Authorization header set;
// req itself is not modified. The token never appears in an error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bodyClosed := false
	if req.Body != nil {
		defer func() {
			if !bodyClosed {
				req.Body.Close()
			}
		}()
	}
	if t.Source == nil {
		return nil, errors.New("sign request: agenttask.Transport has no Source: set it to a client's NewTokenSource")
	}
	tok, err := t.Source.Token(req.Context())
	if err != nil {
		return nil, fmt.Errorf("sign request: get a session token: %w", err)
	}
	req2 := req.Clone(req.Context())
	req2.Header.Set("Authorization", "Bearer "+tok.Value())
	bodyClosed = true // the base transport closes it, even on error
	return t.base().RoundTrip(req2)
}

// CloseIdleConnections closes the idle connections of Base, if it can.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base().(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}
