package policy_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/policy"
)

const (
	openPolicy   = "rules:\n  - match: {path: /x/**}\n    allow: anonymous\n"
	closedPolicy = "rules:\n  - match: {path: /x/**}\n    allow: deny\n"
)

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startWatcher(t *testing.T, file string) (*policy.Watcher, *testenv.LockedBuffer) {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	w, err := policy.NewWatcher(file, slog.New(slog.NewTextHandler(logs, nil)), policy.WithDebounce(20*time.Millisecond))
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return w, logs
}

func outcome(w *policy.Watcher) policy.Outcome {
	return w.Current().Decide("h", "/x/y", "GET", nil).Outcome
}

// writeAtomic writes like editors and config tools do: a temporary file
// renamed over the old one.
func writeAtomic(t *testing.T, file, content string) {
	t.Helper()
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

func TestWatcherReloadsAndKeepsLastGood(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(file, []byte(openPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	w, logs := startWatcher(t, file)
	if outcome(w) != policy.Allow {
		t.Fatal("initial policy not in force")
	}
	loaded1, err := w.Status()
	if err != nil || loaded1.IsZero() {
		t.Fatalf("Status after load: %v %v", loaded1, err)
	}

	// In-place write.
	if err := os.WriteFile(file, []byte(closedPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "in-place write reloaded", func() bool { return outcome(w) == policy.Forbidden })

	// Rename-write.
	writeAtomic(t, file, openPolicy)
	eventually(t, "rename write reloaded", func() bool { return outcome(w) == policy.Allow })

	// Garbage: the last good policy stays, Status and the log say why.
	writeAtomic(t, file, "rules:\n  - match: {path: /x/**}\n    allow: {role: [admin]}\n")
	eventually(t, "broken file reported", func() bool { _, err := w.Status(); return err != nil })
	if _, err := w.Status(); !strings.Contains(err.Error(), "rules[0].allow.role") {
		t.Fatalf("Status error %q does not name the field", err)
	}
	if outcome(w) != policy.Allow {
		t.Fatal("broken file replaced the last good policy")
	}
	if !strings.Contains(logs.String(), "keeping the last good policy") {
		t.Fatalf("no log line about the broken file:\n%s", logs)
	}

	// Removed file: still the last good policy.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	eventually(t, "missing file reported", func() bool {
		_, err := w.Status()
		return err != nil && strings.Contains(err.Error(), "read")
	})
	if outcome(w) != policy.Allow {
		t.Fatal("missing file replaced the last good policy")
	}

	// Fixed again: the error clears.
	writeAtomic(t, file, closedPolicy)
	eventually(t, "fixed file reloaded", func() bool {
		_, err := w.Status()
		return err == nil && outcome(w) == policy.Forbidden
	})
}

// TestWatcherConfigMapSymlinkSwap mimics a Kubernetes ConfigMap volume:
// policy.yaml -> ..data/policy.yaml, ..data -> ..2024_v1; an update creates
// ..2024_v2 and renames a new ..data symlink over the old one.
func TestWatcherConfigMapSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	mkVersion := func(name, content string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "policy.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mkVersion("..v1", openPolicy)
	if err := os.Symlink("..v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "policy.yaml")
	if err := os.Symlink("..data/policy.yaml", file); err != nil {
		t.Fatal(err)
	}
	w, _ := startWatcher(t, file)
	if outcome(w) != policy.Allow {
		t.Fatal("initial policy not in force")
	}
	mkVersion("..v2", closedPolicy)
	if err := os.Symlink("..v2", filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "symlink swap reloaded", func() bool { return outcome(w) == policy.Forbidden })
}

func TestNewWatcherRefusesBrokenFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := policy.NewWatcher(filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Fatal("missing file accepted at startup")
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("default: maybe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.NewWatcher(bad, nil); err == nil || !strings.Contains(err.Error(), "default") {
		t.Fatalf("broken file at startup: %v", err)
	}
}

func TestWatcherStatusClock(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(file, []byte(openPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := policy.NewWatcher(file, nil, policy.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.Status(); !got.Equal(at) || err != nil {
		t.Fatalf("Status = %v, %v; want %v, nil", got, err, at)
	}
	// A reload of identical content keeps the load time.
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.Status(); !got.Equal(at) {
		t.Fatalf("no-op reload changed loadedAt to %v", got)
	}
}
