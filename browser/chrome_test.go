package browser_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
)

// chromiumPath is where scripts/test-deps.sh installs Chromium.
const chromiumPath = "/usr/bin/chromium"

// One Chromium for the whole test binary: each test gets its own browser
// context (its own cookie jar) in it, which is much cheaper than a process.
var chrome struct {
	once    sync.Once
	err     error
	dir     string
	ctx     context.Context // the browser's context
	cancel  func()
	release func() // allocator
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
		chrome.release()
	}
	if chrome.dir != "" {
		os.RemoveAll(chrome.dir)
	}
	os.Exit(code)
}

func startChrome() error {
	dir, err := os.MkdirTemp("", "authgate-chromium-")
	if err != nil {
		return err
	}
	chrome.dir = dir
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1024, 768),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
	}
	actx, release := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancel := chromedp.NewContext(actx)
	// The first Do binds the browser's life to its context: no timeout here.
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		release()
		return fmt.Errorf("start chromium: %w", err)
	}
	chrome.ctx, chrome.cancel, chrome.release = bctx, cancel, release
	return nil
}

// newTab returns a context for a tab in a fresh browser context of the
// shared Chromium, closed when the test ends, with an overall deadline.
func newTab(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Unavailable(t, "chromium at %s: %v", chromiumPath, err)
	}
	chrome.once.Do(func() { chrome.err = startChrome() })
	if chrome.err != nil {
		t.Fatalf("%v", chrome.err)
	}
	ctx, cancel := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return ctx
}

// do runs browser steps, failing the test with what it was doing.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v (page %s)", what, err, location(ctx))
	}
}

// get runs one browser action and returns its value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v (page %s)", what, err, location(ctx))
	}
	return v
}

// clear empties the input with id (SetValue refuses the empty string).
func clear(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = ""`, id))
}

// location is the tab's URL, for messages.
func location(ctx context.Context) string {
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown: " + err.Error()
	}
	return loc
}

// waitText waits until the element with id has text containing want (or
// any text, when want is empty) and returns the text. It keeps asking
// across navigations, which end a single evaluation.
func waitText(t *testing.T, ctx context.Context, id, want string) string {
	t.Helper()
	expr := fmt.Sprintf(`(function(){var e=document.getElementById(%q);if(!e)return "";var s=e.textContent;return s&&s.indexOf(%q)>=0?s:"";})()`, id, want)
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil && s != "" {
			return s
		}
		if ctx.Err() != nil {
			break
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	t.Fatalf("waiting for #%s to say %q: %v (page %s says %q)", id, want, lastErr, location(ctx), got)
	return ""
}

// cookies returns the browser's cookies for url.
func cookies(t *testing.T, ctx context.Context, url string) []*network.Cookie {
	t.Helper()
	return get(t, ctx, "read cookies", func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
		if err != nil {
			return nil, err
		}
		return res.Cookies, nil
	})
}
