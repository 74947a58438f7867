//go:build tools

// Package deps pins the modules authgate builds on until code imports them.
package deps

import (
	_ "firebase.google.com/go/v4"
	_ "firebase.google.com/go/v4/auth"
	_ "github.com/chromedp/chromedp"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/dgraph-io/ristretto/v2"
	_ "github.com/emersion/go-smtp"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/glebarez/sqlite"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/gorilla/mux"
	_ "github.com/pquerna/otp/totp"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/skip2/go-qrcode"
	_ "github.com/ulule/limiter/v3/drivers/store/memory"
	_ "github.com/ulule/limiter/v3/drivers/store/redis"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/oauth2"
	_ "gopkg.in/yaml.v3"
	_ "gorm.io/driver/postgres"
	_ "gorm.io/gorm"
)

