package authapi

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/oauth"
)

// signInPageTemplate is the hosted sign-in page. It has no external assets;
// its one script and style are allowed by a per-response nonce. The script
// posts JSON to POST /signin (relative to the page, so the page also works
// behind a proxy that mounts /api/auth/), shows the second step when the
// answer is mfa_required and shows every refusal in the page, without
// navigating. After success it goes to redirect_to, which the server has
// checked against the redirect policy.
var signInPageTemplate = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>Sign in</title>
<style nonce="{{.Nonce}}">
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
 font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#eef1f5}
main{width:100%;max-width:24rem;margin:1rem;padding:2rem;background:#fff;border-radius:12px;
 box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06)}
h1{margin:0 0 1.5rem;font-size:1.5rem;font-weight:600}
label{display:block;font-weight:500;margin-bottom:.3rem}
input{display:block;width:100%;margin-bottom:1rem;padding:.6rem .75rem;font:inherit;
 border:1px solid #b8c0cc;border-radius:8px;background:#fff;color:inherit}
input:focus{outline:3px solid #9ec5ff;outline-offset:0;border-color:#2f6fde}
button{display:block;width:100%;padding:.65rem;font:inherit;font-weight:600;color:#fff;
 background:#2f6fde;border:0;border-radius:8px;cursor:pointer}
button:hover{background:#2559b5}button:focus-visible{outline:3px solid #9ec5ff;outline-offset:2px}
button[disabled]{opacity:.6;cursor:progress}
button.secondary{margin-top:.75rem;color:#2f6fde;background:transparent;border:1px solid #2f6fde}
.hint{margin:-.5rem 0 1rem;color:#5a6474;font-size:.9rem}
#msg{margin:1rem 0 0;padding:.6rem .75rem;border-radius:8px;background:#fde8e8;color:#8a1414}
#msg:empty{display:none}#msg.ok{background:#e5f5ea;color:#14602c}
a{color:#2f6fde}.links{margin:1.25rem 0 0;text-align:center;font-size:.95rem}
.or{display:flex;align-items:center;gap:.75rem;margin:1.25rem 0;color:#5a6474;font-size:.9rem}
.or::before,.or::after{content:"";flex:1;border-top:1px solid #d5dae1}
a.provider{display:block;margin-top:.6rem;padding:.6rem;text-align:center;font-weight:600;color:#1d2330;
 text-decoration:none;border:1px solid #b8c0cc;border-radius:8px;background:#fff}
a.provider:hover{background:#f4f6f9}a.provider:focus-visible{outline:3px solid #9ec5ff;outline-offset:2px}
</style>
</head>
<body>
<main>
{{if .SignedInAs}}
<h1>You are signed in</h1>
<p>Signed in as <strong>{{.SignedInAs}}</strong>.</p>
{{if .RD}}<p><a id="continue" href="{{.RD}}">Continue</a></p>{{end}}
<button type="button" id="signout" class="secondary">Sign out</button>
{{else}}
<h1 id="title">Sign in</h1>
<form id="f" data-rd="{{.RD}}"{{if .CodeStep}} data-step="code"{{end}} novalidate>
<div id="step-password">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
</div>
<div id="step-code" hidden>
<label for="code">Verification code</label>
<p class="hint" id="code-hint">Enter the 6-digit code from your authenticator app, or a recovery code.</p>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" aria-describedby="code-hint" spellcheck="false">
</div>
<button type="submit" id="submit">Sign in</button>
<button type="button" id="restart" class="secondary" hidden>Sign in another way</button>
</form>
{{if .Providers}}
<div id="providers">
<p class="or">or</p>
{{range .Providers}}<a class="provider" id="provider-{{.Name}}" href="{{.URL}}">Continue with {{.Label}}</a>
{{end}}</div>
{{end}}
<p class="links"><a href="#" id="forgot">Forgot your password?</a></p>
{{end}}
<p id="msg" role="alert" aria-live="assertive"></p>
</main>
<script nonce="{{.Nonce}}">
(function () {
  "use strict";
  var msg = document.getElementById("msg");
  function say(text, ok) { msg.textContent = text; msg.className = ok ? "ok" : ""; }
  function post(path, body) {
    return fetch(path, {method: "POST", credentials: "same-origin",
      headers: body ? {"Content-Type": "application/json", "Accept": "application/json"} : {"Accept": "application/json"},
      body: body ? JSON.stringify(body) : undefined});
  }
  var out = document.getElementById("signout");
  if (out) {
    out.addEventListener("click", function () {
      out.disabled = true;
      post("signout").then(function (r) {
        if (r.ok) { location.reload(); return; }
        out.disabled = false; say("Signing out failed. Try again.");
      }).catch(function () { out.disabled = false; say("The server could not be reached. Try again."); });
    });
    return;
  }
  var form = document.getElementById("f"), button = document.getElementById("submit");
  var email = document.getElementById("email"), password = document.getElementById("password");
  var code = document.getElementById("code"), rd = form.getAttribute("data-rd") || "";
  var stepPassword = document.getElementById("step-password"), stepCode = document.getElementById("step-code");
  var providers = document.getElementById("providers"), restart = document.getElementById("restart");
  // ticket: the second step of a password sign-in; federated: the second
  // step of an OAuth sign-in, whose ticket is in an HttpOnly cookie.
  var ticket = "", federated = form.getAttribute("data-step") === "code";
  function showCodeStep(on) {
    stepPassword.hidden = on; stepCode.hidden = !on;
    if (providers) { providers.hidden = on; }
    email.required = !on; password.required = !on; code.required = on;
    button.textContent = on ? "Verify" : "Sign in";
    if (on) { code.value = ""; code.focus(); } else { ticket = ""; federated = false; password.value = ""; password.focus(); }
    restart.hidden = !(on && federated);
  }
  restart.addEventListener("click", function () { showCodeStep(false); say(""); });
  if (federated) {
    showCodeStep(true);
    say("Enter your verification code to finish signing in.", true);
  }
  document.getElementById("forgot").addEventListener("click", function (e) {
    e.preventDefault();
    if (!email.value) { say("Enter your email address first, then choose \u201cForgot your password?\u201d again."); email.focus(); return; }
    post("password/reset", {email: email.value}).then(function (r) {
      if (r.status === 202) { say("If an account exists for that address, a reset link is on its way.", true); return; }
      return r.json().then(function (p) { say(p.detail || "The reset mail could not be requested."); });
    }).catch(function () { say("The server could not be reached. Try again."); });
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var body;
    if (ticket || federated) {
      if (!code.value.trim()) { say("Enter the verification code."); code.focus(); return; }
      body = federated ? {code: code.value.trim(), rd: rd} : {mfa_ticket: ticket, code: code.value.trim(), rd: rd};
    } else {
      if (!email.value || !password.value) { say("Enter your email address and password."); (email.value ? password : email).focus(); return; }
      body = {email: email.value, password: password.value, rd: rd};
    }
    button.disabled = true; say("");
    post("signin", body).then(function (r) {
      return r.json().then(function (p) {
        if (r.ok) {
          say("You are signed in.", true);
          if (p.redirect_to) { location.assign(p.redirect_to); } else { form.hidden = true; }
          return;
        }
        button.disabled = false;
        if (p.mfa_ticket) {
          var wasCodeStep = !!ticket;
          ticket = p.mfa_ticket;
          if (!wasCodeStep) { showCodeStep(true); say("Enter your verification code to finish signing in.", true); return; }
          say(p.detail || "The code is not valid."); code.value = ""; code.focus(); return;
        }
        if (federated && p.code === "invalid_mfa_code") {
          say(p.detail || "The code is not valid."); code.value = ""; code.focus(); return;
        }
        if ((ticket || federated) && (p.code === "invalid_token" || p.code === "token_expired")) {
          showCodeStep(false); say("The sign-in took too long. Sign in again."); return;
        }
        var text = p.detail || p.title || "Signing in failed.";
        if (r.status === 429) {
          var wait = r.headers.get("Retry-After");
          if (wait) { text += " Try again in " + wait + " seconds."; }
        }
        say(text);
        (ticket || federated ? code : password).focus();
      });
    }).catch(function () { button.disabled = false; say("The server could not be reached. Try again."); });
  });
})();
</script>
</body>
</html>
`))

// signInPageData fills signInPageTemplate. Nonce is unpadded base64url, so
// html/template writes it into the attributes unchanged.
type signInPageData struct {
	Nonce      string
	RD         string // the checked back-link, or ""
	SignedInAs string // the email of a valid session cookie, or ""
	// Providers are the buttons of the configured OAuth providers (none
	// when OAuth is off).
	Providers []providerButton
	// CodeStep opens the page at the code step: the browser has the
	// ticket cookie of an OAuth sign-in's second step.
	CodeStep bool
}

// providerButton is one "Continue with ..." link of the sign-in page.
type providerButton struct {
	Name  string // the provider's name in URLs
	Label string // its name for people ("Google")
	URL   string // its start URL, relative to the page, carrying the page's rd
}

// providerLabels are the names people know the built-in providers by.
var providerLabels = map[string]string{
	"google":   "Google",
	"apple":    "Apple",
	"facebook": "Facebook",
	"oidc":     "OpenID Connect",
}

// displayNamer is a provider that names itself for people; providers
// without it are labelled from providerLabels or their capitalized name.
type displayNamer interface{ DisplayName() string }

// providerButtons returns the page's provider links for the checked
// back-link rd. The links are relative to the page, like its script's
// requests, so the page keeps working behind a proxy that mounts
// /api/auth/ elsewhere; html/template escapes every part.
func (a *API) providerButtons(rd string) []providerButton {
	if a.OAuth == nil {
		return nil
	}
	names := a.OAuth.Names()
	out := make([]providerButton, 0, len(names))
	for _, name := range names {
		p, ok := a.OAuth.Provider(name)
		if !ok {
			continue
		}
		target := "oauth/" + url.PathEscape(name) + "/start"
		if rd != "" {
			target += "?rd=" + url.QueryEscape(rd)
		}
		out = append(out, providerButton{Name: name, Label: providerLabel(p), URL: target})
	}
	return out
}

// providerLabel is the name of p for people.
func providerLabel(p oauth.Provider) string {
	if d, ok := p.(displayNamer); ok {
		if label := strings.TrimSpace(d.DisplayName()); label != "" {
			return label
		}
	}
	name := p.Name()
	if label, ok := providerLabels[name]; ok {
		return label
	}
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}

// signInPage serves the hosted sign-in page (GET /signin?rd=...). With a
// valid session cookie it says who is signed in and offers sign-out,
// instead of redirecting: if the gateway did not accept the cookie (another
// cookie domain, say), an automatic redirect would loop.
func (a *API) signInPage(w http.ResponseWriter, r *http.Request) {
	if a.CookieName == "" {
		a.notFound(w, r)
		return
	}
	nonce, err := newNonce()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := signInPageData{Nonce: nonce}
	d.RD, _ = a.backLink(r.URL.Query().Get("rd"))
	if c, err := r.Cookie(a.CookieName); err == nil && c.Value != "" {
		if p, err := a.verifyToken(r.Context(), c.Value); err == nil {
			d.SignedInAs = p.Email
			if d.SignedInAs == "" {
				d.SignedInAs = p.UID
			}
		}
	}
	if d.SignedInAs == "" {
		d.Providers = a.providerButtons(d.RD)
		d.CodeStep = a.pendingMFATicket(r) != ""
	}
	w.Header().Set("Vary", "Cookie")
	a.writePage(w, r, signInPageTemplate, nonce, d)
}
