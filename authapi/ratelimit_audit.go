package authapi

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/identity"
)

// Defaults of AuditSampler.
const (
	DefaultSampledPerMinute = 60
	DefaultSamplerQueue     = 256
)

// AuditSampler writes audit events from a hot path, such as the gateway's
// forward-auth denials, without ever putting a database write on it: Admit
// is two atomic operations, Offer a non-blocking channel send, and one
// goroutine writes the events. At most PerMinute events are admitted per
// minute; the rest are only counted (Dropped), as are events offered while
// the queue is full. Each written event also gets the structured "audit"
// log line.
//
//	s := authapi.NewAuditSampler(db, authapi.AuditSamplerConfig{Log: log})
//	defer s.Close(ctx)
//	if s.Admit() {
//		s.Offer(identity.AuditEvent{Action: identity.ActionForwardAuthDeny, ...})
//	}
type AuditSampler struct {
	audit     identity.AuditLog
	log       *slog.Logger
	now       func() time.Time
	perMinute int64

	queue    chan identity.AuditEvent
	done     chan struct{} // closed by Close
	finished chan struct{} // closed when the writer has returned
	close    sync.Once

	minute   atomic.Int64 // unix minute of the current budget
	used     atomic.Int64 // events admitted in that minute
	offered  atomic.Uint64
	written  atomic.Uint64
	dropped  atomic.Uint64
	failures atomic.Uint64
}

// AuditSamplerConfig configures an AuditSampler; zero fields take the
// defaults.
type AuditSamplerConfig struct {
	// PerMinute is the most events written per minute (DefaultSampledPerMinute).
	PerMinute int
	// Queue is how many admitted events may wait for the writer (DefaultSamplerQueue).
	Queue int
	// Log receives the audit lines and write errors (slog.Default()).
	Log *slog.Logger
	// Now is the clock (time.Now); CreatedAt of events that have none.
	Now func() time.Time
}

// NewAuditSampler starts the writer goroutine; Close stops it.
func NewAuditSampler(audit identity.AuditLog, cfg AuditSamplerConfig) *AuditSampler {
	if cfg.PerMinute <= 0 {
		cfg.PerMinute = DefaultSampledPerMinute
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultSamplerQueue
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &AuditSampler{
		audit: audit, log: cfg.Log, now: cfg.Now, perMinute: int64(cfg.PerMinute),
		queue: make(chan identity.AuditEvent, cfg.Queue), done: make(chan struct{}), finished: make(chan struct{}),
	}
	go s.run()
	return s
}

// Admit counts one event and reports whether it fits this minute's budget;
// if not, the event is counted as dropped and the caller builds nothing.
// The budget is approximate under contention (a few more events may pass
// at the turn of a minute), never unbounded.
func (s *AuditSampler) Admit() bool {
	s.offered.Add(1)
	m := s.now().Unix() / 60
	if cur := s.minute.Load(); cur != m && s.minute.CompareAndSwap(cur, m) {
		s.used.Store(0)
	}
	if s.used.Add(1) > s.perMinute {
		s.dropped.Add(1)
		return false
	}
	return true
}

// Offer queues an admitted event for writing, or drops (and counts) it when
// the queue is full or the sampler is closed. It never blocks.
func (s *AuditSampler) Offer(e identity.AuditEvent) {
	select {
	case <-s.done:
		s.dropped.Add(1)
		return
	default:
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	select {
	case s.queue <- e:
	default:
		s.dropped.Add(1)
	}
}

func (s *AuditSampler) run() {
	defer close(s.finished)
	for {
		select {
		case e := <-s.queue:
			s.write(e)
		case <-s.done:
			// Drain what was queued before Close, then stop.
			for {
				select {
				case e := <-s.queue:
					s.write(e)
				default:
					return
				}
			}
		}
	}
}

func (s *AuditSampler) write(e identity.AuditEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), auditWriteTimeout)
	defer cancel()
	s.log.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("action", e.Action), slog.String("uid", e.UID), slog.String("status", e.Status),
		slog.String("detail", e.Detail), slog.String("ip", e.IPAddress), slog.Bool("sampled", true))
	if err := s.audit.RecordAudit(ctx, &e); err != nil {
		s.failures.Add(1)
		s.log.LogAttrs(ctx, slog.LevelError, "audit write failed", slog.String("action", e.Action), slog.Any("err", err))
		return
	}
	s.written.Add(1)
}

// Close stops accepting events and waits until the queued ones are written
// or ctx ends.
func (s *AuditSampler) Close(ctx context.Context) error {
	s.close.Do(func() { close(s.done) })
	select {
	case <-s.finished:
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("authapi: audit sampler: events still queued"), ctx.Err())
	}
}

// SamplerStats are an AuditSampler's counters since it started.
type SamplerStats struct {
	Offered  uint64 // events passed to Admit
	Written  uint64 // rows written
	Dropped  uint64 // over the budget, queue full or closed
	Failures uint64 // writes that failed
}

// Stats returns the counters.
func (s *AuditSampler) Stats() SamplerStats {
	return SamplerStats{Offered: s.offered.Load(), Written: s.written.Load(), Dropped: s.dropped.Load(), Failures: s.failures.Load()}
}

// DenialDetail is the audit detail of a refused forward-auth or proxy
// request: "<code> <door> <METHOD> <host><path>", cleaned of control
// characters and cut to the column's bound. A query string in path (and
// a fragment) is cut off: it may carry tokens.
func DenialDetail(code, door, method, host, path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return truncate(code+" "+door+" "+method+" "+host+path, maxDetail)
}

// CleanUserAgent is a User-Agent as audit rows keep it: control characters
// and invalid UTF-8 dropped, cut to the column's bound.
func CleanUserAgent(ua string) string { return truncate(ua, maxUserAgent) }
