package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestDemoProcess runs `agenttest demo` from a directory outside the
// repository, checks its env and comment lines, signs in with the
// printed link (307, handshake, the app's own redirect), and stops it
// with SIGTERM.
func TestDemoProcess(t *testing.T) {
	p := startProcess(t, "demo")
	names := append(append([]string(nil), emulatorVars...), "AGENTTEST_APP_URL", "AGENTTEST_USER_ID")
	n := len(names)
	lines := p.readLines(t, n+2)
	env := envLines(t, lines[:n])
	for i, name := range names {
		if !strings.HasPrefix(lines[i], name+"=") {
			t.Fatalf("line %d starts %.20q, want %s=", i+1, lines[i], name)
		}
	}
	app := env["AGENTTEST_APP_URL"]
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(app) || env["AGENTTEST_USER_ID"] != "user_2ada0000000000000000000001" {
		t.Fatalf("AGENTTEST_APP_URL=%q AGENTTEST_USER_ID=%q", app, env["AGENTTEST_USER_ID"])
	}
	if want := "# dashboard: " + app + "/dashboard"; lines[n] != want {
		t.Fatalf("line %d = %q, want %q", n+1, lines[n], want)
	}
	prefix := "# sign in as Ada Lovelace: " + env["CLERK_FRONTEND_API_URL"] + "/v1/agents/tasks?ticket="
	if !strings.HasPrefix(lines[n+1], prefix) {
		t.Fatalf("line %d does not start with %q", n+2, prefix)
	}

	// The link signs the browser in and lands on the dashboard.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	defer client.CloseIdleConnections()
	resp, err := client.Get(strings.TrimPrefix(lines[n+1], "# sign in as Ada Lovelace: "))
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

// With its addresses and key fixed, demo prints the same env file on
// every start, so a .env.local made from it stays valid across restarts.
func TestDemoKeepsFixedAddressesAndKey(t *testing.T) {
	key := "sk_test_" + strings.Repeat("d", 40)
	args := []string{"demo", "--secret-key", key}
	for _, name := range []string{"--listen", "--frontend-listen", "--app-listen"} {
		args = append(args, name, freeLoopback(t))
	}
	names := append(append([]string(nil), emulatorVars...), "AGENTTEST_APP_URL", "AGENTTEST_USER_ID")
	var first map[string]string
	for run := range 2 {
		p := startProcess(t, args...)
		env := envLines(t, p.readLines(t, len(names)))
		if _, code := p.stop(t, syscall.SIGTERM); code != 0 {
			t.Fatalf("run %d: exit %d, stderr %s", run+1, code, p.stderr.String())
		}
		if env["CLERK_SECRET_KEY"] != key {
			t.Fatalf("run %d: CLERK_SECRET_KEY is not the --secret-key given", run+1)
		}
		for i, flag := range []string{"CLERK_API_URL", "CLERK_FRONTEND_API_URL", "AGENTTEST_APP_URL"} {
			if want := "http://" + args[4+2*i]; !strings.HasPrefix(env[flag], want) {
				t.Errorf("run %d: %s=%q, want it at %s", run+1, flag, env[flag], want)
			}
		}
		if first == nil {
			first = env
		} else if !maps.Equal(first, env) {
			t.Errorf("the second start printed another env file:\n%v\n%v", first, env)
		}
	}
}
