package main

import (
	"context"
	"errors"
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
prints an env file (CLERK_API_URL, CLERK_SECRET_KEY of the throwaway
emulator, AGENTTEST_APP_URL, AGENTTEST_USER_ID of the first seeded user) and
two comments: the dashboard's address and a single-use sign-in link for that
user. It serves until SIGINT or SIGTERM.`)
	host := fs.String("listen-host", "127.0.0.1", "`host` both servers listen on")
	usersFile := fs.String("users", defaultUsersFile, "JSON array of Clerk users to seed (at least one)")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	users, err := loadUsers(*usersFile)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return fmt.Errorf("users file %q holds no users: pass --users FILE with at least one", *usersFile)
	}

	emu, err := clerkemu.Start(clerkemu.Options{Addr: net.JoinHostPort(*host, "0"), Users: users})
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	defer emu.Close()
	app, err := demoapp.Start(demoapp.Options{
		Addr:      net.JoinHostPort(*host, "0"),
		APIURL:    emu.APIURL(),
		SecretKey: emu.SecretKey(),
		ProxyURL:  emu.Issuer(),
		Now:       emu.Now,
	})
	if err != nil {
		return fmt.Errorf("start demo app: %w", err)
	}
	defer app.Close()

	user := users[0]
	dashboard := app.URL() + "/dashboard"
	link, err := demoSignInLink(ctx, emu, user.ID, dashboard)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "CLERK_API_URL=%s\nCLERK_SECRET_KEY=%s\nAGENTTEST_APP_URL=%s\nAGENTTEST_USER_ID=%s\n",
		emu.APIURL(), emu.SecretKey(), app.URL(), user.ID)
	fmt.Fprintf(stdout, "# dashboard: %s\n# sign in as %s: %s\n", dashboard, displayName(user), link)

	<-ctx.Done()
	return errors.Join(app.Close(), emu.Close())
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
