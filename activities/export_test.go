package activities

// OnHeartbeatFailed makes tests see every heartbeat transport error; it returns the restore.
func OnHeartbeatFailed(f func(error)) (restore func()) {
	old := heartbeatFailed
	heartbeatFailed = f
	return func() { heartbeatFailed = old }
}
