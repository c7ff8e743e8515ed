package agenttest_test

import (
	"context"
	"fmt"
	"net"

	"github.com/agenttest/agenttest/agenttest"
)

func ExampleStartApp() {
	addr := freeAddr() // where your app listens, e.g. 127.0.0.1:3000
	app, err := agenttest.StartApp(context.Background(), agenttest.AppOptions{
		Command: []string{"go", "run", "./appserver/testdata/webapp", "-listen", addr},
		URL:     "http://" + addr + "/",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// In a TestMain: code := agenttest.RunTests(m)
	fmt.Println("answering:", app.URL() == "http://"+addr+"/")
	fmt.Println(app.Stop())
	// Output:
	// answering: true
	// <nil>
}

// freeAddr is a loopback address nothing listens on, for the example.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
