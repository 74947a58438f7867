package main

import (
	"context"
	"errors"
	"io"
)

// Replaced by the real wiring as the packages land.
var errNotWired = errors.New("not wired yet")

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	_, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	return errNotWired
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	return errNotWired
}

func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errNotWired
}
