package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/identity"
)

// ErrInvalidMessage is wrapped by the error Send returns for a message it
// refuses to send: a recipient that is not exactly one address, or a
// recipient or subject containing CR or LF (header injection), or a subject
// with another control character.
var ErrInvalidMessage = errors.New("mail: invalid message")

// maxSubjectLength keeps the Subject header well inside SMTP's line limit.
const maxSubjectLength = 512

// checkMessage validates the recipient and subject and returns the parsed
// recipient.
func checkMessage(m identity.Message) (*mail.Address, error) {
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, fmt.Errorf("%w: recipient contains a line break", ErrInvalidMessage)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("%w: subject contains a line break", ErrInvalidMessage)
	}
	if strings.ContainsFunc(m.Subject, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) {
		return nil, fmt.Errorf("%w: subject contains a control character", ErrInvalidMessage)
	}
	if len(m.Subject) > maxSubjectLength {
		return nil, fmt.Errorf("%w: subject longer than %d bytes", ErrInvalidMessage, maxSubjectLength)
	}
	to, err := parseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", ErrInvalidMessage, err)
	}
	if m.Text == "" && m.HTML == "" {
		return nil, fmt.Errorf("%w: no body", ErrInvalidMessage)
	}
	return to, nil
}

// parseAddress parses exactly one address ("a@example.com" or
// "Name <a@example.com>") with no control characters.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, errors.New("control character in address")
	}
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, err
	}
	if len(list) != 1 {
		return nil, fmt.Errorf("want one address, got %d", len(list))
	}
	return list[0], nil
}

// compose renders m as an RFC 5322 message with CRLF line endings: a
// text/plain part, or multipart/alternative with text and HTML when HTML
// is set, each quoted-printable so that no line exceeds 76 characters.
func compose(from, to *mail.Address, m identity.Message, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	header := func(k, v string) { buf.WriteString(k + ": " + v + "\r\n") }
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeSubject(m.Subject))
	header("Message-ID", messageID(from.Address))
	header("MIME-Version", "1.0")

	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		buf.WriteString("\r\n")
		if err := writeQP(&buf, m.Text); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	buf.WriteString("\r\n")
	// Least preferred first (RFC 2046 §5.1.4): text, then HTML.
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		if part.body == "" {
			continue
		}
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	buf.Write(body.Bytes())
	return buf.Bytes(), nil
}

// encodeSubject RFC 2047-encodes a subject that is not plain printable
// ASCII. mime.QEncoding leaves ASCII alone, also text that looks like an
// encoded word ("=?utf-8?q?x?="), which a reader would then decode: such a
// subject is encoded in base64 words so it reads as written.
func encodeSubject(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	var words []string
	for len(s) > 0 {
		n := min(len(s), 45) // 45 bytes make a 60-character word, under RFC 2047's 75
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		if n == 0 {
			n = min(len(s), 45)
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// writeQP writes s quoted-printable; its line breaks become CRLF. No line
// break is added: the multipart delimiter and the end of DATA bring their own.
func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(s, "\r\n", "\n"))); err != nil {
		return err
	}
	return qp.Close()
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(fromAddr string) string {
	domain := "localhost"
	if at := strings.LastIndexByte(fromAddr, '@'); at >= 0 && at < len(fromAddr)-1 {
		domain = fromAddr[at+1:]
	}
	b := make([]byte, 16)
	rand.Read(b)
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}
