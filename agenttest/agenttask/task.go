package agenttask

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/agenttest/agenttest/internal/redact"
)

// Task is a Clerk Agent Task: a pending, single-use sign-in for one user.
//
// Its URL is a bearer credential — whoever visits it first is signed in
// as the user, until it is used, revoked or expired — so it is only
// returned by the explicit [Task.URL]. Everything else shows it redact.Placeholder
// ("…/v1/agents/tasks?ticket=REDACTED"): String, every fmt verb
// (%v, %+v, %#v, %s, %q, …), slog's LogValue and MarshalJSON.
type Task struct {
	// AgentID is the agent_id Clerk derives from the agent name.
	AgentID string
	// ID is the agent task id (agttsk_…), what Revoke takes.
	ID string
	// Warning, set by [Client.Create] only, says that an earlier attempt
	// of the create got no answer and may have left a duplicate task
	// nobody holds (pending until Clerk expires it), so a count of
	// pending tasks may show one more than were created: "no answer to
	// the first attempt (…): the first attempt may have created a task
	// nobody holds; Clerk expires it". Empty otherwise.
	Warning string

	// url returns the URL. It is a closure, not a string, because fmt
	// can print the unexported fields of a struct holding a Task by
	// reflection, bypassing Format; a func prints as an address only.
	// (It also makes Task not comparable with ==; compare IDs.)
	url func() string
}

// URL returns the task URL with its ticket: the credential itself. Hand
// it to the browser, exactly once; never log it (use [Task.RedactedURL]).
// Tasks returned by Revoke have no URL.
func (t Task) URL() string {
	if t.url == nil {
		return ""
	}
	return t.url()
}

// RedactedURL returns the task URL with its ticket replaced by
// "REDACTED"; see [Task.RedactedURL].
func (t Task) RedactedURL() string {
	if t.url == nil {
		return ""
	}
	return redact.URL(t.url())
}

// String describes the task with its URL redact.Placeholder.
func (t Task) String() string {
	s := "agent task " + t.ID
	if t.AgentID != "" {
		s += " (agent " + t.AgentID + ")"
	}
	if u := t.URL(); u != "" {
		s += " " + redact.URL(u)
	}
	return s
}

// GoString is what %#v prints: Go syntax, URL redact.Placeholder.
func (t Task) GoString() string {
	return fmt.Sprintf("agenttask.Task{AgentID:%q, ID:%q, URL:%q}", t.AgentID, t.ID, t.RedactedURL())
}

// Format makes every fmt verb print [Task.String] (or [Task.GoString]
// for %#v), never the raw URL.
func (t Task) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, t.String(), t.GoString())
}

// LogValue implements slog.LogValuer with the URL redact.Placeholder.
func (t Task) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", t.ID),
		slog.String("agent_id", t.AgentID),
		slog.String("url", t.RedactedURL()),
	)
}

// MarshalJSON encodes the task with its URL redact.Placeholder:
// {"agent_id":…,"id":…,"url":"https://…?ticket=REDACTED"}.
func (t Task) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AgentID string `json:"agent_id"`
		ID      string `json:"id"`
		URL     string `json:"url,omitempty"`
	}{t.AgentID, t.ID, t.RedactedURL()})
}

// decodeTaskResponse reads Clerk's agent task object. The task id is
// agent_task_id, else the deprecated task_id; requireURL demands the
// url, which only the create response carries. Errors never quote the
// body, which holds the ticket.
func decodeTaskResponse(body []byte, requireURL bool) (*Task, error) {
	if len(body) == 0 {
		return nil, errors.New("the response body is empty")
	}
	var wire struct {
		Object      string `json:"object"`
		AgentID     string `json:"agent_id"`
		AgentTaskID string `json:"agent_task_id"`
		TaskID      string `json:"task_id"`
		URL         string `json:"url"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, fmt.Errorf("the response is not an agent task object: %w", taskJSONError(err))
	}
	if err := checkObject(wire.Object, "agent_task"); err != nil {
		return nil, err
	}
	t := &Task{AgentID: wire.AgentID, ID: wire.AgentTaskID}
	if t.ID == "" {
		t.ID = wire.TaskID
	}
	if t.ID == "" {
		return nil, errors.New("the response has neither agent_task_id nor task_id")
	}
	if wire.URL != "" {
		u, err := url.Parse(wire.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("the response's url is not an absolute http(s) URL")
		}
		raw := wire.URL
		t.url = func() string { return raw }
	} else if requireURL {
		return nil, errors.New("the response has no url")
	}
	return t, nil
}

// taskJSONError keeps encoding/json's message about the shape but drops
// the offending value, which could be part of the ticket.
func taskJSONError(err error) error {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Errorf("invalid JSON at byte %d", syntax.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q has the wrong type (JSON %s)", typ.Field, typ.Value)
	}
	return errors.New("invalid JSON")
}
