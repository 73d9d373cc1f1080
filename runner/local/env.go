//go:build linux

package local

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// checkEnv rejects variables that cannot be passed to a process: names that
// are not C identifiers and values holding NUL bytes.
func checkEnv(field string, env map[string]string) error {
	for name, value := range env {
		if err := admin.ValidateEnvVarName(name); err != nil {
			return &admin.ValidationError{Field: field, Reason: fmt.Sprintf("variable %q: %v", name, err)}
		}
		if strings.IndexByte(value, 0) >= 0 {
			return &admin.ValidationError{Field: field, Reason: fmt.Sprintf("variable %s must not contain NUL bytes", name)}
		}
	}
	return nil
}

// environ composes a child's environment, later layers winning: the
// PassEnv variables of the admin's environment, Options.Env, then each of
// layers in order. PATH is always the admin's PATH with nodeDir first, so
// that `node`, and npm's `#!/usr/bin/env node`, resolve to the chosen Node.
func (r *Runner) environ(nodeDir string, layers ...map[string]string) []string {
	env := map[string]string{}
	for _, name := range r.opts.PassEnv {
		if v, ok := os.LookupEnv(name); ok {
			env[name] = v
		}
	}
	for k, v := range r.opts.Env {
		env[k] = v
	}
	for _, l := range layers {
		for k, v := range l {
			env[k] = v
		}
	}
	path := os.Getenv("PATH")
	if nodeDir != "" {
		path = nodeDir + string(os.PathListSeparator) + path
	}
	env["PATH"] = path
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out) // stable order: easier to read in /proc/{pid}/environ
	return out
}
