package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

// taskIDPrefix begins every Agent Task id.
const taskIDPrefix = "agttsk_"

// plainID matches what may be shown of a mistaken id: a word of at most
// shownIDLength characters. Clerk's ids, Testing Tokens (40 characters)
// and tickets are all longer, so none of them is echoed.
var plainID = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

const shownIDLength = 20

func runRevoke(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, "It reads CLERK_SECRET_KEY and CLERK_API_URL like create, and prints \"revoked TASK_ID\".")
	if err := parseFlags(fs, args, "TASK_ID"); err != nil {
		return err
	}
	id := fs.Arg(0)
	if !strings.HasPrefix(id, taskIDPrefix) && !strings.Contains(id, "://") { // a URL gets the client's own refusal
		shown := strconv.Quote(id)
		if len(id) > shownIDLength || !plainID.MatchString(id) {
			shown = fmt.Sprintf("(%d characters, not shown: it may be a credential)", len(id))
		}
		return fmt.Errorf("the task id %s is not an Agent Task id (%s…): pass the task_id create printed, or the id in Clerk's logs", shown, taskIDPrefix)
	}
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
			return fmt.Errorf("nothing to revoke: this instance has no task %s: check the id, and that CLERK_SECRET_KEY is the key of the instance that created it: %w", id, err)
		case errors.Is(err, agenttask.ErrTaskNotPending):
			return fmt.Errorf("nothing to revoke: task %s was already used, revoked or has expired: %w", id, err)
		}
		return err
	}
	fmt.Fprintf(stdout, "revoked %s\n", id)
	return nil
}
