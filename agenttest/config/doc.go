// Package config is agenttest's configuration: every variable it reads
// ([Variables], the Var constants, with their defaults) and [Env], a
// read-only snapshot of them taken from the process environment over
// .env.local over .env files up to the module root ([LoadEnv]), or built
// from a map ([EnvFromMap]) so tests need no os.Setenv. Nothing in it
// writes to the process environment.
//
//	env, err := config.LoadEnv()
//	key, ok := env.Lookup(config.VarSecretKey)
package config
