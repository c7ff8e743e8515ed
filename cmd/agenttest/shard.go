package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"
)

const shardDetails = `It lists the tests of the packages (default ".") with go test -list, splits
them across TOTAL shards and prints the -run expression of shard INDEX (0 to
TOTAL-1) on one line, for:

  go test -run "$(agenttest shard -index 1 -total 3 ./...)" ./...

A shard is a set of top-level names: Test, Example (those with an output
comment, the ones go test runs) and Fuzz (its seed corpus) functions, not
benchmarks (go test runs those only with -bench). A name found in several
packages is one unit, so the one expression serves every package and each
test runs in exactly one shard. With --durations, the output of an earlier
go test -json run, the split is greedy longest-first by the time each name
took (a name the report lacks counts as the median); without it, the sorted
names are dealt round-robin. A shard with nothing to run prints ^$.`

func runShard(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, shardDetails)
	index := fs.Int("index", -1, "this shard's `number`, from 0 to total-1")
	total := fs.Int("total", 0, "how many shards (`n`)")
	durations := fs.String("durations", "", "a go test -json `report` from an earlier run, to balance by time")
	verbose := fs.Bool("v", false, "print the shard's names and estimated time on stderr")
	if err := parseOnly(fs, args); err != nil {
		return err
	}
	if err := checkFlagOrder(fs, args, "packages"); err != nil {
		return err
	}
	switch {
	case *total < 1:
		return usagef(fs, "--total is %d, want at least 1", *total)
	case !flagSet(fs, "index"):
		return usagef(fs, "--index is missing: give this shard's number, 0 to %d", *total-1)
	case *index < 0 || *index >= *total:
		return usagef(fs, "--index is %d, want 0 to %d (shards are numbered from 0)", *index, *total-1)
	}
	var times map[string]time.Duration
	if *durations != "" {
		f, err := os.Open(*durations)
		if err != nil {
			return fmt.Errorf("read the durations: %w", err)
		}
		times, err = readDurations(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read the durations in %s: %w", *durations, err)
		}
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"."}
	}
	names, err := listTests(ctx, pkgs)
	if err != nil {
		return err
	}
	shards := splitTests(names, times, *total)
	mine := shards[*index]
	if *verbose {
		est := ""
		if times != nil {
			var d time.Duration
			for _, n := range mine {
				d += weight(n, times, medianDuration(times))
			}
			est = fmt.Sprintf(", estimated %s", d.Round(time.Millisecond))
		}
		fmt.Fprintf(stderr, "shard %d of %d: %d of %d names%s: %s\n", *index, *total, len(mine), len(names), est, strings.Join(mine, " "))
	}
	fmt.Fprintln(stdout, runExpression(mine))
	return nil
}

// testName matches the names go test -list prints for the functions a
// plain go test runs (benchmarks excluded).
var testName = regexp.MustCompile(`^(Test|Example|Fuzz)[\p{L}\p{N}_]*$`)

// listTests runs go test -list for pkgs and returns the sorted, distinct
// top-level names go test would run.
func listTests(ctx context.Context, pkgs []string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-list", ".*"}, pkgs...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("list the tests with go test -list %s: %w: %s", strings.Join(pkgs, " "), err, lastLines(errOut.String()+out.String(), 5))
	}
	return parseTestList(out.String()), nil
}

// parseTestList picks the test names out of go test -list output (names,
// then "ok <package>" lines), sorted and without duplicates.
func parseTestList(out string) []string {
	var names []string
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if testName.MatchString(line) {
			names = append(names, line)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// readDurations reads a go test -json stream and returns how long each
// top-level name took, summed over the packages that have it (the
// longest of repeated runs of one test in one package). Lines that are
// not JSON (build output) are skipped.
func readDurations(r io.Reader) (map[string]time.Duration, error) {
	perPkg := map[[2]string]time.Duration{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev struct {
			Action, Package, Test string
			Elapsed               *float64
		}
		if json.Unmarshal(line, &ev) != nil {
			continue
		}
		if ev.Test == "" || strings.Contains(ev.Test, "/") || ev.Elapsed == nil {
			continue
		}
		switch ev.Action {
		case "pass", "fail", "skip":
		default:
			continue
		}
		key := [2]string{ev.Package, ev.Test}
		perPkg[key] = max(perPkg[key], time.Duration(*ev.Elapsed*float64(time.Second)))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(perPkg) == 0 {
		return nil, fmt.Errorf("no test results: want the output of go test -json")
	}
	times := map[string]time.Duration{}
	for key, d := range perPkg {
		times[key[1]] += d
	}
	return times, nil
}

// splitTests splits names into total shards. Without times the sorted
// names are dealt round-robin. With times it is greedy longest-processing-
// time first: each name, longest first (ties by name), goes to the shard
// with the least time so far (ties to the one with fewer names, then to
// the lowest index, so tests that took no time spread); a name without a
// time counts as the median of the known ones. The result is the same for
// the same input, on every machine, and each name is in exactly one shard.
func splitTests(names []string, times map[string]time.Duration, total int) [][]string {
	shards := make([][]string, total)
	sorted := slices.Sorted(slices.Values(names))
	sorted = slices.Compact(sorted)
	if len(times) == 0 {
		for i, n := range sorted {
			shards[i%total] = append(shards[i%total], n)
		}
		return shards
	}
	median := medianDuration(times)
	slices.SortStableFunc(sorted, func(a, b string) int {
		return -cmpDuration(weight(a, times, median), weight(b, times, median))
	})
	load := make([]time.Duration, total)
	for _, n := range sorted {
		i := 0
		for j := range load {
			if load[j] < load[i] || load[j] == load[i] && len(shards[j]) < len(shards[i]) {
				i = j
			}
		}
		shards[i] = append(shards[i], n)
		load[i] += weight(n, times, median)
	}
	for _, s := range shards {
		slices.Sort(s)
	}
	return shards
}

func weight(name string, times map[string]time.Duration, median time.Duration) time.Duration {
	if d, ok := times[name]; ok {
		return d
	}
	return median
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// medianDuration is the median of the times (the lower middle one for an
// even count), 0 for none.
func medianDuration(times map[string]time.Duration) time.Duration {
	if len(times) == 0 {
		return 0
	}
	ds := make([]time.Duration, 0, len(times))
	for _, d := range times {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[(len(ds)-1)/2]
}

// runExpression is the go test -run expression that matches exactly the
// top-level names (and their subtests), or ^$ (nothing) for none.
func runExpression(names []string) string {
	if len(names) == 0 {
		return "^$"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	return "^(" + strings.Join(quoted, "|") + ")$"
}

// lastLines returns the last n non-empty lines of s joined by " | ".
func lastLines(s string, n int) string {
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
