package dag

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStateNames(t *testing.T) {
	want := map[State]string{
		Pending: "pending", InProgress: "in_progress", Complete: "complete",
		Error: "error", Cancelled: "cancelled", ResolvedManually: "resolved_manually",
	}
	for s, name := range want {
		require.Equal(t, name, s.String())
		got, err := ParseState(name)
		require.NoError(t, err)
		require.Equal(t, s, got)
		text, err := s.MarshalText()
		require.NoError(t, err)
		var back State
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, s, back)
	}
	_, err := ParseState("done")
	require.ErrorContains(t, err, `unknown state "done"`)
	_, err = ParseState("")
	require.Error(t, err)
	require.Equal(t, "State(9)", State(9).String())
	_, err = State(9).MarshalText()
	require.Error(t, err)
}

func TestTerminal(t *testing.T) {
	for _, s := range States() {
		want := s == Complete || s == Cancelled || s == ResolvedManually
		require.Equal(t, want, s.Terminal(), s.String())
		require.Equal(t, s == Complete || s == ResolvedManually, s.Satisfies(), s.String())
	}
}

// The tables of TASKER-REFERENCE §2, written out independently of the implementation's bit sets.
var (
	stepAllowed = map[State][]State{
		Pending:    {InProgress, Error, Cancelled, ResolvedManually},
		InProgress: {Complete, Error, Cancelled},
		Error:      {Pending, ResolvedManually},
	}
	taskAllowed = map[State][]State{
		Pending:          {InProgress, Cancelled, Error},
		InProgress:       {Complete, Error, Cancelled, Pending},
		Error:            {Pending, ResolvedManually},
		Complete:         {Cancelled},
		ResolvedManually: {Cancelled},
	}
)

func TestTransitionTables(t *testing.T) {
	cases := []struct {
		entity  string
		check   func(from, to State) error
		allowed map[State][]State
	}{
		{"step", CheckStepTransition, stepAllowed},
		{"task", CheckTaskTransition, taskAllowed},
	}
	for _, c := range cases {
		for _, from := range States() {
			for _, to := range States() {
				err := c.check(from, to)
				legal := from == to // same-state: a no-op, never an error
				for _, a := range c.allowed[from] {
					legal = legal || a == to
				}
				if legal {
					require.NoError(t, err, "%s %s → %s", c.entity, from, to)
					continue
				}
				require.Error(t, err, "%s %s → %s", c.entity, from, to)
				require.True(t, errors.Is(err, ErrIllegalTransition))
				var te *TransitionError
				require.True(t, errors.As(err, &te))
				require.Equal(t, c.entity, te.Entity)
				require.Contains(t, err.Error(), from.String()+" → "+to.String())
			}
		}
	}
	require.Error(t, CheckStepTransition(State(7), Pending))
}
