package agenttask

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

func TestUserAndFindUser(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)

	u, err := c.User(ctx, clientTestAdaID)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != clientTestAdaID || u.Username == nil || *u.Username != "ada" {
		t.Errorf("User = %+v", u)
	}
	for _, identifier := range []string{clientTestAdaEmail, "+15555550101", "ada"} {
		u, err := c.FindUser(ctx, identifier)
		if err != nil {
			t.Errorf("FindUser(%q): %v", identifier, err)
			continue
		}
		if u.ID != clientTestAdaID {
			t.Errorf("FindUser(%q) = %s", identifier, u.ID)
		}
	}
	for _, identifier := range []string{"nobody@example.com", "+15555550000", "nobody"} {
		_, err := c.FindUser(ctx, identifier)
		if !errors.Is(err, ErrUserNotFound) || !strings.HasPrefix(err.Error(), "find user "+identifier+": user not found") {
			t.Errorf("FindUser(%q): %v, want ErrUserNotFound", identifier, err)
		}
	}
	_, err = c.User(ctx, "user_nobody")
	var apiErr *APIError
	if !errors.Is(err, ErrUserNotFound) || !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("User(unknown): %v, want a 404 matching ErrUserNotFound", err)
	}
	for _, bad := range []string{"", "../sessions", "user_1?x=1", "user 1"} {
		if _, err := c.User(ctx, bad); err == nil || !strings.Contains(err.Error(), "id") {
			t.Errorf("User(%q): %v, want refused", bad, err)
		}
	}
	for _, bad := range []string{"", " ada"} {
		if _, err := c.FindUser(ctx, bad); err == nil {
			t.Errorf("FindUser(%q) succeeded", bad)
		}
	}
	if n := emu.Requests(clerkemu.RouteListUsers); n != 6 {
		t.Errorf("%d list requests, want 6 (refused identifiers send none)", n)
	}
}

func TestFindUserQuery(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []string
	)
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		clientTestWriteJSON(w, http.StatusOK, `[{"object":"user","id":"user_1"}]`)
	})
	c := s.client(t)
	for _, id := range []string{"a+b@example.com", "+4915112345678", "ada_l"} {
		if _, err := c.FindUser(clientTestCtx(t), id); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"GET /v1/users?email_address=a%2Bb%40example.com",
		"GET /v1/users?phone_number=%2B4915112345678",
		"GET /v1/users?username=ada_l",
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An email address that is the user's but unverified names the user in
// the error, which says it is not verified (an Agent Task would answer
// "user not found"), and what to do.
func TestFindUserUnverifiedIdentifier(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	u, err := c.FindUser(clientTestCtx(t), "alan.unverified@example.com")
	want := "find user alan.unverified@example.com: identifier not verified: the email address belongs to user_2alan0000000000000000000003 but is not verified, and an Agent Task needs a verified email address, phone number or username: verify it (Clerk Dashboard, Users), or name the user by id (user_2alan0000000000000000000003)"
	if !errors.Is(err, ErrIdentifierNotVerified) || errors.Is(err, ErrUserNotFound) || err.Error() != want {
		t.Fatalf("FindUser(unverified): %v, want\n%s", err, want)
	}
	if u == nil || u.ID != "user_2alan0000000000000000000003" {
		t.Errorf("FindUser(unverified) returned user %v, want Alan with the error", u)
	}
}

// Creating a task for an unverified identifier: Clerk's 404 gets a hint
// that an identifier must be verified.
func TestCreateUnverifiedIdentifierHint(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	_, err := c.Create(clientTestCtx(t), CreateParams{Identifier: "alan.unverified@example.com", RedirectURL: clientTestRedirect})
	if !errors.Is(err, ErrUserNotFound) || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "(trace ") ||
		!strings.Contains(err.Error(), "an identifier names a user only if it is a verified email address or phone number, or a username, of this instance: check it is verified, or name the user by id)") {
		t.Fatalf("Create(unverified identifier): %v, want the 404 with the verification hint", err)
	}
}
