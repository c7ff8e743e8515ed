package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
)

func runDemo(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `Both listen on HOST (cookies ignore ports, not hosts). Once both listen it
prints an env file (the emulator's variables as "agenttest emulator" prints
them, then AGENTTEST_APP_URL and AGENTTEST_USER_ID of the first seeded user)
and two comments: the dashboard's address and a single-use sign-in link for
that user. It serves until SIGINT or SIGTERM.

Each start picks free ports and a random secret key, so the env file
changes. To keep a .env.local valid across restarts, fix them:
--listen, --frontend-listen, --app-listen and --secret-key (the same
values every time).`)
	host := fs.String("listen-host", "127.0.0.1", "`host` the servers listen on, each on a free port, unless its own flag names an address")
	listen := fs.String("listen", "", "Backend API listen `address` (default: HOST and a free port)")
	frontend := fs.String("frontend-listen", "", "Frontend API listen `address` (default: HOST and a free port)")
	appListen := fs.String("app-listen", "", "demo app listen `address` (default: HOST and a free port)")
	key := fs.String("secret-key", "", "the instance's secret `key`, sk_test_…; visible to local users in the process list (default: a random sk_test_ key)")
	usersFile := fs.String("users", "", "JSON array of Clerk users to seed, at least one (default: the seed users built into agenttest)")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	if err := checkInstanceFlags(fs, *key, listenFlag{"--listen", *listen}, listenFlag{"--frontend-listen", *frontend}, listenFlag{"--app-listen", *appListen}); err != nil {
		return err
	}
	orHost := func(addr string) string { return cmp.Or(addr, net.JoinHostPort(*host, "0")) }
	users, err := loadUsers(*usersFile)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return fmt.Errorf("users file %q holds no users: pass --users FILE with at least one", *usersFile)
	}

	stack, err := demoapp.StartStack(demoapp.StackOptions{
		Emulator: clerkemu.Options{Addr: orHost(*listen), FrontendAddr: orHost(*frontend), SecretKey: *key, Users: users},
		App:      demoapp.Options{Addr: orHost(*appListen)},
	})
	if err != nil {
		return fmt.Errorf("start the emulator and the demo app: %w", err)
	}
	defer stack.Close()
	emu, app := stack.Emulator, stack.App

	user := users[0]
	dashboard := app.URL() + "/dashboard"
	link, err := demoSignInLink(ctx, emu, user.ID, dashboard)
	if err != nil {
		return err
	}
	for _, v := range emu.Env() {
		fmt.Fprintf(stdout, "%s=%s\n", v.Name, v.Value)
	}
	fmt.Fprintf(stdout, "AGENTTEST_APP_URL=%s\nAGENTTEST_USER_ID=%s\n", app.URL(), user.ID)
	fmt.Fprintf(stdout, "# dashboard: %s\n# sign in as %s: %s\n", dashboard, displayName(user), link)

	<-ctx.Done()
	return stack.Close()
}

// demoSignInLink creates a task for userID through the agenttest client,
// the way a test would, and returns its URL.
func demoSignInLink(ctx context.Context, emu *clerkemu.Emulator, userID, redirect string) (string, error) {
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		return "", fmt.Errorf("sign-in link: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	task, err := client.Create(ctx, agenttask.CreateParams{
		UserID:          userID,
		AgentName:       "agenttest demo",
		TaskDescription: "sign-in link printed by agenttest demo",
		RedirectURL:     redirect,
	})
	if err != nil {
		return "", fmt.Errorf("sign-in link: %w", err)
	}
	return task.URL(), nil
}

// displayName is "First Last", else the username, else the id.
func displayName(u clerkemu.User) string {
	if name := strings.TrimSpace(u.FirstName + " " + u.LastName); name != "" {
		return name
	}
	if u.Username != "" {
		return u.Username
	}
	return u.ID
}
