package store

import "github.com/authgate/authgate/identity"

// *DB implements the store interfaces of package identity.
var (
	_ identity.UserStore         = (*DB)(nil)
	_ identity.SessionStore      = (*DB)(nil)
	_ identity.OneTimeTokenStore = (*DB)(nil)
	_ identity.AuditLog          = (*DB)(nil)
	_ identity.KeyStore          = (*DB)(nil)
)
