package authapi

import (
	"html/template"
	"net/http"
)

// verifyPageTemplate is the page the verification mail links to. Its one
// script (allowed by a per-response nonce) takes the token from the URL
// fragment, removes it from the address bar and POSTs it to the same path.
// Link scanners that fetch the page without running scripts spend nothing.
var verifyPageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Verify your email address</title>
<style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#222}
.err{color:#a00}.ok{color:#070}
</style>
</head>
<body>
<h1>Verify your email address</h1>
<p id="msg" role="status">Verifying…</p>
<script nonce="{{.Nonce}}">
(function () {
  var token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  history.replaceState(null, "", location.pathname);
  var msg = document.getElementById("msg");
  function say(text, cls) { msg.textContent = text; msg.className = cls; }
  if (!token) { say("This link is incomplete. Ask for a new verification mail.", "err"); return; }
  fetch(location.pathname, {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({token: token}), credentials: "omit"})
  .then(function (r) {
    if (r.status === 200) { say("Your email address is verified. You can sign in now.", "ok"); return; }
    return r.json().then(function (p) { say(p.detail || "The address could not be verified.", "err"); });
  })
  .catch(function () { say("The server could not be reached. Reload the page to try again.", "err"); });
})();
</script>
</body>
</html>
`))

// verifyEmailPage serves the page the verification mail links to.
func (a *API) verifyEmailPage(w http.ResponseWriter, r *http.Request) {
	a.serveStaticPage(w, r, verifyPageTemplate)
}
