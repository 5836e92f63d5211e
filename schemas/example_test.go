package schemas_test

import (
	"fmt"

	"github.com/tasker-systems/tasker-temporal/schemas"
)

// A handler's output is checked against the StepResult schema: a misspelt field is refused.
func ExampleValidate() {
	fmt.Println(schemas.Validate(schemas.StepResult, []byte(`{"results":{"charge_id":"ch_1"}}`)))
	fmt.Println(schemas.Validate(schemas.StepResult, []byte(`{"result":{"charge_id":"ch_1"}}`)))
	// Output:
	// <nil>
	// does not match step-result.schema.json: (root): additional properties 'result' not allowed
}
