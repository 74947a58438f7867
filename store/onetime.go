package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/authgate/authgate/identity"
)

// CreateOneTimeToken stores t (only its hash). A zero CreatedAt becomes
// now; t.ID is set.
func (db *DB) CreateOneTimeToken(ctx context.Context, t *identity.OneTimeToken) error {
	switch {
	case t.Hash == "":
		return errInvalid("hash", "required")
	case t.Purpose == "":
		return errInvalid("purpose", "required")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = db.now()
	}
	row := &oneTimeTokenRow{
		TokenHash:   t.Hash,
		Purpose:     t.Purpose,
		FirebaseUID: t.UID,
		Data:        t.Data,
		CreatedAt:   ts(t.CreatedAt),
		ExpiresAt:   ts(t.ExpiresAt),
		ConsumedAt:  tsp(t.ConsumedAt),
	}
	if err := db.w.WithContext(ctx).Create(row).Error; err != nil {
		if isUniqueViolation(err) {
			return identity.Wrap(identity.ECONFLICT, "The token already exists.", err)
		}
		return fmt.Errorf("store: create one-time token: %w", err)
	}
	t.ID = row.ID
	return nil
}

// ConsumeOneTimeToken marks the token with purpose and hash consumed at now
// and returns it. An unknown, expired or already consumed token, or one of
// another purpose, gives EINVALIDTOKEN. The conditional UPDATE makes it
// single-use under concurrency: of two concurrent consumers one wins.
func (db *DB) ConsumeOneTimeToken(ctx context.Context, purpose, hash string, now time.Time) (*identity.OneTimeToken, error) {
	now = ts(now)
	var out *identity.OneTimeToken
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&oneTimeTokenRow{}).
			Where("token_hash = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ?", hash, purpose, now).
			Update("consumed_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 || hash == "" {
			return errInvalidToken()
		}
		var row oneTimeTokenRow
		if err := tx.Where("token_hash = ?", hash).Take(&row).Error; err != nil {
			return err
		}
		out = row.token()
		return nil
	})
	var ie *identity.Error
	if err != nil && !errors.As(err, &ie) {
		return nil, fmt.Errorf("store: consume one-time token: %w", err)
	}
	return out, err
}

// DeleteOneTimeTokens removes every unconsumed token of purpose for uid
// (e.g. older reset links once a new one is sent or one was used).
func (db *DB) DeleteOneTimeTokens(ctx context.Context, uid, purpose string) error {
	err := db.w.WithContext(ctx).
		Where("firebase_uid = ? AND purpose = ? AND consumed_at IS NULL", uid, purpose).
		Delete(&oneTimeTokenRow{}).Error
	if err != nil {
		return fmt.Errorf("store: delete one-time tokens: %w", err)
	}
	return nil
}

// CountOneTimeTokens counts uid's usable (unconsumed, unexpired at now)
// tokens of purpose, e.g. the MFA recovery codes left.
func (db *DB) CountOneTimeTokens(ctx context.Context, uid, purpose string, now time.Time) (int, error) {
	var n int64
	err := db.r.WithContext(ctx).Model(&oneTimeTokenRow{}).
		Where("firebase_uid = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ?", uid, purpose, ts(now)).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("store: count one-time tokens: %w", err)
	}
	return int(n), nil
}
