package agenttask

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Every request names the API version that has Agent Tasks and
// agenttest in its User-Agent; a revoke sends no body (not a JSON null),
// while a create sends its JSON.
func TestRequestsCarryClerkHeadersAndRevokeHasNoBody(t *testing.T) {
	t.Parallel()
	type seen struct{ method, path, version, agent, body string }
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.Header.Get("Clerk-API-Version"), r.Header.Get("User-Agent"), string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/revoke") {
			io.WriteString(w, `{"object":"agent_task","agent_id":"agt_1","agent_task_id":"agttsk_1","task_id":"agttsk_1"}`)
			return
		}
		io.WriteString(w, `{"object":"agent_task","agent_id":"agt_1","agent_task_id":"agttsk_1","task_id":"agttsk_1","url":"http://127.0.0.1/v1/agents/tasks?ticket=t"}`)
	}))
	t.Cleanup(srv.Close)
	c, err := clientTestNew(Config{SecretKey: clientTestKey, APIURL: srv.URL}, withHTTP(srv.Client()), withLimiter(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(clientTestCtx(t), clientTestCreate); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Revoke(clientTestCtx(t), "agttsk_1"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	for _, s := range got {
		if s.version != "2026-05-12" {
			t.Errorf("%s %s: Clerk-API-Version %q, want 2026-05-12 (Agent Tasks exist from 2025-11-10)", s.method, s.path, s.version)
		}
		if !strings.HasPrefix(s.agent, "agenttest/") || !strings.Contains(s.agent, "clerk-sdk-go/") {
			t.Errorf("%s %s: User-Agent %q, want agenttest/<version> clerk-sdk-go/<version>", s.method, s.path, s.agent)
		}
	}
	if !strings.Contains(got[0].body, `"on_behalf_of"`) {
		t.Errorf("create body %q, want the task JSON", got[0].body)
	}
	if got[1].body != "" {
		t.Errorf("revoke body %q, want none", got[1].body)
	}
}
