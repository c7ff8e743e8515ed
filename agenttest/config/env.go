package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/agenttest/agenttest/internal/redact"

	"github.com/joho/godotenv"
)

// envFiles are the dotenv files read in each directory, the one that
// wins first (like @clerk/testing, which loads .env.local then .env).
var envFiles = [...]string{".env.local", ".env"}

// sourceProcess names the process environment as the origin of a value.
const sourceProcess = "the process environment"

// Env is a merged, read-only view of configuration variables: the
// process environment over .env.local over .env, read from the working
// directory and each parent up to the module root (the directory holding
// go.mod). A file closer to the working directory wins over one further
// up, and .env.local wins over .env in the same directory. A variable
// already set in the process — even to the empty string — is never
// overridden by a file. In a file, an empty value (NAME= as copied from
// a .env.local.example) is a placeholder: a value for NAME in a file
// further up, or in .env, fills it.
//
// Env never writes to the process environment: it is a snapshot taken by
// [LoadEnv] (or built by [EnvFromMap]), so tests can build their own
// without touching os.Setenv. The zero Env holds no variables.
type Env struct {
	// get looks a variable up: its value and where it came from. A
	// closure, not maps, so that fmt printing a struct holding an Env by
	// reflection (which bypasses Format) cannot show a secret value.
	get func(name string) (value, source string, ok bool)
	n   int
}

// envEntry is one variable of an Env.
type envEntry struct{ value, source string }

// newEnv freezes vars into an Env.
func newEnv(vars map[string]envEntry) Env {
	return Env{
		get: func(name string) (string, string, bool) {
			e, ok := vars[name]
			return e.value, e.source, ok
		},
		n: len(vars),
	}
}

// LoadEnv snapshots the process environment and merges the dotenv files
// described at [Env] under it. Missing files are skipped; a file that
// cannot be read or parsed is an error naming it. Outside a Go module
// only the working directory's files are read.
func LoadEnv() (Env, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Env{}, fmt.Errorf("load environment: find the working directory: %w", err)
	}
	return loadEnvFrom(wd, os.Environ())
}

// loadEnvFrom is LoadEnv with the directory and process environment
// given, so tests need neither os.Chdir nor os.Setenv.
func loadEnvFrom(dir string, environ []string) (Env, error) {
	vars := map[string]envEntry{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		vars[name] = envEntry{value, sourceProcess}
	}
	for _, d := range envSearchDirs(dir) {
		for _, name := range envFiles {
			path := filepath.Join(d, name)
			data, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return Env{}, fmt.Errorf("load environment: read %s: %w (fix its permissions or remove it)", path, err)
			}
			// A byte order mark, which some Windows editors write, is no
			// part of the first name.
			data = bytes.TrimPrefix(data, []byte("\ufeff"))
			m, err := godotenv.UnmarshalBytes(data)
			if err != nil {
				// godotenv's parse errors quote the offending line, which
				// may be a secret: say where, not what.
				return Env{}, fmt.Errorf("load environment: parse %s%s: malformed dotenv syntax (an unbalanced quote or a line that is not NAME=value; the value is not shown, it may hold a secret): fix or remove the file", path, dotenvErrorLine(data))
			}
			for k, v := range m {
				prev, set := vars[k]
				if set && (prev.source == sourceProcess || prev.value != "" || v == "") {
					continue // the process, or a closer file's value, wins
				}
				vars[k] = envEntry{v, path}
			}
		}
	}
	return newEnv(vars), nil
}

// dotenvErrorLine says where in a dotenv file's data parsing fails:
// ", line N (NAME)", the first line up to which the file no longer
// parses, and the variable it starts when its name is a plain one. It
// never shows a value.
func dotenvErrorLine(data []byte) string {
	lines := strings.SplitAfter(string(data), "\n")
	// The longest start of the file that parses ends just before the
	// line that breaks it (a valid value over several lines is part of
	// such a start once its quote closes).
	good := 0
	for n := len(lines) - 1; n > 0; n-- {
		if _, err := godotenv.Unmarshal(strings.Join(lines[:n], "")); err == nil {
			good = n
			break
		}
	}
	line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[good]), "export "))
	if name, _, ok := strings.Cut(line, "="); ok && plainVarName.MatchString(strings.TrimSpace(name)) {
		return fmt.Sprintf(", line %d (%s)", good+1, strings.TrimSpace(name))
	}
	return fmt.Sprintf(", line %d", good+1)
}

// plainVarName matches a variable name that may be shown.
var plainVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// envSearchDirs lists dir and its parents up to the closest one holding
// go.mod, closest first. Without a go.mod above dir it is just dir.
func envSearchDirs(dir string) []string {
	dir = filepath.Clean(dir)
	var dirs []string
	for d := dir; ; {
		dirs = append(dirs, d)
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return dirs
		}
		parent := filepath.Dir(d)
		if parent == d {
			return []string{dir}
		}
		d = parent
	}
}

// EnvFromMap returns an Env holding exactly m (copied); the process
// environment and dotenv files are not consulted. It is meant for tests
// and for callers with their own source of configuration.
func EnvFromMap(m map[string]string) Env {
	vars := make(map[string]envEntry, len(m))
	for k, v := range m {
		vars[k] = envEntry{v, "the given map"}
	}
	return newEnv(vars)
}

// Lookup returns the value of the variable name and whether it is set.
func (e Env) Lookup(name string) (string, bool) {
	if e.get == nil {
		return "", false
	}
	v, _, ok := e.get(name)
	return v, ok
}

// Describe names a variable and where its value came from, for error
// messages: "CLERK_SECRET_KEY (from /repo/.env.local)", or the name
// alone when it is not set. It never shows the value.
func (e Env) Describe(name string) string {
	if e.get == nil {
		return name
	}
	if _, s, ok := e.get(name); ok {
		return name + " (from " + s + ")"
	}
	return name
}

// String describes the Env without any value: values may be secrets.
func (e Env) String() string {
	return fmt.Sprintf("config.Env{%d variables, values not shown}", e.n)
}

// Format prints [Env.String] for every verb, so no fmt verb (%v, %+v,
// %#v, %s, %d, …) can print a value held by the Env.
func (e Env) Format(f fmt.State, verb rune) { redact.Format(f, verb, e.String()) }
