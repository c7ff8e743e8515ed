// Package broken does not compile, on purpose: testdata/record.sh
// records the go test -json stream of a build failure from it.
package broken

import "testing"

func TestNeverRuns(t *testing.T) {
	var n int = "not a number"
	_ = n
}
