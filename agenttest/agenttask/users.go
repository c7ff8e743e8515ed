package agenttask

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/agenttest/agenttest/internal/clerkid"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/clerk/clerk-sdk-go/v2"
)

// usersPath is the Users endpoint, relative to the API URL.
const usersPath = "/users"

// User returns the Clerk user with this id (GET /v1/users/{id}). An
// unknown id gives an [*APIError] matching [ErrUserNotFound].
func (c *Client) User(ctx context.Context, userID string) (*clerk.User, error) {
	op, err := clerkid.Op("get user", "user", userID)
	if err != nil {
		return nil, err
	}
	path, err := clerk.JoinPath(usersPath, userID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	raw, err := c.call(ctx, op, clerk.NewAPIRequest(http.MethodGet, path))
	if err != nil {
		if apiErr := (*APIError)(nil); errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
			apiErr.is = append(apiErr.is, ErrUserNotFound)
		}
		return nil, err
	}
	u := &clerk.User{}
	if err := raw.decodeJSON(u); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if u.ID == "" {
		return nil, fmt.Errorf("%s: the response has no user id (%s)", op, raw.describe())
	}
	return u, nil
}

// FindUser returns the user an identifier belongs to, the way an Agent
// Task's on_behalf_of.identifier names one: an email address (it
// contains @), a phone number (it starts with +, E.164) or else a
// username. It lists users (GET /v1/users?email_address=… or
// phone_number=… or username=…) and returns the first match; nobody
// gives an error matching [ErrUserNotFound]. A user whose matching email
// address or phone number is not verified (nor reserved) is returned
// with an error matching [ErrIdentifierNotVerified]: an Agent Task
// cannot name the user by it, only by the user's id.
func (c *Client) FindUser(ctx context.Context, identifier string) (*clerk.User, error) {
	op := "find user " + redact.Value(identifier)
	if strings.TrimSpace(identifier) == "" || strings.TrimSpace(identifier) != identifier {
		return nil, fmt.Errorf("find user %s: the identifier is empty or has surrounding white space: pass a verified email address, phone number or username", redact.Quote(identifier))
	}
	if len(identifier) > maxIdentifierLength {
		return nil, fmt.Errorf("%s: the identifier is longer than any email address, phone number or username (%d bytes, at most %d)", op, len(identifier), maxIdentifierLength)
	}
	q := &usersQuery{values: url.Values{}}
	switch {
	case strings.Contains(identifier, "@"):
		q.values.Set("email_address", identifier)
	case strings.HasPrefix(identifier, "+"):
		q.values.Set("phone_number", identifier)
	default:
		q.values.Set("username", identifier)
	}
	req := clerk.NewAPIRequest(http.MethodGet, usersPath)
	req.SetParams(q)
	raw, err := c.call(ctx, op, req)
	if err != nil {
		return nil, err
	}
	var users []*clerk.User
	if err := raw.decodeJSON(&users); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for _, u := range users {
		if u != nil && u.ID != "" {
			if kind, ok := identifierVerified(u, identifier); !ok {
				return u, fmt.Errorf("%s: %w: the %s belongs to %s but is not verified, and an Agent Task needs a verified email address, phone number or username: verify it (Clerk Dashboard, Users), or name the user by id (%s)", op, ErrIdentifierNotVerified, kind, redact.Value(u.ID), redact.Value(u.ID))
			}
			return u, nil
		}
	}
	return nil, fmt.Errorf("%s: %w: no user has this email address, phone number or username; check the identifier and that the user exists in this Clerk instance", op, ErrUserNotFound)
}

// usersQuery is the query of GET /v1/users, as clerk.Params.
type usersQuery struct {
	clerk.APIParams
	values url.Values
}

// ToQuery returns the query values.
func (q *usersQuery) ToQuery() url.Values { return q.values }

// identifierVerified reports whether the email address or phone number
// of u that identifier names is verified (or reserved: unverified but
// usable for sign-in), and what kind it is. A username, or an
// identification u does not list, counts as verified: Clerk decides.
func identifierVerified(u *clerk.User, identifier string) (kind string, ok bool) {
	usable := func(v *clerk.Verification, reserved bool) bool {
		return reserved || v != nil && v.Status == "verified"
	}
	for _, a := range u.EmailAddresses {
		if a != nil && strings.EqualFold(a.EmailAddress, identifier) {
			return "email address", usable(a.Verification, a.Reserved)
		}
	}
	for _, p := range u.PhoneNumbers {
		if p != nil && p.PhoneNumber == identifier {
			return "phone number", usable(p.Verification, p.Reserved)
		}
	}
	return "username", true
}
