package store

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/identity"
)

// RecordAudit appends e to audit_logs. A zero CreatedAt becomes now; e.ID
// is set.
func (db *DB) RecordAudit(ctx context.Context, e *identity.AuditEvent) error {
	if e.Action == "" {
		return errInvalid("action", "required")
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = db.now()
	}
	e.CreatedAt = ts(e.CreatedAt)
	row := &auditRow{
		FirebaseUID: nullIfEmpty(e.UID),
		Action:      e.Action,
		IPAddress:   nullIfEmpty(e.IPAddress),
		UserAgent:   nullIfEmpty(e.UserAgent),
		Status:      nullIfEmpty(e.Status),
		Detail:      nullIfEmpty(e.Detail),
		CreatedAt:   &e.CreatedAt,
	}
	if err := db.w.WithContext(ctx).Create(row).Error; err != nil {
		return fmt.Errorf("store: record audit event: %w", err)
	}
	e.ID = row.ID
	return nil
}

// FindAuditEvents lists the events matching f, newest first, and the
// number of all matches. Since is inclusive, Until exclusive.
func (db *DB) FindAuditEvents(ctx context.Context, f identity.AuditFilter) ([]*identity.AuditEvent, int, error) {
	q := db.r.WithContext(ctx).Model(&auditRow{})
	if f.UID != "" {
		q = q.Where("firebase_uid = ?", f.UID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		q = q.Where("created_at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		q = q.Where("created_at < ?", ts(f.Until))
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count audit events: %w", err)
	}
	var rows []auditRow
	if err := q.Order("created_at DESC, id DESC").Offset(max(f.Offset, 0)).Limit(pageSize(f.Limit)).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("store: find audit events: %w", err)
	}
	out := make([]*identity.AuditEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, int(total), nil
}

// DeleteAuditEventsBefore removes the events created before t (retention)
// and returns how many.
func (db *DB) DeleteAuditEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	res := db.w.WithContext(ctx).Where("created_at < ?", ts(t)).Delete(&auditRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete audit events: %w", res.Error)
	}
	return res.RowsAffected, nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
