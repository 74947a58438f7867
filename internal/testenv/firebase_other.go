//go:build !linux && !windows

package testenv

import "syscall"

// emulatorSysProcAttr starts the emulator in its own process group so that
// StopFirebaseEmulator can signal everything it spawned.
func emulatorSysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func signalGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }
