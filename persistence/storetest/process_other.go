//go:build !linux

package storetest

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal: a test binary that dies before its cleanups may leave its server running.
func setParentDeathSignal(*exec.Cmd) {}
