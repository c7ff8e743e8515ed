package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

func TestCreateRefusesTwoUsersWithoutARequest(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{})
	t.Setenv("CLERK_SECRET_KEY", emu.SecretKey())
	t.Setenv("CLERK_API_URL", emu.APIURL())

	for name, args := range map[string][]string{
		"both":        {"--user-id", "user_1", "--identifier", "ada@example.com", "--redirect-url", "http://127.0.0.1:1/"},
		"neither":     {"--redirect-url", "http://127.0.0.1:1/"},
		"no redirect": {"--user-id", "user_1"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"create"}, args...)...)
			line := oneLineOf(t, stderr)
			if code != 1 || stdout != "" || !strings.HasPrefix(line, "agenttest create: ") || strings.Contains(line, "usage") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and one error line", code, stdout, stderr)
			}
		})
	}
	if n := emu.Requests(clerkemu.RouteCreateTask); n != 0 {
		t.Fatalf("refused creates still sent %d requests", n)
	}
}

func TestMissingSecretKeyNamesTheVariable(t *testing.T) {
	// Set but empty: the process environment wins over any .env file.
	t.Setenv("CLERK_SECRET_KEY", "")
	for _, args := range [][]string{
		{"create", "--user-id", "user_1", "--redirect-url", "http://127.0.0.1:1/"},
		{"revoke", "agttsk_1"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		line := oneLineOf(t, stderr)
		if code != 1 || stdout != "" || !strings.Contains(line, "CLERK_SECRET_KEY") {
			t.Errorf("%s without a key: exit %d, stdout %q, stderr %q; want 1 and CLERK_SECRET_KEY named", args[0], code, stdout, line)
		}
	}
}

func TestCreateRefusesAnEmailAsUserID(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{})
	t.Setenv("CLERK_SECRET_KEY", emu.SecretKey())
	t.Setenv("CLERK_API_URL", emu.APIURL())
	code, stdout, stderr := runCLI(t, "create", "--user-id", "ada@example.com", "--redirect-url", "http://127.0.0.1:1/")
	line := oneLineOf(t, stderr)
	want := `agenttest create: --user-id "ada@example.com" is not a Clerk user id (user_…): pass an email address, phone number or username as --identifier`
	if code != 1 || stdout != "" || line != want {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, line, want)
	}
	if n := emu.Requests(clerkemu.RouteCreateTask) + emu.Requests(clerkemu.RouteListUsers); n != 0 {
		t.Fatalf("the refused create sent %d requests", n)
	}
}

// What create prints has the shape its help shows.
func TestCreatePrintsWhatItsHelpShows(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{Users: clerkemu.SeedUsers()})
	t.Setenv("CLERK_SECRET_KEY", emu.SecretKey())
	t.Setenv("CLERK_API_URL", emu.APIURL())
	code, stdout, stderr := runCLI(t, "create", "--user-id", clerkemu.SeedUsers()[0].ID, "--redirect-url", "http://127.0.0.1:1/")
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("create: exit %d, %d lines, stderr %q; want 0 and two lines", code, len(lines), stderr)
	}
	_, help, _ := runCLI(t, "help", "create")
	if !strings.HasPrefix(lines[0], "task_id=agttsk_") || !strings.Contains(help, "\n  task_id=agttsk_…\n") {
		t.Errorf("the first line is not task_id=agttsk_… as the help shows")
	}
	u, err := url.Parse(lines[1])
	if err != nil || u.Query().Get("ticket") == "" {
		t.Fatalf("the second line is not a URL with a ticket: %v", err)
	}
	if shape := u.Path + "?ticket=…\n"; !strings.Contains(help, shape) {
		t.Errorf("the help does not show the task URL's shape …%s: %q", shape, help)
	}
}
