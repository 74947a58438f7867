package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Placeholders of the example proxy configs in configs/ (see
// configs/README.md): authgate's address and the application's.
const (
	PlaceholderAuthgate = "127.0.0.1:8001"
	PlaceholderApp      = "127.0.0.1:8080"
)

// ExampleConfig reads configs/<rel> and replaces the placeholders with
// authgate's and the application's host:port, then applies the extra
// old/new pairs of replace. It fails the test when the file lacks one of
// the placeholders, so a config that no longer points at authgate or the
// application cannot pass unnoticed.
func ExampleConfig(tb testing.TB, rel, authgateAddr, appAddr string, replace ...string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(), "configs", rel))
	if err != nil {
		tb.Fatalf("example config: %v", err)
	}
	src := string(b)
	for _, ph := range []string{PlaceholderAuthgate, PlaceholderApp} {
		if !strings.Contains(src, ph) {
			tb.Fatalf("configs/%s lacks the placeholder %s", rel, ph)
		}
	}
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(src, replace[i]) {
			tb.Fatalf("configs/%s lacks %q", rel, replace[i])
		}
	}
	pairs := append([]string{PlaceholderAuthgate, authgateAddr, PlaceholderApp, appAddr}, replace...)
	return strings.NewReplacer(pairs...).Replace(src)
}

// StartNginx runs the real nginx with configs/nginx/authgate.conf (ports
// substituted) in front of authgate and the application, with a prefix,
// logs and temp files in a test directory (never system-wide), and returns
// its base URL. nginx is killed when the test ends; its error log is shown
// if the test failed.
func StartNginx(tb testing.TB, authgateAddr, appAddr string) string {
	tb.Helper()
	bin := Binary(tb, "nginx", "/usr/sbin/nginx")
	dir := tb.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(FreePort(tb))
	site := ExampleConfig(tb, "nginx/authgate.conf", authgateAddr, appAddr, "listen 8000;", "listen "+addr+";")
	writeFile(tb, filepath.Join(dir, "authgate.conf"), site)
	for _, sub := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	main := fmt.Sprintf(`master_process off;
worker_processes 1;
error_log %[1]s/logs/error.log info;
pid %[1]s/nginx.pid;
events { worker_connections 512; }
http {
    access_log %[1]s/logs/access.log;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    include %[1]s/authgate.conf;
}
`, dir)
	conf := filepath.Join(dir, "nginx.conf")
	writeFile(tb, conf, main)
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-g", "daemon off;")
	startProcess(tb, cmd, addr, filepath.Join(dir, "logs", "error.log"))
	return "http://" + addr
}

// StartCaddy runs the real Caddy with configs/caddy/Caddyfile (site address
// substituted, bound to 127.0.0.1, admin endpoint and automatic HTTPS off, its storage in a test
// directory) and returns its base URL. Caddy is killed when the test ends.
func StartCaddy(tb testing.TB, authgateAddr, appAddr string) string {
	tb.Helper()
	bin := Binary(tb, "caddy", "/usr/bin/caddy")
	dir := tb.TempDir()
	port := strconv.Itoa(FreePort(tb))
	site := ExampleConfig(tb, "caddy/Caddyfile", authgateAddr, appAddr, ":8000 {", ":"+port+" {")
	global := "{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}\n\n"
	file := filepath.Join(dir, "Caddyfile")
	writeFile(tb, file, global+site)
	cmd := exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
	startProcess(tb, cmd, "127.0.0.1:"+port, "")
	return "http://127.0.0.1:" + port
}

func writeFile(tb testing.TB, name, content string) {
	tb.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// startProcess runs cmd in its own process group until the test ends and
// waits (up to 15s) until addr accepts connections. On failure it shows the
// process output and, if logFile is set, that file.
func startProcess(tb testing.TB, cmd *exec.Cmd, addr, logFile string) {
	tb.Helper()
	logs := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	name := filepath.Base(cmd.Path)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if tb.Failed() {
			tb.Logf("%s output:\n%s", name, logs)
			if logFile != "" {
				if b, err := os.ReadFile(logFile); err == nil {
					tb.Logf("%s:\n%s", logFile, b)
				}
			}
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for WaitTCP(addr, 100*time.Millisecond) != nil {
		select {
		case <-exited:
			tb.Fatalf("%s exited before listening on %s:\n%s", name, addr, logs)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not listen on %s within 15s:\n%s", name, addr, logs)
		}
	}
}
