package agenttest_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeVarRow is a row of the README's configuration table.
var readmeVarRow = regexp.MustCompile("(?m)^\\| `([A-Z][A-Z0-9_]+)` \\|")

// The README's configuration table lists exactly the variables the code
// reads (config.Variables, the one table of names), in its order.
func TestReadmeConfigurationTableMatchesTheCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Configuration\n")
	require.True(t, ok, "README.md lost its Configuration section")
	section, _, _ = strings.Cut(section, "\n## ")
	var inReadme []string
	for _, m := range readmeVarRow.FindAllStringSubmatch(section, -1) {
		inReadme = append(inReadme, m[1])
	}
	var inCode []string
	for _, v := range config.Variables() {
		inCode = append(inCode, v.Name)
		assert.NotEmpty(t, v.Meaning, v.Name)
		assert.NotEmpty(t, v.Default, v.Name)
	}
	assert.Equal(t, inCode, inReadme, "README.md's configuration table and config.Variables() differ")
}

// goListPackage is the part of `go list -json` the layout test reads.
type goListPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// goList runs `go list -deps -json` on pattern.
func goList(t *testing.T, pattern string) []goListPackage {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "-json=ImportPath,Imports,Deps", pattern).Output()
	require.NoError(t, err)
	var pkgs []goListPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goListPackage
		require.NoError(t, dec.Decode(&p))
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// The Backend API client links neither playwright-go nor testing, and
// in the CLI only the provisioning package reaches playwright-go (the
// install command): create and revoke go through agenttask alone.
func TestPackageDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const pw = "github.com/mxschmitt/playwright-go"
	for _, p := range goList(t, "./agenttest/agenttask") {
		if p.ImportPath == "github.com/agenttest/agenttest/agenttest/agenttask" {
			assert.NotContains(t, p.Deps, pw)
			assert.NotContains(t, p.Deps, "testing")
		}
	}
	var importers []string
	for _, p := range goList(t, "./cmd/agenttest") {
		if strings.HasPrefix(p.ImportPath, "github.com/agenttest/agenttest/") && slices.Contains(p.Imports, pw) {
			importers = append(importers, p.ImportPath)
		}
		if p.ImportPath == "github.com/agenttest/agenttest/cmd/agenttest" {
			assert.NotContains(t, p.Imports, "github.com/agenttest/agenttest/agenttest", "the CLI does not need the fixture")
		}
	}
	assert.Equal(t, []string{"github.com/agenttest/agenttest/agenttest/provision"}, importers,
		"only the provisioning package may bring playwright-go into the CLI")
}

// processEnvRead matches the calls that read the process environment.
var processEnvRead = regexp.MustCompile(`\bos\.(Getenv|LookupEnv|Environ)\(`)

// One place reads the environment: config's env snapshot. The library
// and the CLI read variables only through it.
func TestOnlyTheEnvSnapshotReadsTheProcessEnvironment(t *testing.T) {
	var readers []string
	for _, root := range []string{"agenttest", "cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == "testdata" {
				return fs.SkipDir // test programs, not the library
			}
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err == nil && processEnvRead.Match(src) {
				readers = append(readers, filepath.ToSlash(path))
			}
			return err
		})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"agenttest/config/env.go"}, readers)
}
