package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// A JWT-shaped credential, as Clerk's session tokens and handshakes are.
const testJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"

func TestIsCredentialName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"ticket": true, "__clerk_handshake": true, "__clerk_db_jwt": true, "__clerk_testing_token": true,
		"__clerk_handshake_nonce": true, "__session": true, "__session_AbCd1234": true, "__refresh_AbCd1234": true,
		"__client": true, "Authorization": true, "x-clerk-auth-token": true, "access_token": true, "token": true,
		"client_secret": true, "jwt": true, "Password": true,
		"__client_uat": false, "__client_uat_AbCd1234": false, "page": false, "redirect_url": false,
		"tickets": false, "name": false, "value": false, "session_id": false, "Cookie": false, "url": false,
	} {
		if got := IsCredentialName(name); got != want {
			t.Errorf("IsCredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestValueRedactsCredentialParametersOnly(t *testing.T) {
	t.Parallel()
	var s Set
	for in, want := range map[string]string{
		"http://f.dev/v1/agents/tasks?ticket=tkt_abc&page=2":                    "http://f.dev/v1/agents/tasks?ticket=REDACTED&page=2",
		"http://app/dash?__clerk_handshake=" + testJWT + "&__clerk_db_jwt=dvb1": "http://app/dash?__clerk_handshake=REDACTED&__clerk_db_jwt=REDACTED",
		"http://f.dev/v1/x?__clerk_testing_token=1713877200-c_ab.cd&_v=1":       "http://f.dev/v1/x?__clerk_testing_token=REDACTED&_v=1",
		"__client_uat=1795950604; __session=tok.en.x; __client=cli_1":           "__client_uat=1795950604; __session=REDACTED; __client=REDACTED",
		"__session_AbCd1234=abc; Path=/; HttpOnly":                              "__session_AbCd1234=REDACTED; Path=/; HttpOnly",
		"Bearer in header: Authorization: Bearer sk_test_abc":                   "Bearer in header: Authorization: Bearer REDACTED",
		"navigating to \"http://f.dev/t?ticket=tkt_1\", waiting":                "navigating to \"http://f.dev/t?ticket=REDACTED\", waiting",
		"the key sk_live_abcDEF and " + testJWT:                                 "the key sk_live_REDACTED and REDACTED",
		"plain text, no secret, a=1&b=2":                                        "plain text, no secret, a=1&b=2",
		// A URL inside another's query, percent-encoded.
		"http://f.dev/h?redirect_url=http%3A%2F%2Fapp%2F%3Fticket%3Dtkt_2%26x%3D1": "http://f.dev/h?redirect_url=http%3A%2F%2Fapp%2F%3Fticket%3DREDACTED%26x%3D1",
		"ticket=a%2Bb&x=1": "ticket=REDACTED&x=1",
	} {
		if got := s.Value(in); got != want {
			t.Errorf("Value(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestValueUsesTheRegisteredSecrets(t *testing.T) {
	t.Parallel()
	var s Set
	task := "https://fapi.example.dev/v1/agents/tasks?ticket=tkt_0123456789abcdef"
	s.AddURL(task)
	got := s.Value("the app showed tkt_0123456789abcdef and " + url.QueryEscape(task))
	if strings.Contains(got, "tkt_0123456789abcdef") {
		t.Fatalf("Value left the ticket: %q", got)
	}
	var other Set
	other.AddSet(&s)
	if got := other.Value("bare tkt_0123456789abcdef"); got != "bare REDACTED" {
		t.Fatalf("AddSet did not copy the secrets: %q", got)
	}
}

func TestJSONRedactsHARAndKeepsTheDocument(t *testing.T) {
	t.Parallel()
	var s Set
	body := `{"object":"token","jwt":"` + testJWT + `"}`
	in := `{"type":"resource-snapshot","snapshot":{"_monotonicTime":1023.850,"time":37.113,` +
		`"request":{"url":"http://f.dev/v1/agents/tasks?ticket=tkt_x","cookies":[],` +
		`"headers":[{"name":"Cookie","value":"__client_uat=17; __session=abc"},{"name":"Authorization","value":"Bearer opaque1"},{"name":"Accept","value":"text/html"}],` +
		`"queryString":[{"name":"ticket","value":"tkt_x"},{"name":"page","value":"2"}],` +
		`"postData":{"mimeType":"application/json","text":"{\"token\":\"opaque2\",\"n\":1}"}},` +
		`"response":{"cookies":[{"name":"__client","value":"opaque3","httpOnly":true},{"name":"__client_uat","value":"17"}],` +
		`"headers":[{"name":"Set-Cookie","value":"__session_AbCd1234=opaque4; Path=/"},{"name":"Location","value":"http://app/?__clerk_handshake=opaque5&x=<b>"}],` +
		`"content":{"mimeType":"application/json","encoding":"base64","text":"` + base64.StdEncoding.EncodeToString([]byte(body)) + `"}}}}`
	out, err := s.JSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, secret := range []string{"tkt_x", "abc", "opaque1", "opaque2", "opaque3", "opaque4", "opaque5"} {
		if strings.Contains(got, secret) {
			t.Errorf("JSON left %q in %s", secret, got)
		}
	}
	for _, kept := range []string{`"_monotonicTime":1023.850`, `{"name":"page","value":"2"}`, `{"name":"__client_uat","value":"17"}`, `{"name":"Accept","value":"text/html"}`, `x=<b>`, `__client_uat=17; __session=REDACTED`, `"n\":1`} {
		if !strings.Contains(got, kept) {
			t.Errorf("JSON lost %s: %s", kept, got)
		}
	}
	var v struct {
		Snapshot struct {
			Response struct {
				Content struct{ Text string } `json:"content"`
			} `json:"response"`
		} `json:"snapshot"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("JSON broke the document: %v\n%s", err, got)
	}
	dec, err := base64.StdEncoding.DecodeString(v.Snapshot.Response.Content.Text)
	if err != nil || string(dec) != `{"jwt":"REDACTED","object":"token"}` {
		t.Errorf("the base64 body: %q, %v", dec, err)
	}
}

func TestJSONRefusesInvalidDocuments(t *testing.T) {
	t.Parallel()
	var s Set
	for _, in := range []string{``, `{`, `{"a":1} {"b":2}`, `{"a":"ticket=x"`} {
		if out, err := s.JSON([]byte(in)); err == nil {
			t.Errorf("JSON(%q) = %q, want an error", in, out)
		}
	}
}

func TestJSONLinesDropsWhatItCannotParse(t *testing.T) {
	t.Parallel()
	var s Set
	in := "{\"url\":\"http://x/?ticket=t1\"}\n\n{broken ticket=t2\n{\"b\":[1,\"__session=t3\"]}\n"
	out, err := s.JSONLines([]byte(in))
	if err == nil || !strings.Contains(err.Error(), "dropped 1 line(s)") || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("err = %v, want one dropped line, line 3", err)
	}
	want := "{\"url\":\"http://x/?ticket=REDACTED\"}\n\n{\"b\":[1,\"__session=REDACTED\"]}\n"
	if string(out) != want {
		t.Errorf("JSONLines\n got %q\nwant %q", out, want)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("invalid line %q", line)
		}
	}
}

func FuzzJSONLinesStayValidAndRedacted(f *testing.F) {
	f.Add([]byte(`{"url":"http://x/?ticket=abc&__session=def","headers":[{"name":"Cookie","value":"__client=ghi"}]}`))
	f.Add([]byte("{\"a\":\"\\u0026ticket=1\"}\n[\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2ln\"]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Set
		out, _ := s.JSONLines(data)
		for line := range strings.SplitSeq(string(out), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if !json.Valid([]byte(line)) {
				t.Fatalf("invalid output line %q from %q", line, data)
			}
			if jwtRE.MatchString(line) {
				t.Fatalf("a JWT survived: %q", line)
			}
		}
	})
}

func TestTextRedactsClerkCookiesToo(t *testing.T) {
	t.Parallel()
	got := Text("Set-Cookie: __client=cli_secret1; __session_AbCd1234=sess2; __client_uat=17")
	for _, secret := range []string{"cli_secret1", "sess2"} {
		if strings.Contains(got, secret) {
			t.Errorf("Text left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "__client_uat=17") {
		t.Errorf("Text redacted the timestamp: %q", got)
	}
}
