package mail

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/authgate/authgate/identity"
)

// htmlTemplate is the one HTML layout of authgate's mail. html/template
// escapes every value, the link included (in the href and in the text).
var htmlTemplate = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
<p>{{.Intro}}</p>
<p><a href="{{.Link}}" style="display: inline-block; padding: 10px 16px; background: #2563eb; color: #fff; text-decoration: none; border-radius: 4px;">{{.Action}}</a></p>
<p>Or copy this link into your browser:<br><a href="{{.Link}}">{{.Link}}</a></p>
<p>{{.Expiry}}</p>
<p style="color: #666;">{{.Ignore}}</p>
</body>
</html>
`))

type content struct {
	Subject, Intro, Action, Link, Expiry, Ignore string
}

func (c content) message(to string) identity.Message {
	var html bytes.Buffer
	if err := htmlTemplate.Execute(&html, c); err != nil {
		// The template is fixed and its data are strings: it cannot fail.
		panic("mail: html template: " + err.Error())
	}
	text := fmt.Sprintf("%s\n\n%s:\n%s\n\n%s\n\n%s\n", c.Intro, c.Action, c.Link, c.Expiry, c.Ignore)
	return identity.Message{To: to, Subject: c.Subject, Text: text, HTML: html.String()}
}

// PasswordResetMessage is the mail with a password reset link valid for ttl.
func PasswordResetMessage(to, link string, ttl time.Duration) identity.Message {
	return content{
		Subject: "Reset your password",
		Intro:   "Someone, probably you, asked to reset the password of the account registered with this email address.",
		Action:  "Choose a new password",
		Link:    link,
		Expiry:  "The link expires in " + humanDuration(ttl) + " and works once.",
		Ignore:  "If you did not ask for this, ignore this message: your password stays as it is.",
	}.message(to)
}

// VerificationMessage is the mail with an email verification link valid
// for ttl.
func VerificationMessage(to, link string, ttl time.Duration) identity.Message {
	return content{
		Subject: "Verify your email address",
		Intro:   "Please confirm that this email address belongs to you.",
		Action:  "Verify my email address",
		Link:    link,
		Expiry:  "The link expires in " + humanDuration(ttl) + " and works once.",
		Ignore:  "If you did not create an account, ignore this message.",
	}.message(to)
}

// humanDuration renders a link lifetime: "30 minutes", "1 hour",
// "2 hours 30 minutes", "3 days".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	days, hours, minutes := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var out []string
	for _, u := range []struct {
		n    int
		name string
	}{{days, "day"}, {hours, "hour"}, {minutes, "minute"}} {
		switch {
		case u.n == 1:
			out = append(out, "1 "+u.name)
		case u.n > 1:
			out = append(out, fmt.Sprintf("%d %ss", u.n, u.name))
		}
	}
	return strings.Join(out, " ")
}
