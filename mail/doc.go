// Package mail sends authgate's mail (password reset and email
// verification links) through an identity.Mailer: Log, the development
// default that writes each message to the log, or SMTP, configured from
// AUTHGATE_SMTP_URL. New picks one from the setting.
//
// Templates for the two messages authgate sends are PasswordResetMessage
// and VerificationMessage. Package mailtest runs a real SMTP server inside
// a test to read what was sent.
package mail
