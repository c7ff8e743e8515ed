package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clientTestWriteFiles writes name -> content under dir.
func clientTestWriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadEnvMergesFilesUpToTheModuleRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	clientTestWriteFiles(t, root, map[string]string{
		".env":                   "ABOVE_MODULE=1\n", // outside the module: never read
		"mod/go.mod":             "module example.com/m\n",
		"mod/.env":               "A=root-env\nB=root-env\nC=root-env\nD=root-env\nE=root-env\nH=root-env\n",
		"mod/.env.local":         "A=root-local\nB=root-local\nPLACEHOLDER=root-local\nBLANK=\n",
		"mod/pkg/.env":           "A=pkg-env\nC=pkg-env\nH=\n",
		"mod/pkg/sub/.env.local": "A=sub-local\nPLACEHOLDER=\nBLANK=\n",
		"mod/pkg/sub/.env":       "A=sub-env\nF=sub-env\n",
	})
	env, err := loadEnvFrom(filepath.Join(root, "mod", "pkg", "sub"), []string{"E=process", "EMPTY=", "G=process=with=equals", "=bad", "novalue"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"A": "sub-local",  // the closest file, .env.local over .env
		"B": "root-local", // .env.local over .env in the same directory
		"C": "pkg-env",    // a closer directory over a further one
		"D": "root-env",
		"E": "process", // the process always wins
		"F": "sub-env",
		"G": "process=with=equals",
		// An empty value in a file is a placeholder that a further
		// file's value fills (a copied .env.local.example).
		"PLACEHOLDER": "root-local",
		"H":           "root-env",
		"BLANK":       "", // empty everywhere: set, empty
	} {
		if got, ok := env.Lookup(name); !ok || got != want {
			t.Errorf("%s = %q, %t; want %q", name, got, ok, want)
		}
	}
	if v, ok := env.Lookup("EMPTY"); !ok || v != "" {
		t.Errorf("EMPTY = %q, %t: a variable set empty in the process is set", v, ok)
	}
	if _, ok := env.Lookup("ABOVE_MODULE"); ok {
		t.Errorf("a file above the module root was read")
	}
	if got := env.Describe("A"); got != "A (from "+filepath.Join(root, "mod", "pkg", "sub", ".env.local")+")" {
		t.Errorf("describe(A) = %q", got)
	}
	if got := env.Describe("E"); got != "E (from the process environment)" {
		t.Errorf("describe(E) = %q", got)
	}
}

func TestLoadEnvOutsideAModule(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	clientTestWriteFiles(t, root, map[string]string{".env": "UP=1\n", "wd/.env": "HERE=1\n"})
	env, err := loadEnvFrom(filepath.Join(root, "wd"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := env.Lookup("HERE"); !ok {
		t.Errorf("the working directory's .env was not read")
	}
	if _, ok := env.Lookup("UP"); ok {
		t.Errorf("outside a module, parents were read")
	}
}

func TestLoadEnvBadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clientTestWriteFiles(t, dir, map[string]string{"go.mod": "module m\n", ".env.local": "# mine\nCLERK_API_URL=http://127.0.0.1:1\n\nexport CLERK_SECRET_KEY='sk_test_unterminated\nAGENTTEST_USER_ID=user_1\n"})
	_, err := loadEnvFrom(dir, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ".env.local")+", line 4 (CLERK_SECRET_KEY): malformed dotenv syntax") || !strings.HasPrefix(err.Error(), "load environment: ") {
		t.Fatalf("error %v, want one naming the file, the line and its variable", err)
	}
	if strings.Contains(err.Error(), "unterminated") {
		t.Errorf("the error quotes the file's content: %v", err)
	}
	// A valid value over several lines before the broken one is not
	// taken for it.
	clientTestWriteFiles(t, dir, map[string]string{".env.local": "PRIVATE_KEY=\"line one\nline two\nline three\"\nCLERK_API_URL=http://127.0.0.1:1\nAGENTTEST_USER_ID='user_unterminated\n"})
	if _, err := loadEnvFrom(dir, nil); err == nil || !strings.Contains(err.Error(), ".env.local, line 5 (AGENTTEST_USER_ID): malformed") {
		t.Errorf("after a valid multi-line value: %v, want line 5 (AGENTTEST_USER_ID)", err)
	}
}

// A .env.local saved with a UTF-8 byte order mark (Notepad) reads as
// without one: its first variable is found under its name.
func TestLoadEnvSkipsAByteOrderMark(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clientTestWriteFiles(t, dir, map[string]string{"go.mod": "module m\n", ".env.local": "\ufeffCLERK_API_URL=http://127.0.0.1:1\nAGENTTEST_USER_ID=user_1\n"})
	env, err := loadEnvFrom(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := env.Lookup(VarAPIURL); !ok || v != "http://127.0.0.1:1" {
		t.Errorf("CLERK_API_URL = %q, %v; want the file's value", v, ok)
	}
}

func TestLoadEnvDoesNotTouchTheProcess(t *testing.T) {
	// Not parallel: it reads the real working directory and environment.
	before := os.Environ()
	if _, err := LoadEnv(); err != nil {
		t.Fatal(err)
	}
	if after := os.Environ(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("LoadEnv changed the process environment")
	}
}

func TestEnvNeverPrintsValues(t *testing.T) {
	t.Parallel()
	env := EnvFromMap(map[string]string{"CLERK_SECRET_KEY": "sk_test_envS3CR3T"})
	holder := struct{ env Env }{env}
	var out strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		fmt.Fprintf(&out, verb+" ", env)
		fmt.Fprintf(&out, verb+" ", holder)
	}
	if strings.Contains(out.String(), "S3CR3T") {
		t.Errorf("printing an Env shows a value: %s", out.String())
	}
	if v, ok := env.Lookup("CLERK_SECRET_KEY"); !ok || v != "sk_test_envS3CR3T" {
		t.Errorf("Lookup = %q, %t", v, ok)
	}
	var zero Env
	if _, ok := zero.Lookup("PATH"); ok || zero.Describe("X") != "X" {
		t.Errorf("the zero Env is not empty")
	}
}
