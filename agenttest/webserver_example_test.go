package agenttest_test

import (
	"context"
	"fmt"

	"github.com/agenttest/agenttest/agenttest"
)

func ExampleStartApp() {
	addr := "127.0.0.1:38519" // where your app listens
	app, err := agenttest.StartApp(context.Background(), agenttest.AppOptions{
		Command: []string{"go", "run", "./appserver/testdata/webapp", "-listen", addr},
		URL:     "http://" + addr + "/",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// In a TestMain: code := agenttest.RunTests(m)
	fmt.Println("answering at", app.URL())
	fmt.Println(app.Stop())
	// Output:
	// answering at http://127.0.0.1:38519/
	// <nil>
}
