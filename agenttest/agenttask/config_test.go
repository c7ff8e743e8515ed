package agenttask

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const clientTestConfigKey = "sk_test_c0nf1gS3CR3Tk3y"

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env             map[string]string
		wantURL         string
		wantProd, allow bool
	}{
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey}, DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": " " + clientTestConfigKey + "\n", "CLERK_API_URL": "https://api.clerk.com"}, DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://api.clerk.com/"}, DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://api.clerk.com/v1/"}, DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080/v1", false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://proxy.example.com/clerk//"}, "https://proxy.example.com/clerk/v1", false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": ""}, DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": "sk_live_abc", "AGENTTEST_ALLOW_PRODUCTION": "1"}, DefaultAPIURL, true, true},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_ALLOW_PRODUCTION": "0"}, DefaultAPIURL, false, false},
	} {
		cfg, err := ConfigFromEnv(EnvFromMap(tc.env))
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if cfg.APIURL != tc.wantURL || cfg.Production() != tc.wantProd || cfg.AllowProduction != tc.allow || cfg.SecretKey != strings.TrimSpace(tc.env["CLERK_SECRET_KEY"]) {
			t.Errorf("%v: got %v", tc.env, cfg)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%v: Validate: %v", tc.env, err)
		}
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{}, []string{"CLERK_SECRET_KEY is empty or unset", "Clerk Dashboard"}},
		{map[string]string{"CLERK_SECRET_KEY": ""}, []string{"CLERK_SECRET_KEY (from the given map) is empty"}},
		{map[string]string{"CLERK_SECRET_KEY": "pk_test_Y2xlcmsuZXhhbXBsZSQ"}, []string{"publishable key"}},
		{map[string]string{"CLERK_SECRET_KEY": "secretS3CR3T"}, []string{"does not look like a Clerk secret key"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_"}, []string{"only the prefix"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_aS3CR3T b"}, []string{"white space"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_live_S3CR3T"}, []string{"production key", "real session for a real user", "AGENTTEST_ALLOW_PRODUCTION=1"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_live_S3CR3T", "AGENTTEST_ALLOW_PRODUCTION": "0"}, []string{"AGENTTEST_ALLOW_PRODUCTION=1"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_ALLOW_PRODUCTION": "yes"}, []string{`AGENTTEST_ALLOW_PRODUCTION (from the given map) is "yes": set it to 1`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "api.clerk.com"}, []string{"CLERK_API_URL", "not an absolute http(s) URL"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "ftp://api.clerk.com"}, []string{"not an absolute http(s) URL"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://"}, []string{"has no host"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://u:S3CR3T@api.clerk.com"}, []string{"user information"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://api.clerk.com/v1?k=S3CR3T"}, []string{"query or fragment"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "http://[::1"}, []string{"is not a URL"}},
		{map[string]string{"CLERK_API_URL": "nope"}, []string{"CLERK_SECRET_KEY is empty", "CLERK_API_URL (from the given map)"}},
	} {
		_, err := ConfigFromEnv(EnvFromMap(tc.env))
		if err == nil {
			t.Errorf("%v: no error", tc.env)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: error %q lacks %q", tc.env, err, want)
			}
		}
		if !strings.HasPrefix(err.Error(), "agenttest: config: ") {
			t.Errorf("%v: error %q lacks the prefix", tc.env, err)
		}
		if strings.Contains(err.Error(), "S3CR3T") || strings.Contains(err.Error(), clientTestConfigKey) {
			t.Errorf("%v: error %q shows a secret", tc.env, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "CLERK_SECRET_KEY (Config.SecretKey) is empty"},
		{Config{SecretKey: clientTestConfigKey, APIURL: "localhost:8080"}, "CLERK_API_URL (Config.APIURL)"},
		{Config{SecretKey: "sk_live_x"}, "AGENTTEST_ALLOW_PRODUCTION=1"},
		{Config{SecretKey: clientTestConfigKey}, ""},
		{Config{SecretKey: "sk_live_x", AllowProduction: true, APIURL: "https://api.clerk.com"}, ""},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v.Validate() = %v, want %q", tc.cfg, err, tc.want)
		}
		if _, nerr := clientTestNew(tc.cfg, withLimiter(nil)); (nerr == nil) != (err == nil) {
			t.Errorf("clientTestNew(%v) = %v, Validate %v", tc.cfg, nerr, err)
		}
	}
}

func TestConfigNeverPrintsTheKey(t *testing.T) {
	t.Parallel()
	cfg := Config{SecretKey: clientTestConfigKey, APIURL: DefaultAPIURL}
	var out strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		fmt.Fprintf(&out, verb+"\n", cfg)
		fmt.Fprintf(&out, verb+"\n", &cfg)
		fmt.Fprintf(&out, verb+"\n", []Config{cfg})
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(j)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("cfg", "cfg", cfg)
	slog.New(slog.NewTextHandler(&out, nil)).Info("cfg", "cfg", &cfg)
	if strings.Contains(out.String(), "S3CR3T") {
		t.Errorf("output shows the key:\n%s", out.String())
	}
	for _, want := range []string{"sk_test_REDACTED", "https://api.clerk.com/v1", `agenttask.Config{SecretKey:"sk_test_REDACTED"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
