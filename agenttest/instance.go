package agenttest

import (
	"sync"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/ledger"
)

// instance is what a run learns about one Clerk instance, named by the
// client that reaches it (real Clerk serves every instance from one API
// URL, so the URL alone does not name one): the users identifiers
// resolve to, the user ids it does not have, its Testing Token and its
// ledger. It lives as long as the suite.
type instance struct {
	// users maps an identifier to its user id (see [AsIdentifier]).
	users sync.Map // string -> string
	// unknownUsers are the user ids Clerk said it does not have (see
	// unknownUser): later sign-ins as them fail at once, before a
	// browser page or a Backend API request.
	unknownUsers sync.Map // string -> error

	// token is the Testing Token the suite's contexts send to the
	// Frontend API, replaced shortly before it expires; flight is the
	// request for it in progress: a caller waits for it (or its own
	// context) without holding tokenMu.
	tokenMu sync.Mutex
	token   *agenttask.TestingToken
	flight  *tokenFlight

	// ledger records what the suite creates at the instance (see
	// ledger.go); nil when it could not be opened.
	ledgerOnce sync.Once
	ledger     *ledger.Ledger
}

// instance returns the suite's record of c's instance, made on first use.
func (s *suite) instance(c *agenttask.Client) *instance {
	v, _ := s.instances.LoadOrStore(c, &instance{})
	return v.(*instance)
}
