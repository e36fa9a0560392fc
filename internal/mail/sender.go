package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Failure is a send that did not end with the server's acceptance.
// Temporary failures (a 4xx reply, a connection that failed or broke) are
// retried; permanent ones (a 5xx reply) are not.
type Failure struct {
	Temporary bool
	// Code is the server's reply code, 0 when there was none.
	Code int
	Err  error
}

func (f *Failure) Error() string {
	if f.Code != 0 {
		return fmt.Sprintf("smtp %d: %v", f.Code, f.Err)
	}
	return f.Err.Error()
}

func (f *Failure) Unwrap() error { return f.Err }

// SMTP sends messages through one SMTP server with go-mail, a new
// connection per message (messages are few and a connection kept open
// would go stale between them).
type SMTP struct {
	host    string
	options []gomail.Option
}

// NewSMTP configures a sender from an smtp:// or smtps:// URL. Over
// smtp:// it uses STARTTLS when the server offers it, and refuses to send
// without it when requireTLS is set; smtps:// is TLS from the first byte.
// tlsConfig may add roots (tests); nil uses the system's.
func NewSMTP(rawURL string, requireTLS bool, timeout time.Duration, tlsConfig *tls.Config) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("mail.NewSMTP: SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]")
	}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, errors.New("mail.NewSMTP: SMTP_URL has a bad port")
		}
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	tlsConfig.ServerName = u.Hostname()
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(tlsConfig)}
	switch {
	case u.Scheme == "smtps":
		opts = append(opts, gomail.WithSSL())
	case requireTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(u.User.Username()),
			gomail.WithPassword(pass))
	}
	return &SMTP{host: u.Hostname(), options: opts}, nil
}

// Send delivers one message. The error is a *Failure.
func (s *SMTP) Send(ctx context.Context, m *gomail.Msg) error {
	c, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return &Failure{Err: fmt.Errorf("smtp client: %w", err)}
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 {
			return &Failure{Code: se.ErrorCode(), Err: err}
		}
		f := &Failure{Temporary: true, Err: err}
		if se != nil {
			f.Code = se.ErrorCode()
		}
		return f
	}
	return nil
}
