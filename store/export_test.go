package store

import "context"

// Exec runs raw SQL on the writer, for tests that need to set up triggers
// or inspect rows the API does not expose.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) error {
	return db.w.WithContext(ctx).Exec(sql, args...).Error
}

// QueryInt runs a query returning one integer.
func (db *DB) QueryInt(ctx context.Context, sql string, args ...any) (int64, error) {
	var n int64
	err := db.w.WithContext(ctx).Raw(sql, args...).Scan(&n).Error
	return n, err
}

var PageSize = pageSize
