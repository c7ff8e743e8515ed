package main

import (
	"context"
	"fmt"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

// loadClient builds a client from the environment and dotenv files the way
// agenttest's tests do (CLERK_SECRET_KEY, CLERK_API_URL,
// AGENTTEST_ALLOW_PRODUCTION).
func loadClient() (*agenttask.Client, error) {
	cfg, err := agenttask.LoadConfig()
	if err != nil {
		return nil, err
	}
	client, err := agenttask.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	return client, nil
}

// pingTimeout bounds the check of the Backend API before a command's
// request.
const pingTimeout = 10 * time.Second

// checkAPI checks, with one request and no retry, that the client's URL
// is Clerk's Backend API and takes the key, as a test binary does before
// its first sign-in: a wrong CLERK_API_URL would otherwise read as an
// unknown user or task (the wrong server's 404), and an unreachable one
// would take the create's retries, half a minute, to say so.
func checkAPI(ctx context.Context, client *agenttask.Client) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return client.Ping(ctx)
}
