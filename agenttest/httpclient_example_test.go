package agenttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/demoapp"
)

// An API test without a browser: a client signed in as the user through
// an Agent Task, whose requests carry a fresh session token as
// "Authorization: Bearer". Here against the emulator and the demo app.
func ExampleHTTPClientContext() {
	stack, err := demoapp.StartStack(demoapp.StackOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stack.Close()
	emu, app := stack.Emulator, stack.App
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.CloseIdleConnections()

	ctx := context.Background()
	api, err := agenttest.HTTPClientContext(ctx, agenttest.WithClient(client),
		agenttest.AsIdentifier("ada@example.com"), agenttest.RedirectTo(app.URL()+"/dashboard"))
	defer api.Release(ctx) // revokes the session; also when sign-in failed
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := api.Get(app.URL() + "/api/me")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var me struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, me.ID, me.Email)
	// Output:
	// 200 user_2ada0000000000000000000001 ada@example.com
}

// HTTPClient in a test: relative URLs go to AGENTTEST_APP_URL, and the
// session is revoked when the test ends. (Compiled, not run: it needs a
// *testing.T.)
func ExampleHTTPClient() {
	var t *testing.T // in a test: func TestMeAPI(t *testing.T) { … }

	c := agenttest.HTTPClient(t, agenttest.AsUser("user_2x…"))
	resp, err := c.Get("/api/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/me: %s", resp.Status)
	}
}
