package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
)

// BenchmarkFindUserByEmail measures the login lookup on SQLite (one indexed
// equality plus the roles query) among 1,000 users, from parallel callers.
func BenchmarkFindUserByEmail(b *testing.B) {
	ctx := context.Background()
	db := openSQLite(b)
	const n = 1000
	for i := range n {
		u := &identity.User{UID: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("user%d@example.com", i), IsActive: true, Roles: []string{"user"}}
		if err := db.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := db.FindUserByEmail(ctx, fmt.Sprintf("USER%d@example.com", i%n)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkRotateRefreshToken measures one refresh (read, conditional
// spend, insert, session update in one transaction) on SQLite.
func BenchmarkRotateRefreshToken(b *testing.B) {
	ctx := context.Background()
	db := openSQLite(b)
	now := time.Now()
	s := &identity.Session{UID: "u1", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	_, hash := identity.NewSecret()
	if err := db.CreateSession(ctx, s, &identity.RefreshToken{Hash: hash, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, next := identity.NewSecret()
		if _, err := db.RotateRefreshToken(ctx, hash, &identity.RefreshToken{Hash: next, ExpiresAt: now.Add(24 * time.Hour)}, "jti", now); err != nil {
			b.Fatal(err)
		}
		hash = next
	}
}
