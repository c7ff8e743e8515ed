package agenttask_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/agenttest/agenttest/agenttest/frontend"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/demoapp"
)

// A session without a browser, and an http.Client whose requests carry
// its session tokens as "Authorization: Bearer", minted afresh before
// each expires. Here against the emulator and the demo app.
func ExampleClient_NewTokenSource() {
	stack, err := demoapp.StartStack(demoapp.StackOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer stack.Close()
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: stack.Emulator.SecretKey(), APIURL: stack.Emulator.APIURL()})
	if err != nil {
		log.Fatal(err)
	}
	defer client.CloseIdleConnections()
	ctx := context.Background()

	task, err := client.Create(ctx, agenttask.CreateParams{UserID: "user_2ada0000000000000000000001", RedirectURL: stack.App.URL() + "/"})
	if err != nil {
		log.Fatal(err)
	}
	first, err := frontend.VisitTask(ctx, nil, task, nil) // once: the ticket is single-use
	if err != nil {
		log.Fatal(err)
	}
	defer client.RevokeSession(ctx, first.SessionID)

	tokens := client.NewTokenSource(first.SessionID, agenttask.TokenSourceOptions{Initial: first})
	api := &http.Client{Transport: &agenttask.Transport{Source: tokens}}
	resp, err := api.Get(stack.App.URL() + "/api/me")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, first.UserID)
	fmt.Println(strings.Contains(fmt.Sprint(first), first.Value())) // a token prints redacted
	// Output:
	// 200 user_2ada0000000000000000000001
	// false
}
