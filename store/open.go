package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Dialects, the value of (*DB).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// sqliteBusyTimeout is how long a SQLite connection waits for a lock held by
// another connection (or another process) before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 5 * time.Second

// Options tune Open. The zero value is usable.
type Options struct {
	// Logger receives slow-query warnings and migration notes. Nil
	// discards them. SQL is logged with placeholders only, never with
	// values: the values include password hashes and token hashes.
	Logger *slog.Logger
	// SlowQueryThreshold is the duration from which a query is logged at
	// warn level; 0 means 500ms, a negative value disables the log.
	SlowQueryThreshold time.Duration
	// MaxOpenConns bounds the PostgreSQL pool (default 20) and the SQLite
	// read pool (default max(4, GOMAXPROCS)). The SQLite writer is always
	// one connection.
	MaxOpenConns int
	// Now is the clock used for times the caller leaves zero (CreatedAt).
	// Nil means time.Now.
	Now func() time.Time
}

// DB is an open database. It implements identity.UserStore,
// identity.SessionStore, identity.OneTimeTokenStore, identity.AuditLog and
// identity.KeyStore. It is safe for concurrent use.
type DB struct {
	// w runs every write and every transaction; r runs plain reads. They
	// are the same pool on PostgreSQL. On SQLite w is a single connection
	// and r a pool of read-only connections (see openSQLite).
	w, r    *gorm.DB
	pools   []*sql.DB
	dialect string
	now     func() time.Time
	log     *slog.Logger
}

// Open opens the database named by url:
//
//	sqlite:PATH, sqlite://PATH, file:PATH   a SQLite file (created if missing)
//	postgres://…, postgresql://…            a PostgreSQL database
//
// It does not migrate: call Migrate. For SQLite the parent directory is
// created with mode 0700 and a new database file with mode 0600.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	db := &DB{now: opts.Now, log: opts.Logger}
	if db.now == nil {
		db.now = time.Now
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	cfg := func() *gorm.Config {
		return &gorm.Config{
			Logger:                 newGormLogger(db.log, opts.SlowQueryThreshold),
			TranslateError:         true,
			SkipDefaultTransaction: true, // our multi-row changes open their own
			PrepareStmt:            false,
			NowFunc:                func() time.Time { return ts(db.now()) },
		}
	}
	scheme, rest, ok := strings.Cut(url, ":")
	if !ok {
		return nil, errors.New("store: database URL has no scheme (want sqlite:PATH or postgres://…)")
	}
	var err error
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		err = db.openSQLite(ctx, sqlitePath(rest), opts, cfg)
	case "postgres", "postgresql":
		err = db.openPostgres(ctx, url, opts, cfg())
	default:
		// Only the scheme: the rest may hold a password.
		return nil, fmt.Errorf("store: unsupported database URL scheme %q (want sqlite or postgres)", scheme)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqlitePath turns the part after "sqlite:" into a file path:
// "//abs/path" and "///abs/path" are both /abs/path… as sqlite:// URLs
// write them, "//rel" is rel, anything else is taken as is.
func sqlitePath(rest string) string {
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		return after
	}
	return rest
}

// openSQLite opens one writer connection and a pool of read-only
// connections on the same WAL-mode file.
//
// Why one writer: SQLite allows one writer at a time. With several writer
// connections, a transaction that read and then wants to write fails at
// once with SQLITE_BUSY (busy_timeout cannot help a deferred transaction
// whose snapshot is stale), which under concurrent logins shows up as
// random 500s. Funnelling every write and every transaction through a
// single connection queues them in database/sql instead, where they wait
// their turn; BEGIN IMMEDIATE (_txlock=immediate) and busy_timeout cover
// another process on the same file. Plain reads use the separate pool: in
// WAL mode they never block the writer nor wait for it.
func (db *DB) openSQLite(ctx context.Context, path string, opts Options, cfg func() *gorm.Config) error {
	if path == "" {
		return errors.New("store: sqlite URL has no path")
	}
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		return errors.New("store: in-memory SQLite is not supported (the read pool would see another database); use a file")
	}
	if strings.ContainsAny(path, "?#") {
		return errors.New("store: sqlite path must not contain '?' or '#'")
	}
	if err := prepareSQLiteFile(path); err != nil {
		return err
	}
	busy := int(sqliteBusyTimeout / time.Millisecond)
	base := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)", path, busy)

	db.dialect = DialectSQLite
	w, err := gorm.Open(sqlite.Open(base+"&_pragma=journal_mode(WAL)&_txlock=immediate"), cfg())
	if err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	wpool, err := w.DB()
	if err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db.w, db.pools = w, append(db.pools, wpool)
	wpool.SetMaxOpenConns(1)
	wpool.SetMaxIdleConns(1)
	wpool.SetConnMaxLifetime(0)
	wpool.SetConnMaxIdleTime(0)
	// The first connection switches the file to WAL before readers open.
	if err := wpool.PingContext(ctx); err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	var mode string
	if err := wpool.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("store: open sqlite %s: journal_mode is %q, want wal", path, mode)
	}

	r, err := gorm.Open(sqlite.Open(base+"&_pragma=query_only(1)"), cfg())
	if err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	rpool, err := r.DB()
	if err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db.r, db.pools = r, append(db.pools, rpool)
	n := opts.MaxOpenConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	rpool.SetMaxOpenConns(n)
	rpool.SetMaxIdleConns(n)
	return nil
}

// prepareSQLiteFile creates the parent directory (0700) and an empty file
// (0600) when they are missing, so that SQLite, which would create the file
// with the umask's mode, finds it. SQLite gives the -wal and -shm files the
// mode of the database file.
func prepareSQLiteFile(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store: create database directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, os.ErrExist):
		return nil
	default:
		return fmt.Errorf("store: create database file: %w", err)
	}
}

func (db *DB) openPostgres(ctx context.Context, url string, opts Options, cfg *gorm.Config) error {
	db.dialect = DialectPostgres
	g, err := gorm.Open(postgres.New(postgres.Config{DSN: url}), cfg)
	if err != nil {
		// pgx's error may quote the DSN; keep only our context and the cause type.
		return fmt.Errorf("store: open postgres: %w", err)
	}
	pool, err := g.DB()
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	db.w, db.r, db.pools = g, g, append(db.pools, pool)
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 20
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(min(n, 10))
	pool.SetConnMaxLifetime(30 * time.Minute)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	return nil
}

// Dialect returns DialectSQLite or DialectPostgres.
func (db *DB) Dialect() string { return db.dialect }

// Ping checks that the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error {
	for _, p := range db.pools {
		if err := p.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping: %w", err)
		}
	}
	return nil
}

// Close closes every connection. It is safe to call more than once.
func (db *DB) Close() error {
	var errs []error
	for _, p := range db.pools {
		if err := p.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	db.pools = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// ts is the stored form of a time: UTC, microsecond precision.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// tsp is ts for an optional time.
func tsp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}
