// Package password hashes and verifies passwords and enforces authgate's
// password rules.
//
// Hashes are argon2id with OWASP's recommended parameters (19 MiB, 2
// iterations, 1 lane, 16-byte salt, 32-byte key), stored in the PHC string
// format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<key, base64>
//
// bcrypt hashes ($2a$, $2b$, $2y$) imported from another system verify too;
// NeedsRehash reports true for them so the caller can store an argon2id hash
// after the next successful sign-in.
//
// A Hasher bounds how many hashes run at once (each argon2id call holds 19
// MiB), so that a flood of sign-in attempts queues instead of exhausting
// memory. Waiting for a slot respects the context.
//
// Passwords are normalized to Unicode NFKC before hashing and before the
// rules are applied (NIST SP 800-63B §5.1.1.2), so that the same password
// typed on systems that compose accents differently verifies.
//
// Check applies the NIST SP 800-63B rules: at least MinLength characters,
// at most MaxLength characters and MaxBytes bytes, no composition rules, not
// in the embedded list of common and breached passwords, and not the user's
// email address or its local part.
package password
