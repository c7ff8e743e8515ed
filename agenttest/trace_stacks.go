package agenttest

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/mxschmitt/playwright-go"
)

// playwrightGoPkg is playwright-go's import path, which prefixes the
// function names of its frames.
var playwrightGoPkg = reflect.TypeFor[playwright.Playwright]().PkgPath()

// trimTraceStacks drops, from each action's call stack in a trace's
// trace.stacks entry, the frames inside playwright-go, so that the
// viewer's Source tab opens at the call that made the action. Playwright
// clients leave their own frames out; playwright-go means to, but knows
// its files only in a folder named playwright-go, which the module
// cache's playwright-go@v… is not. Data it cannot read is returned as is.
func trimTraceStacks(data []byte) []byte {
	var doc struct {
		Files  []string            `json:"files"`
		Stacks [][]json.RawMessage `json:"stacks"` // [callId, frames]
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return data
	}
	for i, call := range doc.Stacks {
		if len(call) != 2 {
			return data
		}
		var frames [][]any // [file index, line, column, function]
		if err := json.Unmarshal(call[1], &frames); err != nil {
			return data
		}
		first := 0
		for first < len(frames) && len(frames[first]) == 4 && isPlaywrightGoFunc(frames[first][3]) {
			first++
		}
		b, err := json.Marshal(frames[first:])
		if err != nil {
			return data
		}
		doc.Stacks[i][1] = b
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return data
	}
	return out
}

// isPlaywrightGoFunc reports whether a frame's function name is in
// playwright-go or one of its packages.
func isPlaywrightGoFunc(fn any) bool {
	s, _ := fn.(string)
	return strings.HasPrefix(s, playwrightGoPkg+".") || strings.HasPrefix(s, playwrightGoPkg+"/")
}
