package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/authgate/authgate/identity"
)

// CreateSession stores s and its first refresh token rt (may be nil) in one
// transaction. An empty s.ID is filled with identity.NewID(), a zero
// CreatedAt with now; rt.SessionID and rt.UID are taken from s and rt.ID is
// set.
func (db *DB) CreateSession(ctx context.Context, s *identity.Session, rt *identity.RefreshToken) error {
	if s.UID == "" {
		return errInvalid("uid", "required")
	}
	if s.ID == "" {
		s.ID = identity.NewID()
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = db.now()
	}
	s.CreatedAt, s.ExpiresAt = ts(s.CreatedAt), ts(s.ExpiresAt)
	row, err := sessionToRow(s)
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	var rtRow *refreshTokenRow
	if rt != nil {
		rt.SessionID, rt.UID = s.ID, s.UID
		if rt.CreatedAt.IsZero() {
			rt.CreatedAt = s.CreatedAt
		}
		rtRow = refreshTokenToRow(rt)
	}
	err = db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		if rtRow != nil {
			return tx.Create(rtRow).Error
		}
		return nil
	})
	if err != nil {
		if isUniqueViolation(err) {
			return identity.Wrap(identity.ECONFLICT, "The session or token already exists.", err)
		}
		return fmt.Errorf("store: create session: %w", err)
	}
	if rtRow != nil {
		rt.ID = rtRow.ID
	}
	return nil
}

func refreshTokenToRow(rt *identity.RefreshToken) *refreshTokenRow {
	return &refreshTokenRow{
		TokenHash:   rt.Hash,
		SessionID:   rt.SessionID,
		FirebaseUID: rt.UID,
		ParentID:    rt.ParentID,
		CreatedAt:   ts(rt.CreatedAt),
		ExpiresAt:   ts(rt.ExpiresAt),
		SpentAt:     tsp(rt.SpentAt),
		RevokedAt:   tsp(rt.RevokedAt),
	}
}

// FindSessionByID returns the session with the public id (revoked and
// expired ones too: check Active), or ENOTFOUND.
func (db *DB) FindSessionByID(ctx context.Context, id string) (*identity.Session, error) {
	return findSession(ctx, db.r, id)
}

func findSession(ctx context.Context, g *gorm.DB, id string) (*identity.Session, error) {
	if id == "" {
		return nil, errNotFound("Session")
	}
	var rows []sessionRow
	if err := g.WithContext(ctx).Where("sid = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: find session: %w", err)
	}
	if len(rows) == 0 {
		return nil, errNotFound("Session")
	}
	return rows[0].session(), nil
}

// FindSessions lists uid's sessions that are neither revoked nor expired at
// now, newest first.
func (db *DB) FindSessions(ctx context.Context, uid string, now time.Time) ([]*identity.Session, error) {
	var rows []sessionRow
	err := db.r.WithContext(ctx).
		Where("firebase_uid = ? AND sid IS NOT NULL AND revoked_at IS NULL AND expires_at > ?", uid, ts(now)).
		Order("created_at DESC, id DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: find sessions: %w", err)
	}
	out := make([]*identity.Session, len(rows))
	for i := range rows {
		out[i] = rows[i].session()
	}
	return out, nil
}

// RevokeSession revokes the session and all its refresh tokens in one
// transaction. Revoking a revoked session is a no-op; an unknown id gives
// ENOTFOUND.
func (db *DB) RevokeSession(ctx context.Context, id string, now time.Time) error {
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&sessionRow{}).Where("sid = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 || id == "" {
			return errNotFound("Session")
		}
		return revokeSessions(tx, []string{id}, ts(now))
	})
	var ie *identity.Error
	if err != nil && !errors.As(err, &ie) {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	return err
}

// RevokeUserSessions revokes every unrevoked session of uid except exceptID
// (empty = all) with their refresh tokens, in one transaction, and returns
// the ids it revoked.
func (db *DB) RevokeUserSessions(ctx context.Context, uid, exceptID string, now time.Time) ([]string, error) {
	var ids []string
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&sessionRow{}).Where("firebase_uid = ? AND sid IS NOT NULL AND revoked_at IS NULL", uid)
		if exceptID != "" {
			q = q.Where("sid <> ?", exceptID)
		}
		if err := q.Order("id").Pluck("sid", &ids).Error; err != nil {
			return err
		}
		return revokeSessions(tx, ids, ts(now))
	})
	if err != nil {
		return nil, fmt.Errorf("store: revoke user sessions: %w", err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// revokeSessions marks the sessions and their unrevoked refresh tokens
// revoked at now, keeping an earlier revocation time.
func revokeSessions(tx *gorm.DB, ids []string, now time.Time) error {
	for chunk := range chunks(ids, 500) {
		if err := tx.Model(&refreshTokenRow{}).
			Where("session_id IN ? AND revoked_at IS NULL", chunk).
			Update("revoked_at", now).Error; err != nil {
			return err
		}
		if err := tx.Model(&sessionRow{}).
			Where("sid IN ? AND revoked_at IS NULL", chunk).
			Update("revoked_at", now).Error; err != nil {
			return err
		}
	}
	return nil
}

// chunks yields s in pieces of at most n, keeping IN lists under the
// databases' bound-parameter limits.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// errReuse carries a detected reuse out of the rotation transaction, which
// must still commit the session's revocation.
type errReuse struct{ sid, uid string }

func (e errReuse) Error() string { return "refresh token reuse in session " + e.sid }

// RotateRefreshToken spends the refresh token whose hash is oldHash and
// stores next in its session, in one transaction; it sets the session's
// token_id to newTokenID and last_used_at to now and returns the session.
//
// An unknown, expired or revoked token, or one whose session is revoked or
// expired, gives EINVALIDTOKEN. A spent token gives an error wrapping
// identity.ErrRefreshReuse, together with the revoked session (ID, UID and
// RevokedAt set) so the caller can drop it from caches, after revoking the
// whole session and all its
// tokens. The spend is a conditional UPDATE (… WHERE spent_at IS NULL), so
// of two concurrent rotations of one token exactly one succeeds and the
// other counts as reuse.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash string, next *identity.RefreshToken, newTokenID string, now time.Time) (*identity.Session, error) {
	now = ts(now)
	var out *identity.Session
	var reuse errReuse
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var olds []refreshTokenRow
		if err := tx.Where("token_hash = ?", oldHash).Limit(1).Find(&olds).Error; err != nil {
			return err
		}
		if len(olds) == 0 || oldHash == "" {
			return errInvalidToken()
		}
		old := olds[0]
		if old.SpentAt != nil {
			reuse = errReuse{sid: old.SessionID, uid: old.FirebaseUID}
			return revokeSessions(tx, []string{old.SessionID}, now)
		}
		if old.RevokedAt != nil || !now.Before(old.ExpiresAt) {
			return errInvalidToken()
		}
		// Spend first, conditionally: of concurrent rotations exactly one
		// updates the row; the others see 0 rows affected.
		res := tx.Model(&refreshTokenRow{}).
			Where("id = ? AND spent_at IS NULL AND revoked_at IS NULL", old.ID).
			Update("spent_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			// Changed since our read: spent by a concurrent rotation (the
			// token was presented twice) or revoked.
			var spent []int64
			if err := tx.Model(&refreshTokenRow{}).Where("id = ? AND spent_at IS NOT NULL", old.ID).Pluck("id", &spent).Error; err != nil {
				return err
			}
			if len(spent) == 0 {
				return errInvalidToken()
			}
			reuse = errReuse{sid: old.SessionID, uid: old.FirebaseUID}
			return revokeSessions(tx, []string{old.SessionID}, now)
		}
		// The session must still be active; an error rolls the spend back.
		s, err := findSession(ctx, tx, old.SessionID)
		if err != nil {
			if identity.IsCode(err, identity.ENOTFOUND) {
				return errInvalidToken()
			}
			return err
		}
		if !s.Active(now) {
			return errInvalidToken()
		}
		next.SessionID, next.UID, next.ParentID = old.SessionID, old.FirebaseUID, &old.ID
		if next.CreatedAt.IsZero() {
			next.CreatedAt = now
		}
		row := refreshTokenToRow(next)
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		next.ID = row.ID
		if err := tx.Model(&sessionRow{}).Where("sid = ?", old.SessionID).
			Updates(map[string]any{"token_id": newTokenID, "last_used_at": now}).Error; err != nil {
			return err
		}
		s.TokenID, s.LastUsedAt = newTokenID, &now
		out = s
		return nil
	})
	switch {
	case err != nil && identity.IsCode(err, identity.EINVALIDTOKEN):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("store: rotate refresh token: %w", err)
	case reuse.sid != "":
		// The caller needs the revoked session to drop it from caches.
		return &identity.Session{ID: reuse.sid, UID: reuse.uid, RevokedAt: &now},
			fmt.Errorf("store: %w: %w", reuse, identity.ErrRefreshReuse)
	}
	return out, nil
}
