package frontend_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/agenttest/agenttest/agenttest/frontend"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// A browser that followed a task URL holds a __client cookie on the
// Frontend API host; with it (or, in development, the dev browser
// token of the redirect) EndSession signs that browser out of the
// session, without a Backend API request.
func ExampleEndSession() {
	emu, err := clerkemu.Start(clerkemu.Options{Users: clerkemu.SeedUsers()})
	if err != nil {
		log.Fatal(err)
	}
	defer emu.Close()
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	task, err := client.Create(ctx, agenttask.CreateParams{Identifier: "ada@example.com", RedirectURL: "http://localhost:3000/dashboard"})
	if err != nil {
		log.Fatal(err)
	}

	// The browser's first hop: the Frontend API answers 307 and sets
	// the __client cookie. (A Playwright page gets it from its
	// context's Cookies.)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(task.URL())
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "__client" {
			cookie = c.Value
		}
	}
	session := emu.Sessions(clerkemu.SessionActive)[0].ID

	fapi, _ := url.Parse(task.URL())
	err = frontend.EndSession(ctx, nil, frontend.SignOut{
		FrontendAPI: fapi.Scheme + "://" + fapi.Host,
		SessionID:   session,
		Client:      cookie,
	})
	fmt.Println(err)
	fmt.Println(len(emu.Sessions(clerkemu.SessionEnded)), emu.Requests(clerkemu.RouteRevokeSession))
	// Output:
	// <nil>
	// 1 0
}
