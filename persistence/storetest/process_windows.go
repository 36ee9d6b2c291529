package storetest

import "syscall"

// Windows has no signals to freeze a process: Pause and Resume send one it
// rejects, so they fail the test that calls them.
const (
	pauseSignal  = syscall.Signal(-1)
	resumeSignal = syscall.Signal(-1)
)
