package agenttest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/internal/redact"
)

// preflightTimeout bounds the configuration check of a test binary.
const preflightTimeout = 10 * time.Second

// preflight checks the run's configuration once, before its first
// sign-in or task through the default client: the key's shape (when
// the client was built), the Backend API answering and taking the key,
// and the app answering at AGENTTEST_APP_URL. Its result stands for the
// whole binary: after a failure every later sign-in fails at once with
// the same line, with no browser launched and no artifacts, instead of
// each test waiting out its retries. A client the test brought
// (WithClient) is the test's to check.
func (s *suite) preflight(ctx context.Context, client *agenttask.Client) error {
	if !s.isDefaultClient(client) {
		return nil
	}
	s.preflightOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), preflightTimeout)
		defer cancel()
		if err := client.Ping(ctx); err != nil {
			s.preflightErr = fmt.Errorf("%w (checked once for this test binary: every sign-in of the run fails this way)", err)
			return
		}
		if app := s.appURL(); app != "" {
			if err := pingApp(ctx, app); err != nil {
				s.preflightErr = fmt.Errorf("%w (checked once for this test binary: every sign-in of the run fails this way)", err)
			}
		}
	})
	return s.preflightErr
}

// pingApp checks that something answers HTTP at the app's URL: any
// status will do (a sign-in page, a redirect, a 404 at /); a refused or
// silent connection will not.
func pingApp(ctx context.Context, appURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, appURL, nil)
	if err != nil {
		return fmt.Errorf("%s=%s is not a URL: %w", config.VarAppURL, redact.URL(appURL), err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("the app at %s (%s) did not answer (%s): start it before the tests, or fix %s", redact.URL(appURL), config.VarAppURL, redact.Text(urlErrorCause(err).Error()), config.VarAppURL)
	}
	resp.Body.Close()
	return nil
}

// urlErrorCause is what went wrong under a *url.Error, whose message
// repeats the method and URL.
func urlErrorCause(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
