package agenttask

import (
	"log/slog"
	"net/http"

	"golang.org/x/time/rate"
)

// clientTestOpt changes the Config a test client is built from.
type clientTestOpt func(*Config)

func withHTTP(hc *http.Client) clientTestOpt  { return func(c *Config) { c.HTTPClient = hc } }
func withPolicy(p RetryPolicy) clientTestOpt  { return func(c *Config) { c.RetryPolicy = p } }
func withLogger(l *slog.Logger) clientTestOpt { return func(c *Config) { c.Logger = l } }

// withLimiter sets the limiter; nil turns client-side limiting off.
func withLimiter(l Limiter) clientTestOpt {
	if l == nil {
		l = rate.NewLimiter(rate.Inf, 0)
	}
	return func(c *Config) { c.Limiter = l }
}

// clientTestNew is NewClient with cfg changed by opts.
func clientTestNew(cfg Config, opts ...clientTestOpt) (*Client, error) {
	for _, o := range opts {
		if o == nil { // a test case without a change of its own
			continue
		}
		o(&cfg)
	}
	return NewClient(cfg)
}
