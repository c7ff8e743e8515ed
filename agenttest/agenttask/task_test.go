package agenttask

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/internal/redact"
)

// clientTestTicket is the ticket in create_task_response.json.
const clientTestTicket = "tkt_SECRET0000000000000000000000000000"

func TestDecodeTaskResponseGolden(t *testing.T) {
	t.Parallel()
	task, err := decodeTaskResponse(clientTestGolden(t, "create_task_response.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	if task.ID != "agttsk_2task000000000000000001" || task.AgentID != "agt_2my0agent00000000000000001" ||
		task.URL() != "https://clerk.example.accounts.dev/v1/agents/tasks?ticket="+clientTestTicket {
		t.Errorf("decoded %#v with URL %q", task, task.RedactedURL())
	}
	legacy, err := decodeTaskResponse(clientTestGolden(t, "create_task_response_legacy.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	if legacy.ID != "agttsk_2task000000000000000002" {
		t.Errorf("legacy task id %q, want task_id's", legacy.ID)
	}
	revoked, err := decodeTaskResponse(clientTestGolden(t, "revoke_task_response.json"), false)
	if err != nil {
		t.Fatal(err)
	}
	if revoked.ID != "agttsk_2task000000000000000001" || revoked.URL() != "" || revoked.RedactedURL() != "" {
		t.Errorf("revoked %v", revoked)
	}
	if _, err := decodeTaskResponse(clientTestGolden(t, "revoke_task_response.json"), true); err == nil || !strings.Contains(err.Error(), "no url") {
		t.Errorf("a create answer without url: %v", err)
	}
}

func TestDecodeTaskResponseRefuses(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		``:     "empty",
		`null`: "neither agent_task_id nor task_id",
		`{"object":"agent_task","url":"https://x/?ticket=tkt_LEAK"}`:     "neither agent_task_id nor task_id",
		`{"agent_task_id":"agttsk_1"}`:                                   "no url",
		`{"agent_task_id":"agttsk_1","url":"/relative?ticket=tkt_LEAK"}`: "not an absolute http(s) URL",
		`{"agent_task_id":"agttsk_1","url":"javascript:tkt_LEAK"}`:       "not an absolute http(s) URL",
		`{"object":"user","id":"user_1"}`:                                `"user" object`,
		`{"agent_task_id":"agttsk_1","url":["tkt_LEAK"]}`:                `field "url" has the wrong type`,
		`{"agent_task_id":"agttsk_1","url":"tkt_LEAK`:                    "invalid JSON",
		`<html>tkt_LEAK</html>`:                                          "invalid JSON at byte 1",
	} {
		task, err := decodeTaskResponse([]byte(body), true)
		if err == nil || task != nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, %v; want an error with %q", body, task, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "LEAK") {
			t.Errorf("%s: error %q quotes the body", body, err)
		}
	}
}

func TestTaskNeverPrintsItsURL(t *testing.T) {
	t.Parallel()
	task, err := decodeTaskResponse(clientTestGolden(t, "create_task_response.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Exported   *Task
		unexported Task
		Value      Task
	}
	h := holder{Exported: task, unexported: *task, Value: *task}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10.3v"} {
		fmt.Fprintf(&out, verb+"\n", task)
		fmt.Fprintf(&out, verb+"\n", *task)
		fmt.Fprintf(&out, verb+"\n", h)
		fmt.Fprintf(&out, verb+"\n", []*Task{task})
		fmt.Fprintf(&out, verb+"\n", map[string]Task{"t": *task})
	}
	fmt.Fprintln(&out, task, task.String(), task.GoString(), task.RedactedURL())
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(j)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("task", "task", task, "value", *task)
	slog.New(slog.NewTextHandler(&out, nil)).Info("task", "task", task)
	if strings.Contains(out.String(), "SECRET") {
		t.Errorf("output shows the ticket:\n%s", out.String())
	}
	for _, want := range []string{"agttsk_2task000000000000000001", "ticket=REDACTED", `agenttask.Task{AgentID:"agt_2my0agent00000000000000001"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	var decoded map[string]string
	if err := json.Unmarshal(j, &struct{ Value *map[string]string }{&decoded}); err != nil {
		t.Fatal(err)
	}
	if decoded["id"] != task.ID || decoded["url"] != "https://clerk.example.accounts.dev/v1/agents/tasks?ticket=REDACTED" {
		t.Errorf("MarshalJSON gave %v", decoded)
	}
	var nilTask *Task
	if got := fmt.Sprint(nilTask); got != "<nil>" {
		t.Errorf("nil *Task prints %q", got)
	}
}

func FuzzDecodeTaskResponse(f *testing.F) {
	for _, name := range []string{"create_task_response.json", "create_task_response_legacy.json", "revoke_task_response.json"} {
		f.Add(clientTestGolden(f, name))
	}
	f.Add([]byte(`{"agent_task_id":"","task_id":"agttsk_9","url":"http://127.0.0.1:1/v1/tickets/accept?ticket=x"}`))
	f.Add([]byte(`{"agent_task_id":"agttsk_1","url":"https://[::1]:80/#frag"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		task, err := decodeTaskResponse(body, true)
		if err != nil {
			if task != nil {
				t.Errorf("a task with an error")
			}
			return
		}
		if task.ID == "" || task.URL() == "" {
			t.Fatalf("accepted a task without id or url: %q", body)
		}
		u, err := url.Parse(task.URL())
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			t.Errorf("accepted url %q", task.URL())
		}
		if red := redact.URL(task.URL()); u.RawQuery != "" && strings.Contains(red, u.RawQuery) && strings.Contains(u.RawQuery, "=") && !strings.HasSuffix(u.RawQuery, "=") {
			t.Errorf("redact.URL(%q) = %q keeps the query", task.URL(), red)
		}
		_ = fmt.Sprintf("%v %+v %#v %q", task, task, task, task)
		if _, err := json.Marshal(task); err != nil {
			t.Error(err)
		}
		revoke, err := decodeTaskResponse(body, false)
		if err != nil || revoke.ID != task.ID {
			t.Errorf("accepted with url required but not without: %v", err)
		}
	})
}
