package policy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Source gives the policy in force. Implementations must make Current
// cheap and lock-free: it is called on every request.
type Source interface {
	Current() *Policy
}

// Static is a Source that never changes (no policy file: pass nil, and every
// route needs an authenticated user).
type Static struct{ P *Policy }

// Current implements Source.
func (s Static) Current() *Policy { return s.P }

// DefaultDebounce is how long the Watcher waits for a burst of file events
// (an editor's write-rename-chmod, a ConfigMap's symlink swap) to settle.
const DefaultDebounce = 100 * time.Millisecond

// Watcher keeps the policy of a file current. It watches the file's
// directory, not the file, so it sees editors that write a new file and
// rename it over the old one and Kubernetes ConfigMap volumes that swap a
// "..data" symlink. A file that fails to load or parse leaves the last good
// policy in force; the failure is logged and reported by Status.
//
// Create it with NewWatcher, then call Run in a goroutine.
type Watcher struct {
	path     string
	log      *slog.Logger
	now      func() time.Time
	debounce time.Duration

	cur atomic.Pointer[Policy]

	mu       sync.Mutex
	loadedAt time.Time
	lastErr  error
	lastData []byte
}

// WatcherOption configures a Watcher.
type WatcherOption func(*Watcher)

// WithClock sets the clock used for Status's loadedAt.
func WithClock(now func() time.Time) WatcherOption { return func(w *Watcher) { w.now = now } }

// WithDebounce sets the settle time for bursts of file events.
func WithDebounce(d time.Duration) WatcherOption { return func(w *Watcher) { w.debounce = d } }

// NewWatcher loads the policy file. A file that cannot be read or parsed at
// startup is an error: there is no last good policy to fall back to.
func NewWatcher(path string, log *slog.Logger, opts ...WatcherOption) (*Watcher, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", path, err)
	}
	w := &Watcher{path: abs, log: log, now: time.Now, debounce: DefaultDebounce}
	for _, o := range opts {
		o(w)
	}
	if err := w.Reload(); err != nil {
		return nil, err
	}
	return w, nil
}

// Current returns the policy in force. It never blocks.
func (w *Watcher) Current() *Policy { return w.cur.Load() }

// Status reports when the policy in force was loaded and the error of the
// latest load attempt (nil when the file on disk is the policy in force),
// for /readyz.
func (w *Watcher) Status() (loadedAt time.Time, lastErr error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.loadedAt, w.lastErr
}

// Path returns the absolute path of the watched file.
func (w *Watcher) Path() string { return w.path }

// Reload reads and parses the file now. On failure the policy in force is
// kept and the error is returned, logged and kept for Status.
func (w *Watcher) Reload() error {
	data, err := os.ReadFile(w.path)
	var p *Policy
	if err == nil {
		p, err = Parse(data)
	} else {
		err = fmt.Errorf("policy: read %s: %w", w.path, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.lastErr = err
		if w.cur.Load() != nil {
			w.log.Error("policy file invalid; keeping the last good policy", "file", w.path, "err", err)
		}
		return err
	}
	w.lastErr = nil
	if w.cur.Load() != nil && bytes.Equal(data, w.lastData) {
		return nil // a touch or a no-op write: nothing changed
	}
	w.cur.Store(p)
	w.lastData = data
	w.loadedAt = w.now()
	w.log.Info("policy loaded", "file", w.path, "rules", p.Len(), "default", p.Default().String())
	return nil
}

// Run watches the file's directory until ctx ends, reloading after every
// settled burst of changes. It returns nil when ctx ends, or an error if the
// directory cannot be watched.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("policy: watch: %w", err)
	}
	defer fw.Close()
	dir := filepath.Dir(w.path)
	if err := fw.Add(dir); err != nil {
		return fmt.Errorf("policy: watch %s: %w", dir, err)
	}
	// Catch a change made between the initial load and the watch.
	_ = w.Reload()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) && !ev.Has(fsnotify.Create) {
				continue
			}
			// Any change in the directory may be ours: the file itself, a
			// temporary file renamed over it, or the symlink it resolves
			// through. Reload compares contents, so extra reloads are cheap.
			timer.Reset(w.debounce)
		case err, ok := <-fw.Errors:
			if !ok {
				return nil
			}
			w.log.Warn("policy watch error", "dir", dir, "err", err)
		case <-timer.C:
			_ = w.Reload()
		}
	}
}
