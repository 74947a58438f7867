package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// PurgeExpired deletes, in one transaction, the sessions (with their refresh
// tokens), refresh tokens and one-time tokens that expired before t, and
// returns how many rows went. Run it periodically with t a little in the
// past (e.g. now minus a day) so that a just-expired refresh token replayed
// is still recognised as reuse for a while.
func (db *DB) PurgeExpired(ctx context.Context, t time.Time) (int64, error) {
	t = ts(t)
	var n int64
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, model := range []any{&refreshTokenRow{}, &oneTimeTokenRow{}, &sessionRow{}} {
			res := tx.Where("expires_at < ?", t).Delete(model)
			if res.Error != nil {
				return res.Error
			}
			n += res.RowsAffected
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: purge expired: %w", err)
	}
	return n, nil
}
