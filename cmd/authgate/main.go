// Command authgate is an auth API and a forward-auth gateway in one binary.
//
//	authgate [serve] [flags]            run the service (the default)
//	authgate migrate [flags]            create or upgrade the database schema
//	authgate user add --email E --password-stdin [--role R]...
//	authgate config check [flags]       validate and print every setting
//	authgate config example             print a YAML file of every setting
//	authgate version
//
// Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/authgate/authgate/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError marks bad usage (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `usage: authgate [command] [flags]

commands:
  serve            run the service (default)
  migrate          create or upgrade the database schema
  user add         add a user: --email E --password-stdin [--role R]... [--name N]
  config check     validate the configuration and print every setting
  config example   print a YAML file documenting every setting
  version          print the version

Run 'authgate serve -h' for the settings; each is also AUTHGATE_<NAME> in the environment.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, getenv, stderr)
	case "migrate":
		err = migrate(ctx, args, getenv, stderr)
	case "user":
		if len(args) == 0 || args[0] != "add" {
			err = &usageError{"usage: authgate user add --email E --password-stdin [--role R]..."}
			break
		}
		err = userAdd(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "config":
		switch {
		case len(args) > 0 && args[0] == "check":
			err = configCheck(args[1:], getenv, stdout, stderr)
		case len(args) > 0 && args[0] == "example":
			_, err = io.WriteString(stdout, config.ExampleYAML())
		default:
			err = &usageError{"usage: authgate config check|example"}
		}
	case "version":
		fmt.Fprintf(stdout, "authgate %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = &usageError{fmt.Sprintf("unknown command %q\n\n%s", cmd, usage)}
	}
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, config.ErrHelp) {
		return exitUsage
	}
	var ue *usageError
	var ce *config.Errors
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "authgate:", ue.msg)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "authgate:", ce.Error())
		return exitUsage
	}
	fmt.Fprintln(stderr, "authgate:", err)
	return exitFailure
}

// loadConfig loads the configuration for a subcommand.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*config.Config, error) {
	return config.Load(args, getenv, stderr)
}

func configCheck(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := loadConfig(args, getenv, stderr)
	if c != nil {
		for _, e := range c.Effective {
			fmt.Fprintf(stdout, "%s=%s\t(%s)\n", e.Name, e.Value, e.Source)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "configuration ok")
	return nil
}
