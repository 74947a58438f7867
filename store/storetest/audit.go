package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
)

var sprintf = fmt.Sprintf

func testAudit(t *testing.T, db *store.DB) {
	events := []*identity.AuditEvent{
		{UID: "u1", Action: identity.ActionLogin, Status: identity.StatusSuccess, IPAddress: "198.51.100.1", UserAgent: "ua/1", CreatedAt: t0},
		{UID: "u1", Action: identity.ActionLogin, Status: identity.StatusFailure, Detail: identity.EINVALIDCREDENTIALS, CreatedAt: t0.Add(time.Minute)},
		{UID: "u2", Action: identity.ActionLogout, Status: identity.StatusSuccess, CreatedAt: t0.Add(2 * time.Minute)},
		{UID: "u1", Action: identity.ActionRefreshReuse, Status: identity.StatusFailure, Detail: "sid-1", CreatedAt: t0.Add(3 * time.Minute)},
		{Action: identity.ActionRateLimited, Status: identity.StatusFailure, CreatedAt: t0.Add(4 * time.Minute)},
	}
	for _, e := range events {
		mustNil(t, db.RecordAudit(ctx(t), e))
		if e.ID == 0 {
			t.Fatal("RecordAudit did not set ID")
		}
	}
	wantCode(t, db.RecordAudit(ctx(t), &identity.AuditEvent{UID: "u1"}), identity.EINVALID)

	ids := func(es []*identity.AuditEvent) []string {
		out := make([]string, len(es))
		for i, e := range es {
			for j, want := range events {
				if e.ID == want.ID {
					out[i] = fmt.Sprint(j)
				}
			}
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		f     identity.AuditFilter
		want  []string
		total int
	}{
		{"all newest first", identity.AuditFilter{}, []string{"4", "3", "2", "1", "0"}, 5},
		{"by uid", identity.AuditFilter{UID: "u1"}, []string{"3", "1", "0"}, 3},
		{"by action", identity.AuditFilter{Action: identity.ActionLogin}, []string{"1", "0"}, 2},
		{"uid and action", identity.AuditFilter{UID: "u2", Action: identity.ActionLogin}, []string{}, 0},
		{"since inclusive", identity.AuditFilter{Since: t0.Add(3 * time.Minute)}, []string{"4", "3"}, 2},
		{"until exclusive", identity.AuditFilter{Until: t0.Add(time.Minute)}, []string{"0"}, 1},
		{"window", identity.AuditFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"2", "1"}, 2},
		{"paged", identity.AuditFilter{Offset: 1, Limit: 2}, []string{"3", "2"}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := db.FindAuditEvents(ctx(t), tc.f)
			mustNil(t, err)
			if g := ids(got); !equalStrings(g, tc.want) || total != tc.total {
				t.Errorf("events %q total %d, want %q total %d", g, total, tc.want, tc.total)
			}
		})
	}
	got, _, err := db.FindAuditEvents(ctx(t), identity.AuditFilter{Action: identity.ActionLogin, UID: "u1", Limit: 1})
	mustNil(t, err)
	if e := got[0]; e.UID != "u1" || e.Status != identity.StatusFailure || e.Detail != identity.EINVALIDCREDENTIALS {
		t.Errorf("event read back as %+v", e)
	}
	got, _, _ = db.FindAuditEvents(ctx(t), identity.AuditFilter{Until: t0.Add(time.Second)})
	if e := got[0]; e.IPAddress != "198.51.100.1" || e.UserAgent != "ua/1" || e.Detail != "" {
		t.Errorf("event read back as %+v", e)
	} else {
		sameTime(t, "CreatedAt", e.CreatedAt, t0)
	}

	n, err := db.DeleteAuditEventsBefore(ctx(t), t0.Add(2*time.Minute))
	mustNil(t, err)
	if n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}
	if _, total, _ := db.FindAuditEvents(ctx(t), identity.AuditFilter{}); total != 3 {
		t.Errorf("%d events left, want 3", total)
	}
}

func testSigningKeys(t *testing.T, db *store.DB) {
	keys, err := db.FindSigningKeys(ctx(t))
	mustNil(t, err)
	if len(keys) != 0 {
		t.Fatalf("fresh database has %d keys", len(keys))
	}
	k1 := &identity.SigningKey{KID: "k1", Algorithm: "RS256", PrivatePEM: "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n", CreatedAt: t0}
	k2 := &identity.SigningKey{KID: "k2", Algorithm: "EdDSA", PrivatePEM: "pem2", CreatedAt: t0.Add(time.Hour)}
	mustNil(t, db.CreateSigningKey(ctx(t), k2))
	mustNil(t, db.CreateSigningKey(ctx(t), k1))
	wantCode(t, db.CreateSigningKey(ctx(t), &identity.SigningKey{KID: "k1", Algorithm: "RS256", PrivatePEM: "other"}), identity.ECONFLICT)
	wantCode(t, db.CreateSigningKey(ctx(t), &identity.SigningKey{PrivatePEM: "x"}), identity.EINVALID)

	retired := t0.Add(2 * time.Hour)
	mustNil(t, db.RetireSigningKey(ctx(t), "k1", retired))
	wantCode(t, db.RetireSigningKey(ctx(t), "nope", retired), identity.ENOTFOUND)

	keys, err = db.FindSigningKeys(ctx(t))
	mustNil(t, err)
	if len(keys) != 2 || keys[0].KID != "k1" || keys[1].KID != "k2" {
		t.Fatalf("keys = %+v, want k1, k2 (oldest first)", keys)
	}
	if keys[0].PrivatePEM != k1.PrivatePEM || keys[0].Algorithm != "RS256" || keys[1].RetiredAt != nil {
		t.Errorf("keys read back as %+v %+v", keys[0], keys[1])
	}
	sameTime(t, "CreatedAt", keys[0].CreatedAt, t0)
	sameTimePtr(t, "RetiredAt", keys[0].RetiredAt, &retired)
}
