package agenttask_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// exampleEmulator starts a Clerk emulator with the repository's seed
// users; the caller closes it. Real code points the client at Clerk.
func exampleEmulator() *clerkemu.Emulator {
	emu, err := clerkemu.Start(clerkemu.Options{Users: clerkemu.SeedUsers()})
	if err != nil {
		log.Fatal(err)
	}
	return emu
}

// LoadConfig reads CLERK_SECRET_KEY and CLERK_API_URL from the process
// environment, then .env.local and .env files up to the module root.
func ExampleLoadConfig() {
	cfg, err := agenttask.LoadConfig()
	if err != nil {
		// e.g. "config: CLERK_SECRET_KEY is empty or unset: copy the secret key …"
		log.Fatal(err)
	}
	fmt.Println(cfg) // the key is printed as sk_test_REDACTED
}

func ExampleConfigFromEnv() {
	cfg, err := agenttask.ConfigFromEnv(config.EnvFromMap(map[string]string{
		"CLERK_SECRET_KEY": "sk_test_0123456789abcdef",
		"CLERK_API_URL":    "https://api.clerk.com/",
	}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg)

	_, err = agenttask.ConfigFromEnv(config.EnvFromMap(map[string]string{"CLERK_SECRET_KEY": "sk_live_0123456789abcdef"}))
	fmt.Println(err)
	// Output:
	// agenttask.Config{SecretKey: sk_test_REDACTED, APIURL: https://api.clerk.com/v1, AllowProduction: false}
	// config: CLERK_SECRET_KEY is a production key (sk_live_…): an Agent Task mints a real session for a real user of your production instance; use a development instance's sk_test_ key, or opt in with AGENTTEST_ALLOW_PRODUCTION=1
}

func ExampleNewClient() {
	emu := exampleEmulator()
	defer emu.Close()

	client, err := agenttask.NewClient(agenttask.Config{
		SecretKey:   emu.SecretKey(),
		APIURL:      emu.APIURL(),
		RetryPolicy: agenttask.RetryPolicy{MaxRetries: 2},
	})
	if err != nil {
		log.Fatal(err)
	}
	user, err := client.FindUser(context.Background(), "ada@example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.ID, *user.FirstName)
	// Output:
	// user_2ada0000000000000000000001 Ada
}

func ExampleClient_Create() {
	emu := exampleEmulator()
	defer emu.Close()
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	task, err := client.Create(ctx, agenttask.CreateParams{
		Identifier:         "ada@example.com",
		RedirectURL:        "http://localhost:3000/dashboard",
		SessionMaxDuration: 10 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	// Printing a task never shows its ticket; task.URL() is what a
	// browser visits, once.
	fmt.Println(strings.HasPrefix(task.ID, "agttsk_"))
	fmt.Println(strings.Replace(task.RedactedURL(), emu.FrontendURL(), "http://frontend-api", 1))

	_, err = client.Create(ctx, agenttask.CreateParams{UserID: "user_nobody", RedirectURL: "http://localhost:3000/"})
	fmt.Println(errors.Is(err, agenttask.ErrUserNotFound))
	// Output:
	// true
	// http://frontend-api/v1/agents/tasks?ticket=REDACTED
	// true
}

func ExampleClient_Revoke() {
	emu := exampleEmulator()
	defer emu.Close()
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	task, err := client.Create(ctx, agenttask.CreateParams{UserID: "user_2ada0000000000000000000001", RedirectURL: "http://localhost:3000/"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Revoke(ctx, task.ID); err != nil {
		log.Fatal(err)
	}
	// Revoking again, like a cleanup after a used task, is not an error
	// worth failing for.
	_, err = client.Revoke(ctx, task.ID)
	var apiErr *agenttask.APIError
	fmt.Println(errors.Is(err, agenttask.ErrTaskNotPending), errors.As(err, &apiErr) && apiErr.HasCode("agent_task_cannot_be_revoked"))
	// Output:
	// true true
}

// An id the instance does not know is not found, which is not the same
// as a task that is no longer pending: check the id, and that the secret
// key is the instance's that created it.
func ExampleErrTaskNotFound() {
	emu := exampleEmulator()
	defer emu.Close()
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Revoke(context.Background(), "agttsk_mistyped")
	fmt.Println(errors.Is(err, agenttask.ErrTaskNotFound), errors.Is(err, agenttask.ErrTaskNotPending))
	// Output:
	// true false
}

// An email address that is the user's but unverified cannot name the
// user in an Agent Task; FindUser says so and returns the user, whose id
// can name them instead.
func ExampleErrIdentifierNotVerified() {
	emu := exampleEmulator()
	defer emu.Close()
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		log.Fatal(err)
	}
	user, err := client.FindUser(context.Background(), "alan.unverified@example.com")
	if errors.Is(err, agenttask.ErrIdentifierNotVerified) {
		fmt.Println("not verified; sign in as", user.ID)
	}
	// Output:
	// not verified; sign in as user_2alan0000000000000000000003
}

// A WindowLimiter admits its n requests at once, then each further one
// when the admission n before it turns per old. A Wait whose ctx's
// deadline comes before the next free slot fails at once.
func ExampleNewWindowLimiter() {
	l := agenttask.NewWindowLimiter(3, time.Minute)
	for range 3 {
		if err := l.Wait(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := l.Wait(ctx)
	fmt.Println(errors.Is(err, context.DeadlineExceeded), ctx.Err())

	// A client's share of Clerk's development limit of 100 per 10 s.
	share := agenttask.NewServerShareLimiter(100, 10*time.Second, 0.5)
	fmt.Println(share.Requests(), share.Window())
	// Output:
	// true <nil>
	// 45 10.5s
}
