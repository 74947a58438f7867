// Package identity holds authgate's domain types (User, Session, Principal,
// AuditEvent), its error codes and the small interfaces at the seams between
// packages. It imports nothing of ours: every other package depends on it,
// and cmd/authgate is the only place that knows the concrete implementations.
package identity
