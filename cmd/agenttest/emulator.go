package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

func runEmulator(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `Once both its hosts listen it prints an env file with every variable an app
and a test need, in Clerk's own forms:
  CLERK_SECRET_KEY=sk_test_…
  CLERK_PUBLISHABLE_KEY=pk_test_…   (names the Frontend API host)
  CLERK_API_URL=http://127.0.0.1:PORT   (Backend API, no /v1: JS SDKs add it)
  CLERK_FRONTEND_API_URL=http://127.0.0.1:PORT   (issuer of session tokens)
  CLERK_JWKS_URL=http://127.0.0.1:PORT/.well-known/jwks.json
This is the one place agenttest prints a secret key, on purpose: it is the
key of the throwaway instance just started. It serves until SIGINT or SIGTERM.`)
	listen := fs.String("listen", "127.0.0.1:0", "Backend API listen `address`")
	frontend := fs.String("frontend-listen", "", "Frontend API listen `address` (default: the Backend API's host, a free port)")
	key := fs.String("secret-key", "", "the instance's secret `key`, sk_test_… or sk_live_…; visible to local users in the process list (default: a random sk_test_ key)")
	usersFile := fs.String("users", "", "JSON array of Clerk users to seed, or \"none\" (default: the seed users built into agenttest)")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	users, err := loadUsers(*usersFile)
	if err != nil {
		return err
	}

	emu, err := clerkemu.Start(clerkemu.Options{Addr: *listen, FrontendAddr: *frontend, SecretKey: *key, Users: users})
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	defer emu.Close()
	for _, v := range emu.Env() {
		fmt.Fprintf(stdout, "%s=%s\n", v.Name, v.Value)
	}

	<-ctx.Done()
	if err := emu.Close(); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	return nil
}

// loadUsers reads the seed users: "" means the seed users built into
// the emulator (so the command works from any directory), "none" none.
func loadUsers(path string) ([]clerkemu.User, error) {
	switch path {
	case "":
		return clerkemu.SeedUsers(), nil
	case "none":
		return []clerkemu.User{}, nil
	}
	users, err := clerkemu.LoadUsers(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("users file %s not found (it is relative to the working directory): pass --users FILE, or leave --users out for the built-in seed users", path)
	}
	if err != nil {
		return nil, fmt.Errorf("load users: %w: fix the file or pass --users FILE", err)
	}
	return users, nil
}
