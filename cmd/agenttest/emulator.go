package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// defaultUsersFile is the project's seed of Clerk users, relative to the
// repository root.
const defaultUsersFile = "testdata/users.json"

func runEmulator(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `Once it listens it prints exactly two lines, an env file for the clients:
  CLERK_API_URL=http://127.0.0.1:PORT/v1
  CLERK_SECRET_KEY=sk_test_…
This is the one place agenttest prints a secret key, on purpose: it is the
key of the throwaway instance just started. It serves until SIGINT or SIGTERM.`)
	listen := fs.String("listen", "127.0.0.1:0", "listen `address`")
	key := fs.String("secret-key", "", "the instance's secret `key`, sk_test_… or sk_live_…; visible to local users in the process list (default: a random sk_test_ key)")
	usersFile := fs.String("users", defaultUsersFile, "JSON array of Clerk users to seed; \"\" for none")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	users, err := loadUsers(*usersFile)
	if err != nil {
		return err
	}

	emu, err := clerkemu.Start(clerkemu.Options{Addr: *listen, SecretKey: *key, Users: users})
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	defer emu.Close()
	fmt.Fprintf(stdout, "CLERK_API_URL=%s\nCLERK_SECRET_KEY=%s\n", emu.APIURL(), emu.SecretKey())

	<-ctx.Done()
	if err := emu.Close(); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	return nil
}

// loadUsers reads the seed users; "" means none.
func loadUsers(path string) ([]clerkemu.User, error) {
	if path == "" {
		return nil, nil
	}
	users, err := clerkemu.LoadUsers(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("users file %s not found (it is relative to the working directory): pass --users FILE", path)
	}
	if err != nil {
		return nil, fmt.Errorf("load users: %w: fix the file or pass --users FILE", err)
	}
	return users, nil
}
