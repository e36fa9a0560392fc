// Package mailtest is a real SMTP server for tests, in process: go-smtp
// speaks the SMTP dialogue (with STARTTLS on a certificate of its own CA,
// and PLAIN authentication when asked), and every accepted message is
// parsed with go-message into its headers and parts.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // GB18030 and other charsets
	gmail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is a message the server accepted.
type Message struct {
	From, To   string
	Header     gmail.Header
	Subject    string
	MessageID  string
	InReplyTo  []string
	References []string
	Text, HTML string
	Raw        []byte
}

// Options shape the server.
type Options struct {
	// TLS offers STARTTLS with a certificate for 127.0.0.1.
	TLS bool
	// User and Password require PLAIN authentication (over TLS).
	User, Password string
	// Reply decides the answer to a message's data, n being the number of
	// data transfers so far (1 for the first): nil accepts, an
	// *smtp.SMTPError refuses with its code. It may block, as a slow or
	// stuck server does; the message is accepted only if it returns nil.
	Reply func(n int, m Message) error
	// OnMessage is called with each accepted message.
	OnMessage func(Message)
}

// Server is the running server.
type Server struct {
	Addr string
	// Roots trust the server's certificate.
	Roots *x509.CertPool
	opts  Options

	mu       sync.Mutex
	accepted []Message
	attempts int
	tlsSeen  bool
	authSeen bool
}

// Start starts a server on a free loopback port, stopped at the test's end.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, stop, err := Serve("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	return s
}

// Serve starts a server on addr (the development mail catcher uses it
// too); stop closes it.
func Serve(addr string, opts Options) (_ *Server, stop func() error, _ error) {
	s := &Server{opts: opts}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 10 << 20
	if opts.TLS {
		cert, roots, err := selfSigned()
		if err != nil {
			return nil, nil, err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.Roots = roots
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	s.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	return s, srv.Close, nil
}

// URL is the server's SMTP_URL.
func (s *Server) URL() string {
	if s.opts.User != "" {
		return "smtp://" + s.opts.User + ":" + s.opts.Password + "@" + s.Addr
	}
	return "smtp://" + s.Addr
}

// TLSConfig trusts the server (for the sender's Options).
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.Roots, MinVersion: tls.VersionTLS12}
}

// Messages returns the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.accepted...)
}

// Attempts is how many data transfers the server has seen, accepted or not.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// SawTLS and SawAuth report whether a message came over TLS, after
// authentication.
func (s *Server) SawTLS() bool  { s.mu.Lock(); defer s.mu.Unlock(); return s.tlsSeen }
func (s *Server) SawAuth() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.authSeen }

// Wait returns the first accepted message for which match is true, waiting
// up to timeout for it.
func (s *Server) Wait(t testing.TB, timeout time.Duration, what string, match func(Message) bool) Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range s.Messages() {
			if match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %s within %s (accepted: %d, attempts: %d)", what, timeout, len(s.Messages()), s.Attempts())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s        *Server
	conn     *smtp.Conn
	from, to string
	authed   bool
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.opts.User || pass != ss.s.opts.Password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.User != "" && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error { ss.to = to; return nil }
func (ss *session) Reset()                                    { ss.from, ss.to = "", "" }
func (ss *session) Logout() error                             { return nil }

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparseable message: " + err.Error()}
	}
	m.From, m.To = ss.from, ss.to
	ss.s.mu.Lock()
	ss.s.attempts++
	n := ss.s.attempts
	ss.s.mu.Unlock()
	if ss.s.opts.Reply != nil {
		if err := ss.s.opts.Reply(n, m); err != nil {
			return err
		}
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.accepted = append(ss.s.accepted, m)
	ss.s.tlsSeen = ss.s.tlsSeen || isTLS
	ss.s.authSeen = ss.s.authSeen || ss.authed
	ss.s.mu.Unlock()
	if ss.s.opts.OnMessage != nil {
		ss.s.opts.OnMessage(m)
	}
	return nil
}

// Parse reads a message with go-message: the decoded subject, the
// threading headers and the text and HTML parts, decoded to UTF-8.
func Parse(raw []byte) (Message, error) {
	m := Message{Raw: raw}
	r, err := gmail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return m, err
	}
	m.Header = r.Header
	if m.Subject, err = r.Header.Subject(); err != nil {
		return m, err
	}
	if m.MessageID, err = r.Header.MessageID(); err != nil {
		return m, err
	}
	if m.InReplyTo, err = r.Header.MsgIDList("In-Reply-To"); err != nil {
		return m, err
	}
	if m.References, err = r.Header.MsgIDList("References"); err != nil {
		return m, err
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, err
		}
		h, ok := p.Header.(*gmail.InlineHeader)
		if !ok {
			continue
		}
		ct, _, _ := h.ContentType()
		body, err := io.ReadAll(p.Body)
		if err != nil {
			return m, err
		}
		switch strings.ToLower(ct) {
		case "text/plain":
			m.Text = string(body)
		case "text/html":
			m.HTML = string(body)
		}
	}
	return m, nil
}

// selfSigned makes a self-signed certificate for 127.0.0.1
// and localhost, and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, nil
}
