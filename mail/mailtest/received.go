package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// Received is one message as the server got it.
type Received struct {
	// From and To are the envelope (MAIL FROM, RCPT TO).
	From string
	To   []string
	// TLS reports whether the message came over TLS (STARTTLS or implicit).
	TLS bool
	// Raw is the message as transmitted (CRLF line endings).
	Raw []byte
	// Header is the parsed top-level header; Subject is its decoded Subject.
	Header  mail.Header
	Subject string
	// Text and HTML are the decoded text/plain and text/html bodies.
	Text string
	HTML string
	// ParseErr is set when the message could not be parsed as MIME.
	ParseErr error
}

// FirstURL returns the first http(s) URL in the text body, or in the HTML
// body when there is no text.
func (m Received) FirstURL() string {
	if u := FirstURL(m.Text); u != "" {
		return u
	}
	return FirstURL(m.HTML)
}

var urlPattern = regexp.MustCompile(`https?://[^\s"'<>]+`)

// FirstURL returns the first http or https URL in s ("" if none), with
// trailing punctuation that usually ends a sentence removed. HTML entities
// (&amp;) are not decoded: pass a text body.
func FirstURL(s string) string {
	return strings.TrimRight(urlPattern.FindString(s), ".,;:!?)")
}

// parse decodes a raw message: headers, and the text and HTML bodies of a
// single-part or multipart message, undoing quoted-printable and base64.
func parse(raw []byte) Received {
	m := Received{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.ParseErr = err
		return m
	}
	m.Header = msg.Header
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.ParseErr = fmt.Errorf("subject: %w", err)
	}
	if err := m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil && m.ParseErr == nil {
		m.ParseErr = err
	}
	return m
}

func (m *Received) readPart(ctype, cte string, body io.Reader) error {
	if ctype == "" {
		ctype = "text/plain"
	}
	mediatype, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mediatype, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // decodes quoted-printable parts itself
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = newBase64Reader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s body: %w", mediatype, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch mediatype {
	case "text/plain":
		m.Text += text
	case "text/html":
		m.HTML += text
	}
	return nil
}

// newBase64Reader decodes a base64 body that may be split into lines.
func newBase64Reader(r io.Reader) io.Reader {
	b, err := io.ReadAll(r)
	if err != nil {
		return errReader{err}
	}
	b = bytes.Join(bytes.Fields(b), nil)
	out, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil {
		return errReader{err}
	}
	return bytes.NewReader(out)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
