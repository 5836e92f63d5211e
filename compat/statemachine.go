package compat

import (
	tasker "github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/dag"
)

// canTransition reports whether entity may go from → to. The rules are dag's (the one model of
// Tasker's state machine, TASKER-REFERENCE §2); compat only reads state names from rows.
func canTransition(entity, from, to string) bool {
	f, errFrom := dag.ParseState(from)
	t, errTo := dag.ParseState(to)
	if errFrom != nil || errTo != nil {
		return false
	}
	if entity == tasker.EntityTask {
		return dag.CheckTaskTransition(f, t) == nil
	}
	return dag.CheckStepTransition(f, t) == nil
}

// knownState reports whether s is one of Tasker's six state names.
func knownState(s string) bool {
	_, err := dag.ParseState(s)
	return err == nil
}
