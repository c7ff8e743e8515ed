package agenttask

import (
	"bytes"
	"io"
	"net/http"
	"runtime/debug"
)

// apiVersion is the Clerk-API-Version every request sends. Agent Tasks
// are published only from 2025-11-10 on; clerk-sdk-go v2.4.2 hard-codes
// 2025-04-10, and @clerk/backend 3.25 sends this one.
const apiVersion = "2026-05-12"

// sdkVersion is clerk-sdk-go's version, named in the User-Agent.
const sdkVersion = "v2.4.2"

// modulePath is this module, whose version the User-Agent names.
const modulePath = "github.com/agenttest/agenttest"

// userAgent names agenttest (and its version when the binary knows it)
// and the SDK under it, so Clerk's logs tell its requests apart.
func userAgent() string {
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v = d.Version
			}
		}
	}
	return "agenttest/" + v + " clerk-sdk-go/" + sdkVersion
}

// withClerkHeaders returns a copy of req as Clerk expects it: the API
// version that has Agent Tasks, agenttest's User-Agent, and no body
// where clerk-sdk-go would send a JSON null for a call without
// parameters (a revoke: @clerk/backend sends none).
func withClerkHeaders(req *http.Request, ua string) (*http.Request, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Clerk-API-Version", apiVersion)
	r.Header.Set("User-Agent", ua)
	if r.GetBody == nil || r.ContentLength > int64(len("null")) {
		return r, nil // clerk-sdk-go leaves ContentLength 0 (unknown)
	}
	body, err := r.GetBody()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		return nil, err
	}
	if bytes.Equal(b, []byte("null")) {
		if req.Body != nil {
			req.Body.Close()
		}
		r.Body, r.GetBody, r.ContentLength = http.NoBody, nil, 0
		r.Header.Del("Content-Type")
	}
	return r, nil
}
