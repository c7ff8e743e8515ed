package agenttest_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
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

// mod is the module path; goList's packages of the module start with it.
const mod = "github.com/agenttest/agenttest/"

// goListOne is the package path as `go list -deps` of it reports it.
func goListOne(t *testing.T, path string) goListPackage {
	t.Helper()
	for _, p := range goList(t, "./"+path) {
		if p.ImportPath == mod+path {
			return p
		}
	}
	t.Fatalf("go list does not report %s", path)
	return goListPackage{}
}

// moduleDeps is which of deps are the module's own packages outside
// internal/.
func moduleDeps(deps []string) []string {
	var own []string
	for _, d := range deps {
		if strings.HasPrefix(d, mod) && !strings.HasPrefix(d, mod+"internal/") {
			own = append(own, strings.TrimPrefix(d, mod))
		}
	}
	return own
}

// One noun per package, and the arrows between them point one way:
// configuration depends on nothing of the module; the Backend API client
// links neither playwright-go, testing, the ledger nor the Frontend API
// calls; provisioning does not need the client; the ledger links no
// browser; the emulator and the other fixtures do not import the
// library. In the CLI only the provisioning package reaches playwright-go
// (the install command): create and revoke go through agenttask alone.
func TestPackageDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const pw = "github.com/mxschmitt/playwright-go"
	assert.Empty(t, moduleDeps(goListOne(t, "agenttest/config").Deps), "config imports nothing of the module but internal/")
	client := goListOne(t, "agenttest/agenttask")
	assert.Equal(t, []string{"agenttest/config"}, moduleDeps(client.Deps), "agenttask depends on config alone")
	assert.NotContains(t, client.Deps, pw)
	assert.NotContains(t, client.Deps, "testing")
	assert.NotContains(t, moduleDeps(goListOne(t, "agenttest/provision").Deps), "agenttest/agenttask", "provision does not import the client")
	assert.NotContains(t, goListOne(t, "agenttest/ledger").Deps, pw, "the ledger links no browser")
	assert.NotContains(t, goListOne(t, "agenttest/frontend").Deps, pw, "the Frontend API calls link no browser")
	for _, p := range goList(t, "./fixtures/...") {
		if strings.HasPrefix(p.ImportPath, mod+"fixtures/") {
			assert.Empty(t, moduleDeps(slices.DeleteFunc(slices.Clone(p.Deps), func(d string) bool { return strings.HasPrefix(d, mod+"fixtures/") })),
				"%s imports the library", p.ImportPath)
		}
	}
	var importers []string
	for _, p := range goList(t, "./cmd/agenttest") {
		if strings.HasPrefix(p.ImportPath, mod) && slices.Contains(p.Imports, pw) {
			importers = append(importers, p.ImportPath)
		}
		if p.ImportPath == mod+"cmd/agenttest" {
			assert.NotContains(t, p.Imports, mod+"agenttest", "the CLI does not need the fixture")
		}
	}
	assert.Equal(t, []string{mod + "agenttest/provision"}, importers,
		"only the provisioning package may bring playwright-go into the CLI")
}

// The shared helpers are the module root's internal/, which cmd/ and
// fixtures/ can import too: there is no other internal/ directory, and
// no package but internal's own defines a quoting function (a shell
// word, or a value shown in an error), so no copy of them grows back.
func TestOneInternalAndNoQuotingCopies(t *testing.T) {
	quoting := regexp.MustCompile(`(?i)quote|shellword`)
	var internals, copies []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch {
			case d.Name() == "internal" && path != "internal":
				internals = append(internals, path)
			case path == "internal" || d.Name() == "testdata" || d.Name() == "node_modules" || (strings.HasPrefix(d.Name(), ".") && path != "."):
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && quoting.MatchString(fn.Name.Name) {
				copies = append(copies, filepath.ToSlash(path)+": "+fn.Name.Name)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, internals, "internal/ lives at the module root only")
	assert.Empty(t, copies, "use internal/redact.Quote or internal/shellword.Quote")
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
