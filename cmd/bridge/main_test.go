package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCommandErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing config", []string{"--config", missing}, "bridge config " + missing},
		{"temporal unreachable", []string{"--config", "../../bridge/testdata/valid.yaml", "--temporal-address", "127.0.0.1:1"}, "cannot reach Temporal at 127.0.0.1:1"},
		{"positional args", []string{"extra"}, `unknown command "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := command()
			cmd.SetArgs(tc.args)
			err := cmd.Execute()
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
