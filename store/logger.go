package store

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm/logger"
)

// gormLogger routes gorm's output to slog: slow queries at warn level with
// the SQL text and its placeholders, never the bound values (they include
// password and token hashes). Query errors are not logged here: they are
// returned, wrapped, to the caller, which decides.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func newGormLogger(log *slog.Logger, slow time.Duration) *gormLogger {
	if slow == 0 {
		slow = 500 * time.Millisecond
	}
	return &gormLogger{log: log, slow: slow}
}

// LogMode implements logger.Interface; the level is fixed.
func (l *gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// Info implements logger.Interface; gorm's info messages are dropped.
func (l *gormLogger) Info(context.Context, string, ...any) {}

// Warn implements logger.Interface.
func (l *gormLogger) Warn(ctx context.Context, msg string, _ ...any) {
	l.log.WarnContext(ctx, "store: gorm: "+msg)
}

// Error implements logger.Interface. Arguments are dropped: they may carry values.
func (l *gormLogger) Error(ctx context.Context, msg string, _ ...any) {
	l.log.ErrorContext(ctx, "store: gorm: "+msg)
}

// Trace implements logger.Interface.
func (l *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	if l.slow < 0 {
		return
	}
	if elapsed := time.Since(begin); elapsed >= l.slow {
		sql, rows := fc()
		l.log.WarnContext(ctx, "store: slow query", "elapsed", elapsed, "rows", rows, "sql", sql)
	}
}

// ParamsFilter implements gorm.ParamsFilter: it drops the values so that
// the SQL handed to Trace keeps its placeholders.
func (l *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
