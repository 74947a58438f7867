package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
)

func testCreateAndFindSession(t *testing.T, db *store.DB) {
	mustCreateUser(t, db, newUser("uid-1", "s@example.com"))
	s, rt, _ := newSession("uid-1")
	mustNil(t, db.CreateSession(ctx(t), s, rt))
	if rt.ID == 0 || rt.SessionID != s.ID || rt.UID != "uid-1" {
		t.Errorf("refresh token after CreateSession: %+v", rt)
	}
	got, err := db.FindSessionByID(ctx(t), s.ID)
	mustNil(t, err)
	if got.ID != s.ID || got.UID != "uid-1" || got.TokenID != "jti-1" || got.IPAddress != "203.0.113.7" ||
		got.DeviceInfo["user_agent"] != "curl/8" || got.DeviceInfo["platform"] != "linux" || len(got.DeviceInfo) != 2 ||
		!equalStrings(got.AMR, []string{"pwd"}) || got.RevokedAt != nil || got.LastUsedAt != nil {
		t.Errorf("FindSessionByID = %+v, want %+v", got, s)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, t0)
	sameTime(t, "ExpiresAt", got.ExpiresAt, t0.Add(time.Hour))
	if !got.Active(t0) || got.Active(t0.Add(time.Hour)) {
		t.Error("Active does not follow ExpiresAt")
	}

	// An empty ID is generated; a nil refresh token is allowed; nil device info reads as empty.
	s2 := &identity.Session{UID: "uid-1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	mustNil(t, db.CreateSession(ctx(t), s2, nil))
	if s2.ID == "" {
		t.Fatal("CreateSession did not generate an ID")
	}
	got, err = db.FindSessionByID(ctx(t), s2.ID)
	mustNil(t, err)
	if got.DeviceInfo == nil || len(got.DeviceInfo) != 0 || len(got.AMR) != 0 {
		t.Errorf("empty session read back as %+v", got)
	}

	_, err = db.FindSessionByID(ctx(t), "no-such-session")
	wantCode(t, err, identity.ENOTFOUND)
	_, err = db.FindSessionByID(ctx(t), "")
	wantCode(t, err, identity.ENOTFOUND)
	wantCode(t, db.CreateSession(ctx(t), &identity.Session{ExpiresAt: t0}, nil), identity.EINVALID)
}

func testCreateSessionIsAtomic(t *testing.T, db *store.DB) {
	_, first := mustCreateSession(t, db, "uid-1")
	// A second session whose refresh token collides with the first's
	// must not be stored half: no session without its token.
	s, _, _ := newSession("uid-1")
	err := db.CreateSession(ctx(t), s, &identity.RefreshToken{Hash: first.Hash, ExpiresAt: t0.Add(time.Hour)})
	if err == nil {
		t.Fatal("CreateSession with a duplicate refresh-token hash succeeded")
	}
	_, err = db.FindSessionByID(ctx(t), s.ID)
	wantCode(t, err, identity.ENOTFOUND)
	// The same session id twice is a conflict.
	dup, rt, _ := newSession("uid-1")
	mustNil(t, db.CreateSession(ctx(t), dup, rt))
	again, rt2, _ := newSession("uid-1")
	again.ID = dup.ID
	wantCode(t, db.CreateSession(ctx(t), again, rt2), identity.ECONFLICT)
	if _, err := db.RotateRefreshToken(ctx(t), rt2.Hash, nextToken(t0.Add(time.Hour)), "j", t0); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Errorf("refresh token of the refused session was stored: %v", err)
	}
}

func testFindSessions(t *testing.T, db *store.DB) {
	older, _ := mustCreateSession(t, db, "uid-1")
	newer, _, _ := newSession("uid-1")
	newer.CreatedAt = t0.Add(time.Minute)
	mustNil(t, db.CreateSession(ctx(t), newer, nil))
	expired, _, _ := newSession("uid-1")
	expired.ExpiresAt = t0.Add(time.Second)
	mustNil(t, db.CreateSession(ctx(t), expired, nil))
	revoked, _ := mustCreateSession(t, db, "uid-1")
	mustNil(t, db.RevokeSession(ctx(t), revoked.ID, t0))
	mustCreateSession(t, db, "uid-2")

	got, err := db.FindSessions(ctx(t), "uid-1", t0.Add(2*time.Second))
	mustNil(t, err)
	if len(got) != 2 || got[0].ID != newer.ID || got[1].ID != older.ID {
		t.Fatalf("FindSessions = %+v, want [newer older]", got)
	}
	got, err = db.FindSessions(ctx(t), "uid-1", t0.Add(2*time.Hour))
	mustNil(t, err)
	if len(got) != 0 {
		t.Errorf("after expiry: %d sessions", len(got))
	}
	got, err = db.FindSessions(ctx(t), "nobody", t0)
	mustNil(t, err)
	if len(got) != 0 {
		t.Errorf("unknown user: %d sessions", len(got))
	}
}

func testRevokeSession(t *testing.T, db *store.DB) {
	s, rt := mustCreateSession(t, db, "uid-1")
	other, otherRT := mustCreateSession(t, db, "uid-1")
	at := t0.Add(time.Minute)
	mustNil(t, db.RevokeSession(ctx(t), s.ID, at))
	got, err := db.FindSessionByID(ctx(t), s.ID)
	mustNil(t, err)
	sameTimePtr(t, "RevokedAt", got.RevokedAt, &at)
	if got.Active(t0) {
		t.Error("revoked session is active")
	}
	_, err = db.RotateRefreshToken(ctx(t), rt.Hash, nextToken(t0.Add(time.Hour)), "j", at)
	wantCode(t, err, identity.EINVALIDTOKEN)
	if errors.Is(err, identity.ErrRefreshReuse) {
		t.Error("a revoked (not spent) token was reported as reuse")
	}
	// Idempotent, and the first revocation time stays.
	mustNil(t, db.RevokeSession(ctx(t), s.ID, at.Add(time.Hour)))
	got, _ = db.FindSessionByID(ctx(t), s.ID)
	sameTimePtr(t, "RevokedAt after second revoke", got.RevokedAt, &at)
	// The other session is untouched.
	if _, err := db.RotateRefreshToken(ctx(t), otherRT.Hash, nextToken(t0.Add(time.Hour)), "j2", at); err != nil {
		t.Errorf("other session's token: %v", err)
	}
	if got, _ := db.FindSessionByID(ctx(t), other.ID); !got.Active(at) {
		t.Error("other session was revoked")
	}
	wantCode(t, db.RevokeSession(ctx(t), "no-such-session", at), identity.ENOTFOUND)
	wantCode(t, db.RevokeSession(ctx(t), "", at), identity.ENOTFOUND)
}

func testRevokeUserSessions(t *testing.T, db *store.DB) {
	a, aRT := mustCreateSession(t, db, "uid-1")
	b, bRT := mustCreateSession(t, db, "uid-1")
	c, cRT := mustCreateSession(t, db, "uid-1")
	already, _ := mustCreateSession(t, db, "uid-1")
	mustNil(t, db.RevokeSession(ctx(t), already.ID, t0))
	x, xRT := mustCreateSession(t, db, "uid-2")

	ids, err := db.RevokeUserSessions(ctx(t), "uid-1", b.ID, t0.Add(time.Minute))
	mustNil(t, err)
	if len(ids) != 2 || !((ids[0] == a.ID && ids[1] == c.ID) || (ids[0] == c.ID && ids[1] == a.ID)) {
		t.Fatalf("revoked %q, want %q and %q", ids, a.ID, c.ID)
	}
	now := t0.Add(2 * time.Minute)
	live, err := db.FindSessions(ctx(t), "uid-1", now)
	mustNil(t, err)
	if len(live) != 1 || live[0].ID != b.ID {
		t.Errorf("sessions left: %+v", live)
	}
	for _, h := range []string{aRT.Hash, cRT.Hash} {
		_, err := db.RotateRefreshToken(ctx(t), h, nextToken(t0.Add(time.Hour)), "j", now)
		wantCode(t, err, identity.EINVALIDTOKEN)
	}
	for _, h := range []string{bRT.Hash, xRT.Hash} {
		if _, err := db.RotateRefreshToken(ctx(t), h, nextToken(t0.Add(time.Hour)), "j", now); err != nil {
			t.Errorf("kept session's token: %v", err)
		}
	}
	if got, _ := db.FindSessionByID(ctx(t), x.ID); !got.Active(now) {
		t.Error("another user's session was revoked")
	}

	ids, err = db.RevokeUserSessions(ctx(t), "uid-1", "", now)
	mustNil(t, err)
	if len(ids) != 1 || ids[0] != b.ID {
		t.Errorf("second call revoked %q, want only %q", ids, b.ID)
	}
	ids, err = db.RevokeUserSessions(ctx(t), "uid-1", "", now)
	mustNil(t, err)
	if ids == nil || len(ids) != 0 {
		t.Errorf("nothing left to revoke: got %#v, want an empty list", ids)
	}
}

func testRotateRefreshToken(t *testing.T, db *store.DB) {
	s, rt := mustCreateSession(t, db, "uid-1")
	now := t0.Add(10 * time.Minute)
	next := nextToken(t0.Add(2 * time.Hour))
	got, err := db.RotateRefreshToken(ctx(t), rt.Hash, next, "jti-2", now)
	mustNil(t, err)
	if got.ID != s.ID || got.UID != "uid-1" || got.TokenID != "jti-2" {
		t.Errorf("rotated session = %+v", got)
	}
	sameTimePtr(t, "LastUsedAt", got.LastUsedAt, &now)
	if next.ID == 0 || next.SessionID != s.ID || next.UID != "uid-1" || next.ParentID == nil || *next.ParentID != rt.ID {
		t.Errorf("next token = %+v (first id %d)", next, rt.ID)
	}
	sameTime(t, "next.CreatedAt", next.CreatedAt, now)
	stored, err := db.FindSessionByID(ctx(t), s.ID)
	mustNil(t, err)
	if stored.TokenID != "jti-2" || stored.LastUsedAt == nil || !stored.Active(now) {
		t.Errorf("stored session after rotation: %+v", stored)
	}
	// The chain goes on.
	third := nextToken(t0.Add(2 * time.Hour))
	if _, err := db.RotateRefreshToken(ctx(t), next.Hash, third, "jti-3", now.Add(time.Minute)); err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	if third.ParentID == nil || *third.ParentID != next.ID {
		t.Errorf("third.ParentID = %v, want %d", third.ParentID, next.ID)
	}
}

func testRotateRefreshTokenInvalid(t *testing.T, db *store.DB) {
	now := t0.Add(time.Minute)
	// Token outliving its session.
	long, longRT, _ := newSession("uid-1")
	long.ExpiresAt = t0.Add(2 * time.Minute)
	longRT.ExpiresAt = t0.Add(time.Hour)
	mustNil(t, db.CreateSession(ctx(t), long, longRT))
	// Expired token.
	_, shortRT, _ := newSession("uid-1")
	shortRT.ExpiresAt = now
	s, _, _ := newSession("uid-1")
	mustNil(t, db.CreateSession(ctx(t), s, shortRT))

	for _, tc := range []struct {
		name string
		hash string
		now  time.Time
	}{
		{"unknown", identity.HashSecret("never issued"), now},
		{"empty", "", now},
		{"expired token (expiry is exclusive)", shortRT.Hash, now},
		{"expired session", longRT.Hash, t0.Add(3 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.RotateRefreshToken(ctx(t), tc.hash, nextToken(t0.Add(time.Hour)), "j", tc.now)
			wantCode(t, err, identity.EINVALIDTOKEN)
			if errors.Is(err, identity.ErrRefreshReuse) {
				t.Error("reported as reuse")
			}
		})
	}
	// None of the refusals spent the token: still valid before expiry.
	if _, err := db.RotateRefreshToken(ctx(t), longRT.Hash, nextToken(t0.Add(time.Hour)), "j", now); err != nil {
		t.Errorf("refused rotation spent the token: %v", err)
	}
}

func testRefreshReuseRevokesSession(t *testing.T, db *store.DB) {
	s, first := mustCreateSession(t, db, "uid-1")
	other, otherRT := mustCreateSession(t, db, "uid-1")
	now := t0.Add(time.Minute)
	second := nextToken(t0.Add(time.Hour))
	_, err := db.RotateRefreshToken(ctx(t), first.Hash, second, "jti-2", now)
	mustNil(t, err)

	// An attacker replays the first token.
	_, err = db.RotateRefreshToken(ctx(t), first.Hash, nextToken(t0.Add(time.Hour)), "jti-x", now.Add(time.Second))
	if !errors.Is(err, identity.ErrRefreshReuse) {
		t.Fatalf("replayed token: err = %v, want ErrRefreshReuse", err)
	}
	wantCode(t, err, identity.EINVALIDTOKEN)
	got, err := db.FindSessionByID(ctx(t), s.ID)
	mustNil(t, err)
	if got.RevokedAt == nil {
		t.Fatal("reuse did not revoke the session")
	}
	if got.TokenID != "jti-2" {
		t.Errorf("reuse changed token_id to %q", got.TokenID)
	}
	// The legitimate holder's newer token is dead too.
	_, err = db.RotateRefreshToken(ctx(t), second.Hash, nextToken(t0.Add(time.Hour)), "jti-3", now.Add(2*time.Second))
	wantCode(t, err, identity.EINVALIDTOKEN)
	// Replaying again still reports reuse.
	_, err = db.RotateRefreshToken(ctx(t), first.Hash, nextToken(t0.Add(time.Hour)), "jti-y", now.Add(3*time.Second))
	if !errors.Is(err, identity.ErrRefreshReuse) {
		t.Errorf("second replay: %v", err)
	}
	// Other sessions of the user are not affected.
	if _, err := db.RotateRefreshToken(ctx(t), otherRT.Hash, nextToken(t0.Add(time.Hour)), "j", now); err != nil {
		t.Errorf("other session: %v", err)
	}
	if got, _ := db.FindSessionByID(ctx(t), other.ID); !got.Active(now) {
		t.Error("other session revoked")
	}
}

func testConcurrentRotate(t *testing.T, db *store.DB) {
	const n = 8
	for round := range 3 {
		s, rt := mustCreateSession(t, db, "uid-1")
		results := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, results[i] = db.RotateRefreshToken(ctx(t), rt.Hash, nextToken(t0.Add(time.Hour)), "j", t0.Add(time.Minute))
			})
		}
		close(start)
		wg.Wait()
		wins, reuses := 0, 0
		for _, err := range results {
			switch describe(err) {
			case "success":
				wins++
			case "reuse":
				reuses++
			default:
				t.Errorf("round %d: unexpected error %v", round, err)
			}
		}
		if wins != 1 || reuses != n-1 {
			t.Errorf("round %d: %d successes and %d reuses, want 1 and %d", round, wins, reuses, n-1)
		}
		// The losers count as reuse: the session is revoked.
		if got, _ := db.FindSessionByID(ctx(t), s.ID); got == nil || got.RevokedAt == nil {
			t.Errorf("round %d: session not revoked after concurrent reuse", round)
		}
	}
}
