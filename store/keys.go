package store

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/identity"
)

// FindSigningKeys returns every signing key, retired ones included, oldest
// first.
func (db *DB) FindSigningKeys(ctx context.Context) ([]*identity.SigningKey, error) {
	var rows []signingKeyRow
	if err := db.r.WithContext(ctx).Order("created_at, kid").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: find signing keys: %w", err)
	}
	out := make([]*identity.SigningKey, len(rows))
	for i := range rows {
		out[i] = rows[i].key()
	}
	return out, nil
}

// CreateSigningKey stores k; ECONFLICT if its kid exists (another instance
// sharing the database created it first). A zero CreatedAt becomes now.
func (db *DB) CreateSigningKey(ctx context.Context, k *identity.SigningKey) error {
	switch {
	case k.KID == "":
		return errInvalid("kid", "required")
	case k.PrivatePEM == "":
		return errInvalid("private_pem", "required")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = db.now()
	}
	k.CreatedAt = ts(k.CreatedAt)
	row := &signingKeyRow{
		KID:        k.KID,
		Algorithm:  k.Algorithm,
		PrivatePEM: k.PrivatePEM,
		CreatedAt:  k.CreatedAt,
		RetiredAt:  tsp(k.RetiredAt),
	}
	if err := db.w.WithContext(ctx).Create(row).Error; err != nil {
		if isUniqueViolation(err) {
			return identity.Wrap(identity.ECONFLICT, "A signing key with this kid exists.", err)
		}
		return fmt.Errorf("store: create signing key: %w", err)
	}
	return nil
}

// RetireSigningKey sets the retirement time of the key kid (it then only
// verifies, until the caller removes it from the key set). ENOTFOUND for an
// unknown kid.
func (db *DB) RetireSigningKey(ctx context.Context, kid string, at time.Time) error {
	res := db.w.WithContext(ctx).Model(&signingKeyRow{}).Where("kid = ?", kid).Update("retired_at", ts(at))
	if res.Error != nil {
		return fmt.Errorf("store: retire signing key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errNotFound("Signing key")
	}
	return nil
}
