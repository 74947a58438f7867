package token_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/token"
)

// The key set on the real store, on SQLite and PostgreSQL: a key generated
// on first start survives a restart, replicas sharing the database share
// keys, and rotation and retirement work through real rows.
func TestKeySetOnRealStore(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "data", "auth.db") },
		"postgres": func(t *testing.T) string { return testenv.PostgresURL(t) },
	} {
		t.Run(name, func(t *testing.T) {
			u := url(t)
			clk := newClock()
			open := func() *store.DB {
				db, err := store.Open(context.Background(), u, store.Options{Now: clk.Now})
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return db
			}
			cfg := token.KeySetConfig{Now: clk.Now, RetiredKeyGrace: time.Hour} // RS256

			// Several replicas start at once on an empty database.
			dbs := make([]*store.DB, 3)
			reps := make([]*replica, len(dbs))
			var wg sync.WaitGroup
			for i := range dbs {
				dbs[i] = open()
				wg.Add(1)
				go func() {
					defer wg.Done()
					reps[i] = newReplica(t, dbs[i], cfg)
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			tokens := make([]string, len(reps))
			for i, r := range reps {
				tokens[i] = r.issue(t)
			}
			for _, r := range reps {
				for _, raw := range tokens {
					r.mustVerify(t, raw)
				}
			}

			// Restart: every replica closes, one comes back and still
			// verifies what was issued before.
			for _, db := range dbs {
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
			}
			db := open()
			defer db.Close()
			restarted := newReplica(t, db, cfg)
			for _, raw := range tokens {
				restarted.mustVerify(t, raw)
			}
			rows, err := db.FindSigningKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) < 1 || len(rows) > len(dbs) {
				t.Fatalf("%d stored keys after %d concurrent first starts and a restart", len(rows), len(dbs))
			}

			// Rotate, then retire the new key through the store: the next
			// load generates a third generation.
			clk.Advance(time.Minute)
			kid, err := restarted.keys.Rotate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rotated := restarted.issue(t)
			restarted.mustVerify(t, tokens[0])
			if err := db.RetireSigningKey(context.Background(), kid, clk.Now()); err != nil {
				t.Fatal(err)
			}
			if err := restarted.keys.Reload(context.Background()); err != nil {
				t.Fatal(err)
			}
			if restarted.keys.SigningKeyID() == kid {
				t.Fatal("signing with a retired key")
			}
			restarted.mustVerify(t, rotated)
			clk.Advance(time.Hour)
			restarted.mustRefuse(t, rotated)
			restarted.mustRefuse(t, tokens[0])
			restarted.mustVerify(t, restarted.issue(t))
		})
	}
}
