package client

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/tasker-temporal"
)

// TestStartTaskRefusesWhatCannotBeStored: StartTask checks the request before it reaches Temporal
// (the client here has no Temporal connection at all, so reaching it would panic).
func TestStartTaskRefusesWhatCannotBeStored(t *testing.T) {
	c := New(nil, Options{})
	cases := []struct {
		name string
		req  tasker.TaskRequest
		want string
	}{
		{"reason over 128", tasker.TaskRequest{Namespace: "ns", Name: "t", Reason: strings.Repeat("r", 129)},
			"task request ns/t: reason: 129 characters, over the limit of 128"},
		{"NUL in context", tasker.TaskRequest{Namespace: "ns", Name: "t", Context: json.RawMessage(`{"a":"\u0000"}`)},
			"task request ns/t: context.a: contains a NUL character"},
		{"namespace over 64", tasker.TaskRequest{Namespace: strings.Repeat("n", 65), Name: "t"},
			"namespace: 65 characters, over the limit of 64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.StartTask(context.Background(), tc.req, StartOptions{})
			require.ErrorContains(t, err, tc.want)
			var fe *tasker.FieldError
			require.True(t, errors.As(err, &fe))
		})
	}
}
