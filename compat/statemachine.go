package compat

import tasker "github.com/tasker-systems/tasker-temporal"

// allowed is Tasker's state machine (TASKER-REFERENCE §2): entity → from → allowed targets.
var allowed = map[string]map[string][]string{
	tasker.EntityTask: {
		tasker.StatePending:          {tasker.StateInProgress, tasker.StateCancelled, tasker.StateError},
		tasker.StateInProgress:       {tasker.StateComplete, tasker.StateError, tasker.StateCancelled, tasker.StatePending},
		tasker.StateError:            {tasker.StatePending, tasker.StateResolvedManually},
		tasker.StateComplete:         {tasker.StateCancelled},
		tasker.StateResolvedManually: {tasker.StateCancelled},
	},
	tasker.EntityStep: {
		tasker.StatePending:    {tasker.StateInProgress, tasker.StateError, tasker.StateCancelled, tasker.StateResolvedManually},
		tasker.StateInProgress: {tasker.StateComplete, tasker.StateError, tasker.StateCancelled},
		tasker.StateError:      {tasker.StatePending, tasker.StateResolvedManually},
	},
}

var knownStates = map[string]bool{
	tasker.StatePending: true, tasker.StateInProgress: true, tasker.StateComplete: true,
	tasker.StateError: true, tasker.StateCancelled: true, tasker.StateResolvedManually: true,
}

// canTransition reports whether entity may go from → to.
func canTransition(entity, from, to string) bool {
	for _, s := range allowed[entity][from] {
		if s == to {
			return true
		}
	}
	return false
}
