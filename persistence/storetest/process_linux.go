package storetest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal has the kernel kill cmd's process when the test binary
// dies (a panic, a -timeout, SIGKILL), so no redis-server outlives its tests.
// The signal follows the OS thread that started the child; Go ends a thread
// only when a goroutine exits while locked to it, which the harness never does.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
