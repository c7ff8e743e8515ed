package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestDemoProcess runs `agenttest demo`, checks its env and comment lines,
// signs in with the printed link, and stops it with SIGTERM.
func TestDemoProcess(t *testing.T) {
	p := startProcess(t, "demo", "--users", usersFile(t))
	lines := p.readLines(t, 6)
	env := envLines(t, lines[:4])
	for i, name := range []string{"CLERK_API_URL", "CLERK_SECRET_KEY", "AGENTTEST_APP_URL", "AGENTTEST_USER_ID"} {
		if !strings.HasPrefix(lines[i], name+"=") {
			t.Fatalf("line %d starts %.20q, want %s=", i+1, lines[i], name)
		}
	}
	app := env["AGENTTEST_APP_URL"]
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(app) || env["AGENTTEST_USER_ID"] != "user_2ada0000000000000000000001" {
		t.Fatalf("AGENTTEST_APP_URL=%q AGENTTEST_USER_ID=%q", app, env["AGENTTEST_USER_ID"])
	}
	if want := "# dashboard: " + app + "/dashboard"; lines[4] != want {
		t.Fatalf("line 5 = %q, want %q", lines[4], want)
	}
	prefix := "# sign in as Ada Lovelace: " + strings.TrimSuffix(env["CLERK_API_URL"], "/v1") + "/v1/tickets/accept?ticket="
	if !strings.HasPrefix(lines[5], prefix) {
		t.Fatalf("line 6 does not start with %q", prefix)
	}

	// The link signs the browser in and lands on the dashboard.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	defer client.CloseIdleConnections()
	resp, err := client.Get(strings.TrimPrefix(lines[5], "# sign in as Ada Lovelace: "))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Request.URL.String() != app+"/dashboard" || !strings.Contains(string(body), "Ada") {
		t.Fatalf("the sign-in link ended on %s (status %d), want the dashboard greeting Ada", resp.Request.URL, resp.StatusCode)
	}

	rest, code := p.stop(t, syscall.SIGTERM)
	if len(rest) != 0 || code != 0 {
		t.Fatalf("after SIGTERM: extra lines %q, exit %d, stderr %s; want none and 0", rest, code, p.stderr.String())
	}
}
