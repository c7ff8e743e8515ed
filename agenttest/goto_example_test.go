package agenttest_test

import (
	"fmt"

	"github.com/agenttest/agenttest/agenttest"
)

// Page.Goto takes a path relative to AGENTTEST_APP_URL (or the BaseURL
// given with WithContextOptions); with neither, it says so at once.
func ExamplePage_Goto() {
	var page agenttest.Page // a page opened without AGENTTEST_APP_URL
	_, err := page.Goto("/dashboard")
	fmt.Println(err)
	// Output:
	// agenttest: Goto("/dashboard"): a relative URL needs AGENTTEST_APP_URL (or WithContextOptions BaseURL)
}
