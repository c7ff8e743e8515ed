package config_test

import (
	"fmt"

	"github.com/agenttest/agenttest/agenttest/config"
)

// A test builds its configuration from a map instead of the process
// environment; an Env never prints its values.
func ExampleEnvFromMap() {
	env := config.EnvFromMap(map[string]string{config.VarSecretKey: "sk_test_0123456789abcdef"})
	_, ok := env.Lookup(config.VarSecretKey)
	fmt.Println(ok, env)
	fmt.Println(env.Describe(config.VarSecretKey))
	// Output:
	// true config.Env{1 variables, values not shown}
	// CLERK_SECRET_KEY (from the given map)
}
