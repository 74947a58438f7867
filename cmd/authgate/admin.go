package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/authgate/authgate/identity"
)

// migrate creates or upgrades the schema and exits.
func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("database schema is current", "database", dbKind(cfg))
	return db.Close()
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// userAdd bootstraps an account (the first admin): the password comes from
// standard input, never from a flag that would show in the process list.
func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("authgate user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address of the new user (required)")
	name := fs.String("name", "", "display name")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
	var roles stringList
	fs.Var(&roles, "role", "role to give (repeatable), e.g. --role admin")
	// Every service setting is accepted too (--database-url, --config, ...).
	split := len(args)
	for i, a := range args {
		if a == "--" {
			split = i
			break
		}
	}
	own, rest := []string{}, []string{}
	for i := 0; i < split; i++ {
		a := args[i]
		key := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		switch key {
		case "email", "name", "role":
			own = append(own, a)
			if !strings.Contains(a, "=") && i+1 < split {
				own = append(own, args[i+1])
				i++
			}
		case "password-stdin":
			own = append(own, a)
		default:
			rest = append(rest, a)
		}
	}
	if err := fs.Parse(own); err != nil {
		return &usageError{err.Error()}
	}
	if *email == "" || !*pwStdin {
		return &usageError{"usage: authgate user add --email E --password-stdin [--role R]... [--name N] < password"}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return &usageError{"no password on standard input"}
	}

	a, err := loadApp(ctx, rest, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	u, err := a.api.Provider.Register(ctx, identity.Registration{
		Email: *email, Password: pw, DisplayName: *name, EmailVerified: true, Roles: roles,
	})
	if err != nil {
		var ie *identity.Error
		if errors.As(err, &ie) && ie.Code != identity.EINTERNAL {
			return &usageError{fmt.Sprintf("%s: %s", ie.Code, ie.Message)}
		}
		return fmt.Errorf("user add: %w", err)
	}
	_ = a.db.RecordAudit(ctx, &identity.AuditEvent{UID: u.UID, Action: identity.ActionRegister, Status: identity.StatusSuccess, Detail: "cli user add", UserAgent: "authgate-cli"})
	fmt.Fprintf(stdout, "created user %s <%s> roles=%s\n", u.UID, u.Email, strings.Join(u.Roles, ","))
	return nil
}
