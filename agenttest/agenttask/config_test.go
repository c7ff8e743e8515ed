package agenttask

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agenttest/agenttest/agenttest/config"
)

const (
	clientTestConfigKey = "sk_test_c0nf1gS3CR3Tk3yc0nf1gS3CR3Tk3y"
	clientTestLiveKey   = "sk_live_S3CR3Tl1v3k3yS3CR3Tl1v3k3y"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env             map[string]string
		wantURL         string
		wantProd, allow bool
	}{
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey}, config.DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": " " + clientTestConfigKey + "\n", "CLERK_API_URL": "https://api.clerk.com"}, config.DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://api.clerk.com/"}, config.DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://api.clerk.com/v1/"}, config.DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080/v1", false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://proxy.example.com/clerk//"}, "https://proxy.example.com/clerk/v1", false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": ""}, config.DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": clientTestLiveKey, "AGENTTEST_ALLOW_PRODUCTION": "1"}, config.DefaultAPIURL, true, true},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_ALLOW_PRODUCTION": "0"}, config.DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_" + strings.Repeat("a", 16)}, config.DefaultAPIURL, false, false},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_" + strings.Repeat("A_9", 42)}, config.DefaultAPIURL, false, false},
	} {
		cfg, err := ConfigFromEnv(config.EnvFromMap(tc.env))
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
		// A hint to check the URL says when none was given.
		if unset := strings.TrimSpace(tc.env["CLERK_API_URL"]) == ""; unset != strings.Contains(cfg.urlFrom, "not set: Clerk's "+config.DefaultAPIURL) {
			t.Errorf("%v: the URL's source reads %q", tc.env, cfg.urlFrom)
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
		{map[string]string{"CLERK_SECRET_KEY": "\u201csk_test_S3CR3TS3CR3TS3CR3TS3CR3T\u201d"}, []string{"holds quote characters", "remove them"}},
		{map[string]string{"CLERK_SECRET_KEY": `"sk_test_S3CR3TS3CR3TS3CR3TS3CR3T"`}, []string{"holds quote characters"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_"}, []string{"only the prefix"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_aS3CR3T b"}, []string{"white space"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_live_"}, []string{"only the prefix sk_live_"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_S3CR3T"}, []string{"too short for a Clerk secret key (6 characters after sk_test_, want at least 16)"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_" + strings.Repeat("S3CR3T", 30)}, []string{"too long for a Clerk secret key (180 characters after sk_test_, want at most 128)"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_S3CR3T-S3CR3T-S3CR3T-S3CR3T"}, []string{"characters a Clerk secret key never has"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_S3CR3TS3CR3TS3CR3T\u00e9"}, []string{"characters a Clerk secret key never has"}},
		{map[string]string{"CLERK_SECRET_KEY": "sk_test_S3CR3TS3CR3T\x00S3CR3T"}, []string{"control characters"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestLiveKey}, []string{"production key", "real session for a real user", "AGENTTEST_ALLOW_PRODUCTION=1"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestLiveKey, "AGENTTEST_ALLOW_PRODUCTION": "0"}, []string{"AGENTTEST_ALLOW_PRODUCTION=1"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_ALLOW_PRODUCTION": "yes"}, []string{`AGENTTEST_ALLOW_PRODUCTION (from the given map) is "yes": set it to 1`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_ALLOW_PRODUCTION": "yes\nno"}, []string{`AGENTTEST_ALLOW_PRODUCTION (from the given map) is "yes\nno": set it to 1`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_RATE_SHARE": "2"}, []string{`AGENTTEST_RATE_SHARE (from the given map) is "2": set a fraction of Clerk's rate limit above 0 and at most 1`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_RATE_SHARE": "0"}, []string{`AGENTTEST_RATE_SHARE (from the given map) is "0"`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_RATE_SHARE": "half"}, []string{`AGENTTEST_RATE_SHARE (from the given map) is "half"`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_RATE_SHARE": "NaN"}, []string{`is "NaN"`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_RATE_SHARE": "150%"}, []string{`is "150%"`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "api.clerk.com"}, []string{"CLERK_API_URL", `"api.clerk.com" has no scheme: add it, e.g. "https://api.clerk.com"`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "127.0.0.1:8080"}, []string{`"127.0.0.1:8080" has no scheme: add it, e.g. "http://127.0.0.1:8080"`}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "ftp://api.clerk.com"}, []string{"not an absolute http(s) URL"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "ftp://api.clerk.com"}, []string{"not an absolute http(s) URL"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://"}, []string{"has no host"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://u:S3CR3T@api.clerk.com"}, []string{"user information"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "https://api.clerk.com/v1?k=S3CR3T"}, []string{"query or fragment"}},
		{map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "CLERK_API_URL": "http://[::1"}, []string{"is not a URL"}},
		{map[string]string{"CLERK_API_URL": "nope"}, []string{"CLERK_SECRET_KEY is empty", "CLERK_API_URL (from the given map)"}},
	} {
		_, err := ConfigFromEnv(config.EnvFromMap(tc.env))
		if err == nil {
			t.Errorf("%v: no error", tc.env)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: error %q lacks %q", tc.env, err, want)
			}
		}
		if !strings.HasPrefix(err.Error(), "config: ") {
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
		{Config{SecretKey: clientTestLiveKey}, "AGENTTEST_ALLOW_PRODUCTION=1"},
		{Config{SecretKey: clientTestConfigKey}, ""},
		{Config{SecretKey: clientTestLiveKey, AllowProduction: true, APIURL: "https://api.clerk.com"}, ""},
		{Config{SecretKey: "sk_test_"}, "only the prefix"},
		{Config{SecretKey: "sk_test_x"}, "too short"},
		{Config{SecretKey: clientTestConfigKey, RateShare: 0.25}, ""},
		{Config{SecretKey: clientTestConfigKey, RateShare: 1}, ""},
		{Config{SecretKey: clientTestConfigKey, RateShare: 1.01}, "AGENTTEST_RATE_SHARE (Config.RateShare) is 1.01: set a fraction"},
		{Config{SecretKey: clientTestConfigKey, RateShare: -0.5}, "AGENTTEST_RATE_SHARE (Config.RateShare) is -0.5"},
		{Config{SecretKey: clientTestConfigKey, RateShare: math.NaN()}, "AGENTTEST_RATE_SHARE (Config.RateShare) is NaN"},
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
	cfg := Config{SecretKey: clientTestConfigKey, APIURL: config.DefaultAPIURL}
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

func TestConfigRateShare(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]float64{"": 0, "0.5": 0.5, " 0.25 ": 0.25, "1": 1, "50%": 0.5, "5 %": 0.05, "100%": 1} {
		env := map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey}
		if raw != "" {
			env["AGENTTEST_RATE_SHARE"] = raw
		}
		cfg, err := ConfigFromEnv(config.EnvFromMap(env))
		if err != nil || cfg.RateShare != want {
			t.Errorf("AGENTTEST_RATE_SHARE=%q: share %g, %v; want %g", raw, cfg.RateShare, err, want)
		}
	}
	for _, c := range []struct {
		cfg  Config
		want float64
	}{
		{Config{SecretKey: clientTestConfigKey}, 0.5},
		{Config{SecretKey: clientTestLiveKey}, 0.2},
		{Config{SecretKey: clientTestLiveKey, RateShare: 0.7}, 0.7},
	} {
		if got := c.cfg.rateShare(); got != c.want {
			t.Errorf("%v: share %g, want %g", c.cfg, got, c.want)
		}
	}
	if s := fmt.Sprint(Config{SecretKey: clientTestConfigKey, RateShare: 0.3}); !strings.Contains(s, "RateShare: 0.3") {
		t.Errorf("String() = %s, want the share", s)
	}
}

// TestConfigErrorsQuoteAndCutValues: a value from the environment or a
// Config is shown on one line, quoted, at most 80 characters of it.
func TestConfigErrorsQuoteAndCutValues(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 100_000)
	for name, env := range map[string]map[string]string{
		"multi-line allow": {"AGENTTEST_ALLOW_PRODUCTION": "1\nINJECTED line"},
		"100 KB allow":     {"AGENTTEST_ALLOW_PRODUCTION": long},
		"100 KB share":     {"AGENTTEST_RATE_SHARE": long},
		"multi-line URL":   {"CLERK_API_URL": "ftp://api.clerk.com/\nINJECTED"},
		"100 KB URL":       {"CLERK_API_URL": "ftp://api.clerk.com/" + long},
		"100 KB bad URL":   {"CLERK_API_URL": "http://[::1" + long},
	} {
		env["CLERK_SECRET_KEY"] = clientTestConfigKey
		_, err := ConfigFromEnv(config.EnvFromMap(env))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || len(msg) > 600 || !utf8.ValidString(msg) {
			t.Errorf("%s: error of %d bytes, not one valid line: %q", name, len(msg), msg)
		}
		if strings.Contains(msg, long[:200]) {
			t.Errorf("%s: error shows more than 80 characters of the value", name)
		}
	}
	_, err := ConfigFromEnv(config.EnvFromMap(map[string]string{"CLERK_SECRET_KEY": clientTestConfigKey, "AGENTTEST_RATE_SHARE": long}))
	if want := `is "` + strings.Repeat("é", 80) + `"… (200000 bytes): set a fraction`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to contain %s", err, want)
	}
}
