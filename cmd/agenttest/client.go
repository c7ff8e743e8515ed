package main

import (
	"fmt"

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
