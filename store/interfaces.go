package store

import "github.com/authgate/authgate/identity"

// *DB implements the store interfaces of package identity.
var (
	_ identity.UserStore = (*DB)(nil)
)
