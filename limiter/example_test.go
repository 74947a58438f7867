package limiter_test

import (
	"context"
	"fmt"
	"maps"

	"github.com/authgate/authgate/limiter"
)

func Example() {
	ctx := context.Background()
	rates := limiter.DefaultRates()
	custom, err := limiter.ParseRates("login_account=5-15M,totp=3-5M")
	if err != nil {
		panic(err)
	}
	maps.Copy(rates, custom)
	l, err := limiter.New(ctx, rates, nil) // a *redis.Client shares counts across replicas
	if err != nil {
		panic(err)
	}

	// The login handler refuses before checking the password when the
	// budget is used up, and counts failures only.
	key := "ada@example.com" // identity.NormalizeEmail'd
	for range 5 {
		_, _ = l.Take(ctx, limiter.LoginAccount, key) // five wrong passwords
	}
	r, _ := l.Peek(ctx, limiter.LoginAccount, key)
	fmt.Println(r.Reached, r.Remaining, r.RetryAfter > 0)

	_, err = l.Take(ctx, "login_acount", key) // a typo is an error, not an allow
	fmt.Println(err)
	// Output:
	// true 0 true
	// limiter: unknown limit "login_acount"
}
