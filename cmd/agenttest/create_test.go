package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// withoutCreateDefaults empties the variables create takes its user and
// redirect from, so the shell's or CI's cannot reach a test: set but
// empty, they also hide any .env.local value.
func withoutCreateDefaults(t *testing.T) {
	for _, name := range []string{"AGENTTEST_USER_ID", "AGENTTEST_USER_IDENTIFIER", "AGENTTEST_APP_URL"} {
		t.Setenv(name, "")
	}
}

// createEmulator starts an emulator with the seed users and points
// create at it through the environment, with no user or app default.
func createEmulator(t *testing.T) *clerkemu.Emulator {
	t.Helper()
	emu := clerkemu.RunT(t, clerkemu.Options{Users: clerkemu.SeedUsers()})
	t.Setenv("CLERK_SECRET_KEY", emu.SecretKey())
	t.Setenv("CLERK_API_URL", emu.APIURL())
	withoutCreateDefaults(t)
	return emu
}

// inModule runs the test in a new module whose .env.local holds
// dotenv, with the process environment's Clerk and agenttest variables
// unset (restored after the test) so that the file is what counts.
func inModule(t *testing.T, dotenv string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module example.com/app\n", ".env.local": dotenv} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "CLERK_") || strings.HasPrefix(name, "AGENTTEST_") {
			t.Setenv(name, "") // restores it after the test
			os.Unsetenv(name)
		}
	}
	sub := filepath.Join(dir, "e2e")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	return dir
}

func TestCreateRefusesTwoUsersWithoutARequest(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{})
	t.Setenv("CLERK_SECRET_KEY", emu.SecretKey())
	t.Setenv("CLERK_API_URL", emu.APIURL())
	withoutCreateDefaults(t)

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
	want := `agenttest create: --user-id is "ada@example.com", not a Clerk user id (user_…): for an email address, phone number or username use --identifier`
	if code != 1 || stdout != "" || line != want {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, line, want)
	}
	if n := emu.Requests(clerkemu.RouteCreateTask) + emu.Requests(clerkemu.RouteListUsers); n != 0 {
		t.Fatalf("the refused create sent %d requests", n)
	}
}

// What create prints has the shape its help shows.
func TestCreatePrintsWhatItsHelpShows(t *testing.T) {
	createEmulator(t)
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

// Without --user-id, --identifier or --redirect-url, create takes the
// user and the app from the configuration the tests use, in .env.local
// at the module root too; a path is on AGENTTEST_APP_URL.
func TestCreateDefaultsToTheTestsConfiguration(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{Users: clerkemu.SeedUsers()})
	user := clerkemu.SeedUsers()[0]
	inModule(t, "CLERK_SECRET_KEY="+emu.SecretKey()+"\nCLERK_API_URL="+emu.APIURL()+"\n"+
		"AGENTTEST_USER_ID="+user.ID+"\nAGENTTEST_APP_URL=http://127.0.0.1:3000/\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "http://127.0.0.1:3000/"},
		{[]string{"--redirect-url", "/dashboard?tab=1"}, "http://127.0.0.1:3000/dashboard?tab=1"},
		{[]string{"--redirect-url", "dashboard"}, "http://127.0.0.1:3000/dashboard"},
		{[]string{"--redirect-url", "http://localhost:4000"}, "http://localhost:4000/"},
	} {
		before := len(emu.Tasks())
		code, stdout, stderr := runCLI(t, append([]string{"create"}, tc.args...)...)
		if code != 0 || !strings.HasPrefix(stdout, "task_id=agttsk_") {
			t.Fatalf("create %q: exit %d, stdout %q, stderr %q; want a task", tc.args, code, stdout, stderr)
		}
		tasks := emu.Tasks()
		if len(tasks) != before+1 {
			t.Fatalf("create %q made %d tasks, want 1", tc.args, len(tasks)-before)
		}
		if got := tasks[len(tasks)-1]; got.UserID != user.ID || got.RedirectURL != tc.want {
			t.Errorf("create %q: task for %s redirecting to %q, want %s and %q", tc.args, got.UserID, got.RedirectURL, user.ID, tc.want)
		}
	}
}

// AGENTTEST_USER_IDENTIFIER names the user too.
func TestCreateTakesTheIdentifierVariable(t *testing.T) {
	emu := createEmulator(t)
	user := clerkemu.SeedUsers()[0]
	t.Setenv("AGENTTEST_USER_IDENTIFIER", user.EmailAddresses[0].EmailAddress)
	code, stdout, stderr := runCLI(t, "create", "--redirect-url", "http://127.0.0.1:1/")
	if code != 0 || !strings.HasPrefix(stdout, "task_id=agttsk_") {
		t.Fatalf("create: exit %d, stdout %q, stderr %q; want a task", code, stdout, stderr)
	}
	if tasks := emu.Tasks(); len(tasks) != 1 || tasks[0].UserID != user.ID {
		t.Fatalf("tasks %+v, want one for %s", tasks, user.ID)
	}
}

// What create cannot use says which flag or variable to fix, in the
// CLI's words (no Go type names), before any request.
func TestCreateRefusalsNameTheFlagAndTheVariable(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{})
	t.Setenv("CLERK_SECRET_KEY", emu.SecretKey())
	t.Setenv("CLERK_API_URL", emu.APIURL())
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{{
		name: "path without the app",
		args: []string{"--user-id", "user_1", "--redirect-url", "/dashboard"},
		want: `--redirect-url is "/dashboard", a path, but AGENTTEST_APP_URL is not set: set it to your app's URL (e.g. http://localhost:3000), or pass a full URL`,
	}, {
		name: "no redirect",
		args: []string{"--user-id", "user_1"},
		want: "no redirect: set AGENTTEST_APP_URL to your app's URL (e.g. http://localhost:3000), or pass a full URL to --redirect-url",
	}, {
		name: "no scheme",
		args: []string{"--user-id", "user_1", "--redirect-url", "localhost:3000/x?ticket=secret"},
		want: `--redirect-url is "localhost:3000/x?…", not an absolute http(s) URL: pass one such as http://localhost:3000/dashboard, or a path such as /dashboard with AGENTTEST_APP_URL set`,
	}, {
		name: "app URL not a URL",
		env:  map[string]string{"AGENTTEST_APP_URL": "localhost:3000"},
		args: []string{"--user-id", "user_1", "--redirect-url", "/x"},
		want: "AGENTTEST_APP_URL (from the process environment) is not an absolute http(s) URL: set it to your app's URL (e.g. http://localhost:3000), or pass a full URL to --redirect-url",
	}, {
		name: "no user",
		args: []string{"--redirect-url", "http://127.0.0.1:1/"},
		want: "no user: pass --user-id or --identifier, or set AGENTTEST_USER_ID or AGENTTEST_USER_IDENTIFIER",
	}, {
		name: "both variables",
		env:  map[string]string{"AGENTTEST_USER_ID": "user_1", "AGENTTEST_USER_IDENTIFIER": "ada@example.com"},
		args: []string{"--redirect-url", "http://127.0.0.1:1/"},
		want: "both AGENTTEST_USER_ID and AGENTTEST_USER_IDENTIFIER are set: keep one, or pass --user-id or --identifier",
	}, {
		name: "email as the id variable",
		env:  map[string]string{"AGENTTEST_USER_ID": "ada@example.com"},
		args: []string{"--redirect-url", "http://127.0.0.1:1/"},
		want: `AGENTTEST_USER_ID is "ada@example.com", not a Clerk user id (user_…): for an email address, phone number or username use AGENTTEST_USER_IDENTIFIER, or pass --identifier`,
	}, {
		name: "malformed id",
		args: []string{"--user-id", "user_a b", "--redirect-url", "http://127.0.0.1:1/"},
		want: `--user-id is "user_a b", not a Clerk user id (user_…: at most 128 letters, digits, '_' and '-'): pass the id Clerk returned, or the user's email, phone number or username as --identifier`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			withoutCreateDefaults(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := runCLI(t, append([]string{"create"}, tc.args...)...)
			if want := "agenttest create: " + tc.want + "\n"; code != 1 || stdout != "" || stderr != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
			}
		})
	}
	if n := emu.Requests(clerkemu.RouteCreateTask); n != 0 {
		t.Fatalf("refused creates sent %d requests", n)
	}
}

// A user the instance does not have is said as such, naming the flag or
// variable that named them, not as Clerk's "no longer exists".
func TestCreateUnknownUserNamesTheSetting(t *testing.T) {
	createEmulator(t)
	code, _, stderr := runCLI(t, "create", "--user-id", "user_nobody", "--redirect-url", "http://127.0.0.1:1/")
	line := oneLineOf(t, stderr)
	if code != 1 || !strings.HasPrefix(line, "agenttest create: no user user_nobody in this Clerk instance (404 agent_task_subject_not_found, trace ") ||
		!strings.HasSuffix(line, "): check --user-id against the instance's users (Clerk Dashboard → Users), and that CLERK_SECRET_KEY is that instance's key") {
		t.Errorf("--user-id: exit %d, stderr %q", code, line)
	}
	t.Setenv("AGENTTEST_USER_ID", "user_nobody")
	code, _, stderr = runCLI(t, "create", "--redirect-url", "http://127.0.0.1:1/")
	if line := oneLineOf(t, stderr); code != 1 || !strings.Contains(line, "no user user_nobody in this Clerk instance") || !strings.Contains(line, "check AGENTTEST_USER_ID against") {
		t.Errorf("AGENTTEST_USER_ID: exit %d, stderr %q", code, line)
	}
	t.Setenv("AGENTTEST_USER_ID", "")
	code, _, stderr = runCLI(t, "create", "--identifier", "nobody@example.com", "--redirect-url", "http://127.0.0.1:1/")
	if line := oneLineOf(t, stderr); code != 1 || !strings.HasPrefix(line, `agenttest create: no user with the identifier "nobody@example.com" in this Clerk instance (404`) || !strings.Contains(line, "check --identifier is a verified email address") {
		t.Errorf("--identifier: exit %d, stderr %q", code, line)
	}
}

// A key Clerk refuses is named with where it came from (.env.local
// here), and never shown.
func TestCreateRefusedKeySaysWhereItCameFrom(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{Users: clerkemu.SeedUsers()})
	const wrongKey = "sk_test_wrongWRONGwrong0123456789abcdef"
	root := inModule(t, "CLERK_SECRET_KEY="+wrongKey+"\nCLERK_API_URL="+emu.APIURL()+"\n")
	code, stdout, stderr := runCLI(t, "create", "--user-id", clerkemu.SeedUsers()[0].ID, "--redirect-url", "http://127.0.0.1:1/")
	line := oneLineOf(t, stderr)
	want := "check CLERK_SECRET_KEY (from " + filepath.Join(root, ".env.local") + ") is this instance's secret key"
	if code != 1 || stdout != "" || !strings.Contains(line, "401 clerk_key_invalid") || !strings.Contains(line, want) || strings.Contains(line, wrongKey) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1, 401 clerk_key_invalid and %q, without the key", code, stdout, line, want)
	}
}

// A CLERK_API_URL that is not the Backend API (here the Frontend API,
// whose 404s once read as "no user" or "no task"), or that nothing
// answers at, is said as such by create and revoke, before their request
// and without its retries.
func TestCreateAndRevokeCheckTheBackendAPIFirst(t *testing.T) {
	emu := createEmulator(t)
	user := clerkemu.SeedUsers()[0].ID
	for _, tc := range []struct {
		apiURL, want string
	}{
		{emu.FrontendURL(), "answered 404 resource_not_found"},
		{"http://127.0.0.1:1", "did not answer"},
	} {
		t.Setenv("CLERK_API_URL", tc.apiURL)
		for _, args := range [][]string{
			{"create", "--user-id", user, "--redirect-url", "http://127.0.0.1:1/"},
			{"revoke", "agttsk_2abc"},
		} {
			code, stdout, stderr := runCLI(t, args...)
			line := oneLineOf(t, stderr)
			if code != 1 || stdout != "" || !strings.Contains(line, "the Backend API at ") || !strings.Contains(line, tc.want) ||
				!strings.Contains(line, "check CLERK_API_URL") || strings.Contains(line, "no user") || strings.Contains(line, "no task") || strings.Contains(line, "gave up after") {
				t.Errorf("%s with CLERK_API_URL %s: exit %d, stderr %q; want the Backend API check's %q", args[0], tc.apiURL, code, line, tc.want)
			}
		}
	}
	// With no CLERK_API_URL the check says which URL it tried (Clerk's,
	// which no machine of this project's CI reaches; one that does gets
	// the fake key refused instead).
	t.Setenv("CLERK_API_URL", "")
	os.Unsetenv("CLERK_API_URL")
	code, _, stderr := runCLI(t, "revoke", "agttsk_2abc")
	switch line := oneLineOf(t, stderr); {
	case strings.Contains(line, "refused the secret key"):
		t.Log("Clerk's Backend API is reachable from here: not checked")
	case code != 1 || !strings.Contains(line, "check CLERK_API_URL (not set: Clerk's https://api.clerk.com/v1)"):
		t.Errorf("revoke without CLERK_API_URL: exit %d, stderr %q", code, line)
	}
}

// With nothing configured, create names every missing setting in one
// line, the instance's key first, instead of one per run.
func TestCreateNamesEveryMissingSettingAtOnce(t *testing.T) {
	inModule(t, "")
	code, stdout, stderr := runCLI(t, "create")
	line := oneLineOf(t, stderr)
	key, user, app := strings.Index(line, "CLERK_SECRET_KEY is empty or unset"), strings.Index(line, "no user: pass --user-id"), strings.Index(line, "no redirect: set AGENTTEST_APP_URL")
	if code != 1 || stdout != "" || key < 0 || user < key || app < user {
		t.Errorf("create with nothing set: exit %d, stderr %q; want the key, the user and the redirect, in that order, on one line", code, line)
	}
}

// The help names every variable create takes a default from.
func TestCreateHelpNamesItsVariables(t *testing.T) {
	_, help, _ := runCLI(t, "help", "create")
	for _, s := range []string{"[--user-id ID | --identifier X] [--redirect-url URL|PATH]", "CLERK_SECRET_KEY", "CLERK_API_URL", ".env.local", "AGENTTEST_USER_ID", "AGENTTEST_USER_IDENTIFIER", "AGENTTEST_APP_URL", "a path such\nas /dashboard is on it"} {
		if !strings.Contains(help, s) {
			t.Errorf("the help lacks %q:\n%s", s, help)
		}
	}
}

// An empty --user-id or --identifier names nobody: refused as the
// fixture refuses AsUser(""), not read as not given (which would sign in
// AGENTTEST_USER_ID's user).
func TestCreateRefusesAnEmptyUserFlag(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{Users: clerkemu.SeedUsers()})
	t.Setenv("CLERK_SECRET_KEY", emu.SecretKey())
	t.Setenv("CLERK_API_URL", emu.APIURL())
	withoutCreateDefaults(t)
	t.Setenv("AGENTTEST_USER_ID", clerkemu.SeedUsers()[0].ID)
	for flag, want := range map[string]string{
		"--user-id":    `agenttest create: --user-id "": give a user id (user_…), or leave it out to use AGENTTEST_USER_ID`,
		"--identifier": `agenttest create: --identifier " ": give an email address, phone number or username, or leave it out to use AGENTTEST_USER_IDENTIFIER`,
	} {
		value := ""
		if flag == "--identifier" {
			value = " "
		}
		code, stdout, stderr := runCLI(t, "create", flag, value, "--redirect-url", "http://127.0.0.1:1/")
		if line := oneLineOf(t, stderr); code != 1 || stdout != "" || line != want {
			t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want 1 and %q", flag, value, code, stdout, line, want)
		}
	}
	if n := emu.Requests(clerkemu.RouteCreateTask); n != 0 {
		t.Fatalf("refused creates still sent %d requests", n)
	}
}
