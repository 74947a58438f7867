// Package limiter implements identity.Limiter over github.com/ulule/limiter:
// named limits ("login_account", "login_account_ip", "login_ip", ...), each
// with its own rate, counted in memory by default or in Redis when replicas
// must share them.
//
// Windows are fixed (ulule's stores): a limit of 10 per 15 minutes allows 10
// events from the first event of a window until 15 minutes later. Counts are
// kept under a keyed hash of the caller's key, never the key itself, so
// addresses and emails do not appear in Redis.
//
// Limits are never permanent: a window always ends, so an attacker can slow
// an account down but never lock it out for good (NIST SP 800-63B 5.2.2).
package limiter
