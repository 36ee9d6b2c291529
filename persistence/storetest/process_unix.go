//go:build unix

package storetest

import "syscall"

// Signals that freeze and thaw a server (RedisServer.Pause and Resume).
const (
	pauseSignal  = syscall.SIGSTOP
	resumeSignal = syscall.SIGCONT
)
