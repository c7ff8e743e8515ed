// Package hang has a test that never ends, on purpose: testdata/record.sh
// records the go test -json stream of a binary's -timeout from it.
package hang

import "testing"

func TestFinishes(t *testing.T) {}

func TestHangs(t *testing.T) {
	t.Log("waiting for a reply that never comes")
	select {}
}
