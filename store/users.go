package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/authgate/authgate/identity"
)

// FindUsers paging: Limit 0 means defaultLimit; larger values are capped.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// CreateUser stores u. UID and Email are required; the email is stored
// normalized (u.Email is updated), zero CreatedAt/UpdatedAt become now, and
// u.ID is set. A taken email (compared case-insensitively) or uid gives
// EEMAILTAKEN. The user and its roles are written in one transaction.
func (db *DB) CreateUser(ctx context.Context, u *identity.User) error {
	u.UID = strings.TrimSpace(u.UID)
	u.Email = identity.NormalizeEmail(u.Email)
	switch {
	case u.UID == "":
		return errInvalid("uid", "required")
	case u.Email == "":
		return errInvalid("email", "required")
	}
	now := ts(db.now())
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	u.CreatedAt, u.UpdatedAt = ts(u.CreatedAt), ts(u.UpdatedAt)
	u.LastLoginAt, u.PasswordChangedAt = tsp(u.LastLoginAt), tsp(u.PasswordChangedAt)
	u.Roles = cleanRoles(u.Roles)
	row := &userRow{
		FirebaseUID:       u.UID,
		Email:             u.Email,
		DisplayName:       ptr(u.DisplayName),
		PhotoURL:          ptr(u.PhotoURL),
		EmailVerified:     ptr(u.EmailVerified),
		CreatedAt:         ptr(u.CreatedAt),
		UpdatedAt:         ptr(u.UpdatedAt),
		LastLoginAt:       u.LastLoginAt,
		IsActive:          ptr(u.IsActive),
		PasswordHash:      ptr(u.PasswordHash),
		PasswordChangedAt: u.PasswordChangedAt,
		MFAEnabled:        ptr(u.MFAEnabled),
		TOTPSecret:        ptr(u.TOTPSecret),
		TOTPLastStep:      ptr(u.TOTPLastStep),
	}
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		return setRoles(tx, row.ID, u.Roles)
	})
	if err != nil {
		if isUniqueViolation(err) {
			return errEmailTaken(err)
		}
		return fmt.Errorf("store: create user: %w", err)
	}
	u.ID = row.ID
	return nil
}

// FindUserByUID returns the user with the uid (firebase_uid), or ENOTFOUND.
func (db *DB) FindUserByUID(ctx context.Context, uid string) (*identity.User, error) {
	return db.findUser(ctx, db.r, "firebase_uid = ?", uid)
}

// FindUserByEmail returns the user with the email, compared
// case-insensitively after trimming, or ENOTFOUND.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*identity.User, error) {
	return db.findUser(ctx, db.r, "email = ?", identity.NormalizeEmail(email))
}

func (db *DB) findUser(ctx context.Context, g *gorm.DB, where string, arg any) (*identity.User, error) {
	var rows []userRow
	if err := g.WithContext(ctx).Where(where, arg).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: find user: %w", err)
	}
	if len(rows) == 0 {
		return nil, errNotFound("User")
	}
	roles, err := loadRoles(ctx, g, rows[0].ID)
	if err != nil {
		return nil, err
	}
	return rows[0].user(roles[rows[0].ID]), nil
}

// FindUsers lists users matching f, ordered by id, and the number of all
// matches. Query matches a substring of the email or display name
// case-insensitively (PostgreSQL folds Unicode case, SQLite only ASCII).
func (db *DB) FindUsers(ctx context.Context, f identity.UserFilter) ([]*identity.User, int, error) {
	q := db.r.WithContext(ctx).Model(&userRow{})
	if f.UID != nil {
		q = q.Where("firebase_uid = ?", *f.UID)
	}
	if f.Email != nil {
		q = q.Where("email = ?", identity.NormalizeEmail(*f.Email))
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		pat := "%" + escapeLike(strings.ToLower(s)) + "%"
		q = q.Where(`(lower(email) LIKE ? ESCAPE '\' OR lower(COALESCE(display_name, '')) LIKE ? ESCAPE '\')`, pat, pat)
	}
	if f.Role != "" {
		q = q.Where("EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = users.id AND r.role = ?)", f.Role)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count users: %w", err)
	}
	var rows []userRow
	if err := q.Order("id").Offset(max(f.Offset, 0)).Limit(pageSize(f.Limit)).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("store: find users: %w", err)
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	roles, err := loadRoles(ctx, db.r, ids...)
	if err != nil {
		return nil, 0, err
	}
	users := make([]*identity.User, len(rows))
	for i := range rows {
		users[i] = rows[i].user(roles[rows[i].ID])
	}
	return users, int(total), nil
}

// UpdateUser applies upd to the user with uid in one transaction (a Roles
// field replaces the role set) and returns the updated user. ENOTFOUND for
// an unknown uid, EEMAILTAKEN when the new email belongs to another user.
// UpdatedAt is set to now.
func (db *DB) UpdateUser(ctx context.Context, uid string, upd identity.UserUpdate) (*identity.User, error) {
	cols := map[string]any{"updated_at": ts(db.now())}
	if upd.Email != nil {
		e := identity.NormalizeEmail(*upd.Email)
		if e == "" {
			return nil, errInvalid("email", "required")
		}
		cols["email"] = e
	}
	set := func(col string, v any) { cols[col] = v }
	if upd.DisplayName != nil {
		set("display_name", *upd.DisplayName)
	}
	if upd.PhotoURL != nil {
		set("photo_url", *upd.PhotoURL)
	}
	if upd.EmailVerified != nil {
		set("email_verified", *upd.EmailVerified)
	}
	if upd.IsActive != nil {
		set("is_active", *upd.IsActive)
	}
	if upd.PasswordHash != nil {
		set("password_hash", *upd.PasswordHash)
	}
	if upd.PasswordChangedAt != nil {
		set("password_changed_at", ts(*upd.PasswordChangedAt))
	}
	if upd.LastLoginAt != nil {
		set("last_login_at", ts(*upd.LastLoginAt))
	}
	if upd.MFAEnabled != nil {
		set("mfa_enabled", *upd.MFAEnabled)
	}
	if upd.TOTPSecret != nil {
		set("totp_secret", *upd.TOTPSecret)
	}
	if upd.TOTPLastStep != nil {
		set("totp_last_step", *upd.TOTPLastStep)
	}
	var out *identity.User
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&userRow{}).Where("firebase_uid = ?", uid).Updates(cols)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errNotFound("User")
		}
		if upd.Roles != nil {
			var id int64
			if err := tx.Model(&userRow{}).Where("firebase_uid = ?", uid).Select("id").Scan(&id).Error; err != nil {
				return err
			}
			if err := tx.Where("user_id = ?", id).Delete(&userRoleRow{}).Error; err != nil {
				return err
			}
			if err := setRoles(tx, id, cleanRoles(*upd.Roles)); err != nil {
				return err
			}
		}
		u, err := db.findUser(ctx, tx, "firebase_uid = ?", uid)
		out = u
		return err
	})
	switch {
	case err == nil:
		return out, nil
	case isUniqueViolation(err):
		return nil, errEmailTaken(err)
	case identity.IsCode(err, identity.ENOTFOUND):
		return nil, err
	default:
		return nil, fmt.Errorf("store: update user: %w", err)
	}
}

// DeleteUser removes the user, its roles, sessions, refresh tokens and
// one-time tokens in one transaction; audit rows are kept. ENOTFOUND for an
// unknown uid.
func (db *DB) DeleteUser(ctx context.Context, uid string) error {
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Model(&userRow{}).Where("firebase_uid = ?", uid).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return errNotFound("User")
		}
		steps := []struct {
			model any
			where string
			arg   any
		}{
			{&oneTimeTokenRow{}, "firebase_uid = ?", uid},
			{&refreshTokenRow{}, "firebase_uid = ?", uid},
			{&sessionRow{}, "firebase_uid = ?", uid},
			{&userRoleRow{}, "user_id = ?", ids[0]},
			{&userRow{}, "id = ?", ids[0]},
		}
		for _, s := range steps {
			if err := tx.Where(s.where, s.arg).Delete(s.model).Error; err != nil {
				return err
			}
		}
		return nil
	})
	var ie *identity.Error
	if err != nil && !errors.As(err, &ie) {
		return fmt.Errorf("store: delete user: %w", err)
	}
	return err
}

// setRoles inserts roles (already cleaned) for the user.
func setRoles(tx *gorm.DB, userID int64, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	rows := make([]userRoleRow, len(roles))
	for i, r := range roles {
		rows[i] = userRoleRow{UserID: userID, Role: r}
	}
	return tx.Create(&rows).Error
}

// loadRoles returns the sorted roles of each user id.
func loadRoles(ctx context.Context, g *gorm.DB, ids ...int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []userRoleRow
	q := g.WithContext(ctx).Order("user_id, role")
	if len(ids) == 1 {
		q = q.Where("user_id = ?", ids[0])
	} else {
		q = q.Where("user_id IN ?", ids)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: load roles: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], r.Role)
	}
	return out, nil
}

// cleanRoles trims, drops empty and duplicate roles and sorts the rest.
func cleanRoles(roles []string) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return defaultLimit
	case limit > maxLimit:
		return maxLimit
	default:
		return limit
	}
}

// escapeLike escapes LIKE's wildcards and the escape character '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
