package authapi

import (
	"html/template"
	"net/http"
)

// resetPageTemplate is the page the reset mail links to. It has no external
// assets; its one script (allowed by a per-response nonce) reads the token
// from the URL fragment and POSTs {token, new_password} as JSON to the same
// path. Clients with their own UI POST to that endpoint directly.
var resetPageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Choose a new password</title>
<style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#222}
label,input,button{display:block;width:100%;box-sizing:border-box;font-size:1rem}
input{margin:.3rem 0 1rem;padding:.5rem}button{padding:.6rem;cursor:pointer}
#msg{margin-top:1rem}.err{color:#a00}.ok{color:#070}
</style>
</head>
<body>
<h1>Choose a new password</h1>
<form id="f">
<label for="pw">New password</label>
<input id="pw" type="password" autocomplete="new-password" minlength="8" required>
<label for="pw2">Repeat it</label>
<input id="pw2" type="password" autocomplete="new-password" minlength="8" required>
<button type="submit">Set password</button>
</form>
<p id="msg" role="status"></p>
<script nonce="{{.Nonce}}">
(function () {
  var params = new URLSearchParams(location.hash.slice(1));
  var token = params.get("token") || "";
  history.replaceState(null, "", location.pathname);
  var form = document.getElementById("f"), msg = document.getElementById("msg");
  function say(text, cls) { msg.textContent = text; msg.className = cls; }
  if (!token) { say("This link is incomplete. Ask for a new reset mail.", "err"); form.hidden = true; return; }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var pw = document.getElementById("pw").value;
    if (pw !== document.getElementById("pw2").value) { say("The two passwords differ.", "err"); return; }
    fetch(location.pathname, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({token: token, new_password: pw}), credentials: "omit"})
    .then(function (r) {
      if (r.status === 204) { form.hidden = true; say("Your password has been changed. You can sign in now.", "ok"); return; }
      return r.json().then(function (p) { say(p.detail || "The password could not be changed.", "err"); });
    })
    .catch(function () { say("The server could not be reached. Try again.", "err"); });
  });
})();
</script>
</body>
</html>
`))

// resetPage serves the page the reset mail links to.
func (a *API) resetPage(w http.ResponseWriter, r *http.Request) {
	a.serveStaticPage(w, r, resetPageTemplate)
}
