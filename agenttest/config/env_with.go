package config

import "maps"

// With returns e with vars set over it, each described as coming from
// source: a test binary's own configuration (an emulator's variables)
// without os.Setenv. e itself is unchanged.
func (e Env) With(vars map[string]string, source string) Env {
	over := maps.Clone(vars)
	n := e.n
	for name := range over {
		if _, ok := e.Lookup(name); !ok {
			n++
		}
	}
	base := e.get
	return Env{
		get: func(name string) (string, string, bool) {
			if v, ok := over[name]; ok {
				return v, source, true
			}
			if base == nil {
				return "", "", false
			}
			return base(name)
		},
		n: n,
	}
}
