package dag

import (
	"errors"
	"fmt"

	tasker "github.com/tasker-systems/tasker-temporal"
)

// State is the state of a step or of a task. The six values and their names are Tasker's
// (TASKER-REFERENCE §2). The zero value is Pending, so a fresh step needs no initialisation.
type State uint8

// The six Tasker states, in the order of their numeric values (used in snapshots: do not reorder).
const (
	Pending State = iota
	InProgress
	Complete
	Error
	Cancelled
	ResolvedManually

	numStates = 6
)

var stateNames = [numStates]string{
	Pending:          tasker.StatePending,
	InProgress:       tasker.StateInProgress,
	Complete:         tasker.StateComplete,
	Error:            tasker.StateError,
	Cancelled:        tasker.StateCancelled,
	ResolvedManually: tasker.StateResolvedManually,
}

// States lists every state in numeric order.
func States() []State {
	return []State{Pending, InProgress, Complete, Error, Cancelled, ResolvedManually}
}

// String returns Tasker's name of the state ("pending", "in_progress", …).
func (s State) String() string {
	if s.Valid() {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Valid reports whether s is one of the six states.
func (s State) Valid() bool { return s < numStates }

// ParseState parses Tasker's name of a state. The empty string is an error: callers that read
// Rails rows (where no transition means pending) map that case themselves.
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if n == s {
			return State(i), nil
		}
	}
	return 0, fmt.Errorf("unknown state %q (want one of pending, in_progress, complete, error, cancelled, resolved_manually)", s)
}

// MarshalText encodes the state as its Tasker name, so JSON carries "in_progress", not 1.
func (s State) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("marshal invalid state %d", uint8(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText decodes a Tasker state name.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Terminal reports whether a step in this state is finished for good: complete, cancelled or
// resolved_manually. (An error step is not terminal: it may be retried or resolved.)
func (s State) Terminal() bool {
	return s == Complete || s == Cancelled || s == ResolvedManually
}

// Satisfies reports whether a parent in this state lets its children start: complete or
// resolved_manually.
func (s State) Satisfies() bool { return s == Complete || s == ResolvedManually }

// ErrIllegalTransition is wrapped by every error that rejects a transition.
var ErrIllegalTransition = errors.New("illegal transition")

// TransitionError rejects a transition the state machine does not allow.
type TransitionError struct {
	Entity string // tasker.EntityStep or tasker.EntityTask
	Step   string // step name, when known
	From   State
	To     State
	Reason string // optional detail, e.g. "parent x is pending"
}

func (e *TransitionError) Error() string {
	who := e.Entity
	if e.Step != "" {
		who = fmt.Sprintf("%s %q", e.Entity, e.Step)
	}
	msg := fmt.Sprintf("%s: illegal transition %s → %s", who, e.From, e.To)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

// allowed[from] is a bit set of the states `from` may move to.
type transitionTable [numStates]uint8

func stateSet(states ...State) uint8 {
	var b uint8
	for _, s := range states {
		b |= 1 << s
	}
	return b
}

// stepTransitions is Tasker's step state machine (TASKER-REFERENCE §2).
var stepTransitions = transitionTable{
	Pending:    stateSet(InProgress, Error, Cancelled, ResolvedManually),
	InProgress: stateSet(Complete, Error, Cancelled),
	Error:      stateSet(Pending, ResolvedManually),
	// Complete, Cancelled, ResolvedManually: terminal.
}

// taskTransitions is Tasker's task state machine (TASKER-REFERENCE §2).
var taskTransitions = transitionTable{
	Pending:          stateSet(InProgress, Cancelled, Error),
	InProgress:       stateSet(Complete, Error, Cancelled, Pending),
	Error:            stateSet(Pending, ResolvedManually),
	Complete:         stateSet(Cancelled),
	ResolvedManually: stateSet(Cancelled),
	// Cancelled: terminal.
}

func (t *transitionTable) check(entity string, from, to State) error {
	if !from.Valid() || !to.Valid() {
		return &TransitionError{Entity: entity, From: from, To: to, Reason: "invalid state"}
	}
	if from == to {
		return nil // Tasker: a same-state transition is a no-op; callers skip it.
	}
	if t[from]&(1<<to) == 0 {
		return &TransitionError{Entity: entity, From: from, To: to}
	}
	return nil
}

// CheckStepTransition validates a step transition against Tasker's step state machine. A
// same-state "transition" returns nil: Tasker treats it as a no-op, and callers must skip it
// (write no transition row). An illegal one returns a *TransitionError wrapping
// ErrIllegalTransition.
func CheckStepTransition(from, to State) error {
	return stepTransitions.check(tasker.EntityStep, from, to)
}

// CheckTaskTransition validates a task transition against Tasker's task state machine, with the
// same same-state rule as CheckStepTransition. It does not know about steps: the rule that a task
// completes only when every step is complete or resolved is Run.AllDone's to check.
func CheckTaskTransition(from, to State) error {
	return taskTransitions.check(tasker.EntityTask, from, to)
}
