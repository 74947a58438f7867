package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// AuthgateBinary builds ./cmd/authgate once per test process and returns
// the path of the binary.
func AuthgateBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "authgate-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "authgate")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/authgate")
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/authgate: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildPath
}

// Authgate is a running authgate process.
type Authgate struct {
	URL     string // http://127.0.0.1:PORT
	Addr    string // 127.0.0.1:PORT
	DataDir string
	Env     []string

	cmd    *exec.Cmd
	logs   *LockedBuffer
	done   chan struct{}
	exitMu sync.Mutex
	exit   error
}

// StartAuthgate runs the real binary with env (KEY=VALUE pairs added to a
// clean environment) on a free port, with a fresh data directory unless env
// sets AUTHGATE_DATA_DIR, and waits until /readyz answers 200. The process
// is stopped with SIGTERM when the test ends.
func StartAuthgate(tb testing.TB, env ...string) *Authgate {
	tb.Helper()
	bin := AuthgateBinary(tb)
	port := FreePort(tb)
	a := &Authgate{
		Addr: "127.0.0.1:" + strconv.Itoa(port),
		logs: &LockedBuffer{},
		done: make(chan struct{}),
	}
	a.URL = "http://" + a.Addr
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AUTHGATE_LISTEN=" + a.Addr,
		"AUTHGATE_PUBLIC_URL=" + a.URL,
		"AUTHGATE_LOG_LEVEL=debug",
	}
	hasDataDir := false
	for _, e := range env {
		if len(e) > len("AUTHGATE_DATA_DIR=") && e[:len("AUTHGATE_DATA_DIR=")] == "AUTHGATE_DATA_DIR=" {
			hasDataDir = true
			a.DataDir = e[len("AUTHGATE_DATA_DIR="):]
		}
	}
	if !hasDataDir {
		a.DataDir = tb.TempDir()
		base = append(base, "AUTHGATE_DATA_DIR="+a.DataDir)
	}
	a.Env = append(base, env...)
	a.cmd = exec.Command(bin, "serve")
	a.cmd.Env = a.Env
	a.cmd.Stdout = a.logs
	a.cmd.Stderr = a.logs
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		tb.Fatalf("start authgate: %v", err)
	}
	go func() {
		err := a.cmd.Wait()
		a.exitMu.Lock()
		a.exit = err
		a.exitMu.Unlock()
		close(a.done)
	}()
	tb.Cleanup(func() {
		a.Stop(tb)
		if tb.Failed() {
			tb.Logf("authgate logs:\n%s", a.Logs())
		}
	})
	if err := a.waitReady(20 * time.Second); err != nil {
		tb.Fatalf("authgate did not become ready: %v\nlogs:\n%s", err, a.Logs())
	}
	return a
}

func (a *Authgate) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-a.done:
			return fmt.Errorf("process exited: %v", a.ExitErr())
		default:
		}
		resp, err := client.Get(a.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no 200 from /readyz within %s (last error %v)", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs returns everything the process wrote so far.
func (a *Authgate) Logs() string { return a.logs.String() }

// ExitErr is the process's exit error once it has ended.
func (a *Authgate) ExitErr() error {
	a.exitMu.Lock()
	defer a.exitMu.Unlock()
	return a.exit
}

// Stop sends SIGTERM and waits (up to 15s, then SIGKILL). It reports a
// non-zero exit after SIGTERM as a test error: shutdown must be clean.
func (a *Authgate) Stop(tb testing.TB) {
	select {
	case <-a.done:
		return
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
		if err := a.ExitErr(); err != nil {
			tb.Errorf("authgate exited uncleanly after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.done
		tb.Errorf("authgate did not stop within 15s of SIGTERM")
	}
}

// RunAuthgate runs the binary to completion (at most 30s) with env added to
// a clean environment and returns its exit code and combined output.
func RunAuthgate(tb testing.TB, env []string, args ...string) (int, string) {
	tb.Helper()
	cmd := exec.Command(AuthgateBinary(tb), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var out LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String()
		}
		if err != nil {
			tb.Fatal(err)
		}
		return 0, out.String()
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return -1, out.String()
	}
}
