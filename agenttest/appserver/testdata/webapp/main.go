// Command webapp is a stand-in application for StartApp's tests: it
// serves "ok" on -listen after -delay, or exits, or never listens; it can
// start a child process and ignore SIGTERM, and prints its pids. With
// -get it is a client instead.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "", "address to serve on; empty: never listen")
	delay := flag.Duration("delay", 0, "wait this long before listening")
	exit := flag.Int("exit", -1, "exit at once with this status")
	child := flag.Bool("child", false, "start a child process (this program with -listen \"\") first")
	ignoreTerm := flag.Bool("ignore-term", false, "ignore SIGTERM")
	get := flag.String("get", "", "GET this URL, print the body and exit (0 for 200, else 4)")
	flag.Parse()

	if *get != "" {
		resp, err := http.Get(*get)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		_, _ = io.Copy(os.Stdout, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			os.Exit(4)
		}
		return
	}

	fmt.Printf("pid %d\n", os.Getpid())
	if v := os.Getenv("WEBAPP_SECRET"); v != "" {
		fmt.Printf("configured with secret %s\n", v)
	}
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	}
	if *child {
		args := []string{}
		if *ignoreTerm {
			args = append(args, "-ignore-term")
		}
		c := exec.Command(os.Args[0], args...)
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "start child:", err)
			os.Exit(1)
		}
		fmt.Printf("child %d\n", c.Process.Pid)
	}
	if *exit >= 0 {
		fmt.Fprintln(os.Stderr, "boom: the app cannot start")
		os.Exit(*exit)
	}
	time.Sleep(*delay)
	if *listen == "" {
		for {
			time.Sleep(time.Hour)
		}
	}
	err := http.ListenAndServe(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
