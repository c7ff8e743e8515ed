package report_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/agenttest/agenttest/agenttest/report"
)

// Parse a go test -json stream and render its report; with the
// artifacts folder of a real run (Options.ArtifactsDir), each failure
// also shows its screenshots, console log and trace.
func Example() {
	stream := `{"Action":"run","Package":"example.com/app/e2e","Test":"TestDashboard"}
{"Action":"pass","Package":"example.com/app/e2e","Test":"TestDashboard","Elapsed":1.2}
{"Action":"run","Package":"example.com/app/e2e","Test":"TestCheckout"}
{"Action":"output","Package":"example.com/app/e2e","Test":"TestCheckout","Output":"    checkout_test.go:21: the order was not placed\n"}
{"Action":"fail","Package":"example.com/app/e2e","Test":"TestCheckout","Elapsed":2.5}
{"Action":"fail","Package":"example.com/app/e2e","Elapsed":3.9}
`
	run, err := report.Parse(strings.NewReader(stream))
	if err != nil {
		fmt.Println(err)
		return
	}
	var page bytes.Buffer
	if err := report.Write(&page, run, report.Options{Title: "e2e"}); err != nil {
		fmt.Println(err)
		return
	}
	passed, failed, skipped := run.Counts()
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	fmt.Println(strings.Contains(page.String(), "the order was not placed"))
	// Output:
	// 1 passed, 1 failed, 0 skipped
	// true
}
