package agenttask

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseSessionTokenRefusesNonTokens(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", "a.e30.c"} { // e30 = {}
		if _, err := ParseSessionToken(s); err == nil {
			t.Errorf("ParseSessionToken(%q) succeeded", s)
		}
	}
}

func TestTokenSourceWaiterGivesUp(t *testing.T) {
	t.Parallel()
	src := (&Client{}).NewTokenSource("sess_1", TokenSourceOptions{})
	src.sem <- struct{}{} // a mint in flight
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token with a cancelled context while a mint is in flight = %v, want context.Canceled", err)
	}
}

// transportTestSource is a TokenSource with a fixed answer.
type transportTestSource struct {
	tok *SessionToken
	err error
}

func (s transportTestSource) Token(context.Context) (*SessionToken, error) { return s.tok, s.err }

// transportTestBody records whether it was closed.
type transportTestBody struct {
	io.Reader
	closed bool
}

func (b *transportTestBody) Close() error { b.closed = true; return nil }

func TestTransportSetsBearerOnAClone(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	tok := &SessionToken{SessionID: "sess_1", value: func() string { return "the.jwt.value" }}
	tr := &Transport{Source: transportTestSource{tok: tok}, Base: srv.Client().Transport}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "Basic old")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "Bearer the.jwt.value" {
		t.Errorf("the app saw Authorization %q", body)
	}
	if req.Header.Get("Authorization") != "Basic old" {
		t.Errorf("the caller's request was modified: %q", req.Header.Get("Authorization"))
	}

	// A source that fails: the body is closed, the error wraps the cause.
	cause := errors.New("mint failed")
	b := &transportTestBody{Reader: strings.NewReader("x")}
	req, _ = http.NewRequest(http.MethodPost, srv.URL, b)
	_, err = (&Transport{Source: transportTestSource{err: cause}}).RoundTrip(req)
	if !errors.Is(err, cause) || !b.closed {
		t.Errorf("failing source: err %v, body closed %t; want the cause and a closed body", err, b.closed)
	}
	if _, err := (&Transport{}).RoundTrip(req); err == nil {
		t.Error("a Transport without Source sent the request")
	}

	// The cause reads after the operation, once.
	prefixed := errors.New("mint session token for sess_1: 404 resource_not_found")
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err = (&Transport{Source: transportTestSource{err: prefixed}}).RoundTrip(req)
	if want := "sign request: get a session token: mint session token for sess_1: 404 resource_not_found"; !errors.Is(err, prefixed) || err.Error() != want {
		t.Errorf("failing source: %v, want %q and the cause", err, want)
	}
}
