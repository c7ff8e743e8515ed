package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplitTests(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name  string
		names []string
		times map[string]time.Duration
		total int
		want  [][]string
	}{{
		name:  "round-robin on sorted names",
		names: []string{"TestD", "TestA", "TestC", "TestB", "TestE"},
		total: 2,
		want:  [][]string{{"TestA", "TestC", "TestE"}, {"TestB", "TestD"}},
	}, {
		name:  "more shards than tests",
		names: []string{"TestB", "TestA"},
		total: 3,
		want:  [][]string{{"TestA"}, {"TestB"}, nil},
	}, {
		name:  "one shard",
		names: []string{"TestB", "TestA", "TestA"},
		total: 1,
		want:  [][]string{{"TestA", "TestB"}},
	}, {
		name:  "longest first, each to the lightest shard",
		names: []string{"TestA", "TestB", "TestC", "TestD", "TestE"},
		times: map[string]time.Duration{"TestA": 7 * s, "TestB": 5 * s, "TestC": 4 * s, "TestD": 3 * s, "TestE": 1 * s},
		total: 2,
		// A(7)→0; B(5)→1; C(4)→1 (9); D(3)→0 (10); E(1)→1 (10).
		want: [][]string{{"TestA", "TestD"}, {"TestB", "TestC", "TestE"}},
	}, {
		name:  "one long test alone",
		names: []string{"TestLong", "TestA", "TestB", "TestC"},
		times: map[string]time.Duration{"TestLong": 60 * s, "TestA": s, "TestB": s, "TestC": s},
		total: 2,
		want:  [][]string{{"TestLong"}, {"TestA", "TestB", "TestC"}},
	}, {
		name:  "unknown tests count as the median",
		names: []string{"TestA", "TestB", "TestC", "TestNew1", "TestNew2"},
		times: map[string]time.Duration{"TestA": 10 * s, "TestB": 2 * s, "TestC": 1 * s, "TestGone": 9 * s},
		total: 2,
		// The median of 1, 2, 9 and 10 s is 2 s (the lower middle).
		// Order: A 10, B 2, New1 2, New2 2, C 1 (ties by name).
		// A→0 (10); B→1 (2); New1→1 (4); New2→1 (6); C→1 (7).
		want: [][]string{{"TestA"}, {"TestB", "TestC", "TestNew1", "TestNew2"}},
	}, {
		name:  "no tests",
		total: 2,
		want:  [][]string{nil, nil},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := splitTests(tc.names, tc.times, tc.total)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("splitTests(%q, %v, %d) = %q, want %q", tc.names, tc.times, tc.total, got, tc.want)
			}
		})
	}
}

// TestEveryTestLandsInExactlyOneShard checks the split for every shard
// count from 1 to 9 over 0 to 40 names, with and without (partial) times.
func TestEveryTestLandsInExactlyOneShard(t *testing.T) {
	for n := 0; n <= 40; n++ {
		var names []string
		times := map[string]time.Duration{}
		for i := range n {
			name := fmt.Sprintf("Test%02d", i)
			names = append(names, name)
			if i%3 != 0 {
				times[name] = time.Duration((i*7919)%23+1) * 100 * time.Millisecond
			}
		}
		for total := 1; total <= 9; total++ {
			for _, tm := range []map[string]time.Duration{nil, times} {
				seen := map[string]int{}
				for _, shard := range splitTests(names, tm, total) {
					re := regexp.MustCompile(runExpression(shard))
					for _, name := range names {
						if re.MatchString(name) {
							seen[name]++
						}
					}
				}
				for _, name := range names {
					if seen[name] != 1 {
						t.Fatalf("%d names, %d shards, times %v: %s is matched by %d shards' expressions, want 1", n, total, tm != nil, name, seen[name])
					}
				}
			}
		}
	}
}

func TestRunExpression(t *testing.T) {
	re := regexp.MustCompile(runExpression([]string{"TestA", "ExampleB_c"}))
	for name, want := range map[string]bool{"TestA": true, "ExampleB_c": true, "TestAB": false, "XTestA": false, "TestB": false} {
		if re.MatchString(name) != want {
			t.Errorf("%s matches %s: %v, want %v", re, name, !want, want)
		}
	}
	if got := runExpression(nil); got != "^$" {
		t.Errorf("runExpression(nil) = %q, want ^$", got)
	}
}

func TestParseTestList(t *testing.T) {
	out := "TestB\nBenchmarkX\nExampleA\nFuzzY\nok  \texample.com/m/a\t0.01s\nTestB\nTestA\nok  \texample.com/m/b\t0.02s\n?   \texample.com/m/c\t[no test files]\n"
	got := parseTestList(out)
	if want := []string{"ExampleA", "FuzzY", "TestA", "TestB"}; !slices.Equal(got, want) {
		t.Fatalf("parseTestList = %q, want %q", got, want)
	}
}

func TestReadDurations(t *testing.T) {
	report := `# build noise
{"Action":"run","Package":"m/a","Test":"TestA"}
{"Action":"pass","Package":"m/a","Test":"TestA/sub","Elapsed":9}
{"Action":"pass","Package":"m/a","Test":"TestA","Elapsed":1.5}
{"Action":"pass","Package":"m/b","Test":"TestA","Elapsed":0.5}
{"Action":"fail","Package":"m/b","Test":"TestB","Elapsed":2}
{"Action":"pass","Package":"m/b","Test":"TestB","Elapsed":3}
{"Action":"skip","Package":"m/b","Test":"TestC","Elapsed":0}
{"Action":"pass","Package":"m/b","Elapsed":7}
`
	got, err := readDurations(strings.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"TestA": 2 * time.Second, "TestB": 3 * time.Second, "TestC": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("readDurations = %v, want %v", got, want)
	}
	if _, err := readDurations(strings.NewReader("PASS\nok m 0.1s\n")); err == nil {
		t.Fatal("readDurations of plain output: no error")
	}
}

func TestShardUsage(t *testing.T) {
	for _, args := range [][]string{
		{"shard"},
		{"shard", "--total", "2"},
		{"shard", "--total", "2", "--index", "2"},
		{"shard", "--total", "0", "--index", "0"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || stdout != "" || !isUsageError(stderr, "shard") {
			t.Errorf("agenttest %q: exit %d, stdout %q, stderr %q; want 2 and the usage", args, code, stdout, stderr)
		}
	}
	code, stdout, stderr := runCLI(t, "shard", "--total", "2", "--index", "0", "--durations", filepath.Join(t.TempDir(), "missing.json"))
	if line := oneLineOf(t, stderr); code != 1 || stdout != "" || !strings.Contains(line, "missing.json") {
		t.Fatalf("missing durations: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestShardEndToEnd shards a temporary module of two packages (one test
// name in both) three ways, by names and then by the durations of a first
// go test -json run, and runs each shard's expression through go test:
// every test of every package runs exactly once.
func TestShardEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module's tests several times")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":          "module example.com/sharded\n\ngo 1.26\n",
		"a/a_test.go":     "package a\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestShared(t *testing.T) {}\nfunc TestA1(t *testing.T) {}\nfunc TestA2(t *testing.T) { t.Run(\"sub\", func(t *testing.T) {}) }\nfunc TestA3(t *testing.T) {}\nfunc BenchmarkA(b *testing.B) {}\nfunc Example() {\n\tfmt.Println(\"hello\")\n\t// Output: hello\n}\nfunc Example_noOutput() {}\n",
		"b/b_test.go":     "package b\n\nimport \"testing\"\n\nfunc TestShared(t *testing.T) {}\nfunc TestB1(t *testing.T) {}\nfunc FuzzB(f *testing.F) { f.Add(1); f.Fuzz(func(t *testing.T, n int) {}) }\n",
		"c/c.go":          "package c\n",
		"a/a.go":          "package a\n",
		"b/b.go":          "package b\n",
		"d/d_test.go":     "package d\n\nimport \"testing\"\n\nfunc TestD1(t *testing.T) {}\nfunc TestD2(t *testing.T) {}\n",
		"d/doc.go":        "package d\n",
		"a/a_ext_test.go": "package a_test\n\nimport \"testing\"\n\nfunc TestExternal(t *testing.T) {}\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	want := []string{
		"example.com/sharded/a.Example", "example.com/sharded/a.TestA1", "example.com/sharded/a.TestA2",
		"example.com/sharded/a.TestA3", "example.com/sharded/a.TestExternal", "example.com/sharded/a.TestShared",
		"example.com/sharded/b.FuzzB", "example.com/sharded/b.TestB1", "example.com/sharded/b.TestShared",
		"example.com/sharded/d.TestD1", "example.com/sharded/d.TestD2",
	}

	// All at once: the report the second round balances by.
	all, report := goTestRun(t, "", "./...")
	if !slices.Equal(all, want) {
		t.Fatalf("go test ./... ran %q, want %q", all, want)
	}
	reportFile := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(reportFile, report, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, extra := range [][]string{nil, {"--durations", reportFile}} {
		var ran []string
		for i := range 3 {
			args := append([]string{"shard", "--index", fmt.Sprint(i), "--total", "3"}, extra...)
			code, stdout, stderr := runCLI(t, append(args, "./...")...)
			if code != 0 || stderr != "" {
				t.Fatalf("agenttest %q: exit %d, stderr %q", args, code, stderr)
			}
			expr := oneLineOf(t, stdout)
			got, _ := goTestRun(t, expr, "./...")
			if len(got) == 0 {
				t.Errorf("shard %d (%s) ran nothing", i, expr)
			}
			ran = append(ran, got...)
		}
		slices.Sort(ran)
		if !slices.Equal(ran, want) {
			t.Fatalf("shards %q together ran %q, want each of %q once", extra, ran, want)
		}
	}
}

// goTestRun runs go test -json [-run expr] pkgs in the working directory
// and returns the top-level "package.Name"s that passed, sorted, with the
// raw report.
func goTestRun(t *testing.T, expr string, pkgs ...string) ([]string, []byte) {
	t.Helper()
	args := []string{"test", "-json", "-count=1"}
	if expr != "" {
		args = append(args, "-run", expr)
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %q: %v\n%s", args, err, stderr.String())
	}
	var ran []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var ev struct{ Action, Package, Test string }
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Action == "pass" && ev.Test != "" && !strings.Contains(ev.Test, "/") {
			ran = append(ran, ev.Package+"."+ev.Test)
		}
	}
	slices.Sort(ran)
	return ran, out
}
