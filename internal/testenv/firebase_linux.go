package testenv

import "syscall"

// emulatorSysProcAttr starts the emulator in its own process group (so that
// StopFirebaseEmulator can signal everything it spawned) and asks the kernel
// to SIGKILL it when the test process dies without stopping it.
func emulatorSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }
