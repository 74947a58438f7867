package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
)

func testOneTimeTokens(t *testing.T, db *store.DB) {
	ott, raw := newOTT("uid-1", identity.PurposePasswordReset, t0.Add(time.Hour))
	mustNil(t, db.CreateOneTimeToken(ctx(t), ott))
	if ott.ID == 0 {
		t.Error("CreateOneTimeToken did not set ID")
	}
	now := t0.Add(time.Minute)
	got, err := db.ConsumeOneTimeToken(ctx(t), identity.PurposePasswordReset, identity.HashSecret(raw), now)
	mustNil(t, err)
	if got.ID != ott.ID || got.UID != "uid-1" || got.Purpose != identity.PurposePasswordReset || got.Data != "d:uid-1" || got.Hash != ott.Hash {
		t.Errorf("consumed %+v, want %+v", got, ott)
	}
	sameTimePtr(t, "ConsumedAt", got.ConsumedAt, &now)
	sameTime(t, "CreatedAt", got.CreatedAt, t0)
	sameTime(t, "ExpiresAt", got.ExpiresAt, t0.Add(time.Hour))
	_, err = db.ConsumeOneTimeToken(ctx(t), identity.PurposePasswordReset, ott.Hash, now)
	wantCode(t, err, identity.EINVALIDTOKEN)

	dup := *ott
	wantCode(t, db.CreateOneTimeToken(ctx(t), &dup), identity.ECONFLICT)
	wantCode(t, db.CreateOneTimeToken(ctx(t), &identity.OneTimeToken{Purpose: "p", ExpiresAt: t0}), identity.EINVALID)
	wantCode(t, db.CreateOneTimeToken(ctx(t), &identity.OneTimeToken{Hash: "h", ExpiresAt: t0}), identity.EINVALID)
}

func testConsumeOneTimeTokenInvalid(t *testing.T, db *store.DB) {
	ott, _ := newOTT("uid-1", identity.PurposeEmailVerification, t0.Add(time.Hour))
	mustNil(t, db.CreateOneTimeToken(ctx(t), ott))
	for _, tc := range []struct {
		name, purpose, hash string
		now                 time.Time
	}{
		{"unknown", identity.PurposeEmailVerification, identity.HashSecret("x"), t0},
		{"empty", identity.PurposeEmailVerification, "", t0},
		{"other purpose", identity.PurposePasswordReset, ott.Hash, t0},
		{"expired (expiry is exclusive)", identity.PurposeEmailVerification, ott.Hash, t0.Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ConsumeOneTimeToken(ctx(t), tc.purpose, tc.hash, tc.now)
			wantCode(t, err, identity.EINVALIDTOKEN)
		})
	}
	// The refusals did not use it up.
	if _, err := db.ConsumeOneTimeToken(ctx(t), identity.PurposeEmailVerification, ott.Hash, t0); err != nil {
		t.Errorf("token unusable after refused attempts: %v", err)
	}
}

func testDeleteOneTimeTokens(t *testing.T, db *store.DB) {
	reset1, _ := newOTT("uid-1", identity.PurposePasswordReset, t0.Add(time.Hour))
	reset2, _ := newOTT("uid-1", identity.PurposePasswordReset, t0.Add(time.Hour))
	verify, _ := newOTT("uid-1", identity.PurposeEmailVerification, t0.Add(time.Hour))
	otherUser, _ := newOTT("uid-2", identity.PurposePasswordReset, t0.Add(time.Hour))
	for _, o := range []*identity.OneTimeToken{reset1, reset2, verify, otherUser} {
		mustNil(t, db.CreateOneTimeToken(ctx(t), o))
	}
	mustNil(t, db.DeleteOneTimeTokens(ctx(t), "uid-1", identity.PurposePasswordReset))
	for _, o := range []*identity.OneTimeToken{reset1, reset2} {
		_, err := db.ConsumeOneTimeToken(ctx(t), o.Purpose, o.Hash, t0)
		wantCode(t, err, identity.EINVALIDTOKEN)
	}
	for _, o := range []*identity.OneTimeToken{verify, otherUser} {
		if _, err := db.ConsumeOneTimeToken(ctx(t), o.Purpose, o.Hash, t0); err != nil {
			t.Errorf("%s of %s deleted: %v", o.Purpose, o.UID, err)
		}
	}
	mustNil(t, db.DeleteOneTimeTokens(ctx(t), "nobody", identity.PurposePasswordReset))
}

func testConcurrentConsume(t *testing.T, db *store.DB) {
	const n = 8
	for round := range 3 {
		ott, _ := newOTT("uid-1", identity.PurposeMFATicket, t0.Add(time.Hour))
		mustNil(t, db.CreateOneTimeToken(ctx(t), ott))
		results := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, results[i] = db.ConsumeOneTimeToken(ctx(t), identity.PurposeMFATicket, ott.Hash, t0)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range results {
			switch {
			case err == nil:
				wins++
			case !identity.IsCode(err, identity.EINVALIDTOKEN):
				t.Errorf("round %d: unexpected error %v", round, err)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d consumers won, want exactly 1", round, wins)
		}
	}
}

func testConcurrentCreateUserSameEmail(t *testing.T, db *store.DB) {
	for round := range 3 {
		emails := []string{"race%d@example.com", "RACE%d@Example.com", " Race%d@example.COM "}
		results := make([]error, len(emails))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, e := range emails {
			wg.Go(func() {
				<-start
				u := newUser(identity.NewID(), sprintf(e, round), "r")
				results[i] = db.CreateUser(ctx(t), u)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range results {
			switch {
			case err == nil:
				wins++
			case !identity.IsCode(err, identity.EEMAILTAKEN):
				t.Errorf("round %d: unexpected error %v", round, err)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d creations won, want exactly 1", round, wins)
		}
	}
	if _, total, _ := db.FindUsers(ctx(t), identity.UserFilter{Role: "r"}); total != 3 {
		t.Errorf("%d users with roles after 3 rounds, want 3", total)
	}
}

func testCountOneTimeTokens(t *testing.T, db *store.DB) {
	const purpose = "mfa_recovery"
	var live []*identity.OneTimeToken
	for i := 0; i < 3; i++ {
		o, _ := newOTT("uid-1", purpose, t0.Add(time.Hour))
		live = append(live, o)
	}
	expired, _ := newOTT("uid-1", purpose, t0.Add(-time.Second))
	otherPurpose, _ := newOTT("uid-1", identity.PurposePasswordReset, t0.Add(time.Hour))
	otherUser, _ := newOTT("uid-2", purpose, t0.Add(time.Hour))
	for _, o := range append(live, expired, otherPurpose, otherUser) {
		mustNil(t, db.CreateOneTimeToken(ctx(t), o))
	}
	count := func() int {
		n, err := db.CountOneTimeTokens(ctx(t), "uid-1", purpose, t0)
		mustNil(t, err)
		return n
	}
	if n := count(); n != 3 {
		t.Fatalf("count = %d, want 3 (expired, other purpose and other user left out)", n)
	}
	if _, err := db.ConsumeOneTimeToken(ctx(t), purpose, live[0].Hash, t0); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("count after one use = %d, want 2", n)
	}
}
