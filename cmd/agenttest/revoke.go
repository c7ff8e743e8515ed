package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

func runRevoke(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, "It reads CLERK_SECRET_KEY and CLERK_API_URL like create, and prints \"revoked TASK_ID\".")
	if err := parseFlags(fs, args, "TASK_ID"); err != nil {
		return err
	}
	id := fs.Arg(0)
	client, err := loadClient()
	if err != nil {
		return err
	}
	if err := checkAPI(ctx, client); err != nil {
		return err
	}
	if _, err := client.Revoke(ctx, id); err != nil {
		switch {
		case errors.Is(err, agenttask.ErrTaskNotFound):
			return fmt.Errorf("nothing to revoke: this instance has no task %s: check the id, and that CLERK_SECRET_KEY is the key of the instance that created it: %s", id, strings.TrimPrefix(err.Error(), "agenttest: "))
		case errors.Is(err, agenttask.ErrTaskNotPending):
			return fmt.Errorf("nothing to revoke: task %s was already used, revoked or has expired: %s", id, strings.TrimPrefix(err.Error(), "agenttest: "))
		}
		return err
	}
	fmt.Fprintf(stdout, "revoked %s\n", id)
	return nil
}
