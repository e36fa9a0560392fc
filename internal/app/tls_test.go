package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"maps"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/internal/testenv"
	"github.com/complaint-handling/complaints/workflows"
)

// testCA issues certificates for the mTLS test, written as PEM files.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: dir}
	writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
	return ca
}

// issue writes name.pem and name-key.pem, a certificate for the given
// uses, valid for 127.0.0.1 and localhost.
func (ca *testCA) issue(t *testing.T, name string, usage ...x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kb)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTemporalMutualTLS starts the embedded Temporal server with TLS on
// every port, requiring client certificates from its CA, and shows that a
// client without TLS, one with TLS but no certificate, and one with a
// certificate from another CA are all refused, while the API and worker
// configured with TEMPORAL_TLS_* run a case through it.
func TestTemporalMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "ca")
	serverCert, serverKey := ca.issue(t, "temporal", x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	appCert, appKey := ca.issue(t, "complaints", x509.ExtKeyUsageClientAuth)
	rogue := newTestCA(t, dir, "rogue-ca")
	rogueCert, rogueKey := rogue.issue(t, "mallory", x509.ExtKeyUsageClientAuth)
	caFile := filepath.Join(dir, "ca.pem")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ts, err := temporalserver.Start(ctx, temporalserver.Options{
		DatabaseURL: env.Postgres(t).URL("postgres"), HistoryDB: "temporal_mtls", VisibilityDB: "temporal_mtls_visibility",
		Namespace: "complaints", SearchAttributes: workflows.SearchAttributeTypes(), LogFile: filepath.Join(dir, "temporal.log"),
		TLS: &temporalserver.TLS{CertFile: serverCert, KeyFile: serverKey, CAFile: caFile},
	})
	if err != nil {
		t.Fatalf("temporalserver.Start with TLS: %v", err)
	}
	t.Cleanup(func() { _ = ts.Stop() })

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, caFile))
	withCert := func(certFile, keyFile string) *tls.Config {
		c := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
		if certFile != "" {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			c.Certificates = []tls.Certificate{cert}
		}
		return c
	}
	for name, tc := range map[string]*tls.Config{
		"no TLS":                   nil,
		"TLS without certificate":  withCert("", ""),
		"another CA's certificate": withCert(rogueCert, rogueKey),
		"the CA's certificate":     withCert(appCert, appKey),
	} {
		t.Run(name, func(t *testing.T) {
			dctx, dcancel := context.WithTimeout(ctx, 15*time.Second)
			defer dcancel()
			c, err := client.DialContext(dctx, client.Options{HostPort: ts.HostPort(), Namespace: "complaints",
				ConnectionOptions: client.ConnectionOptions{TLS: tc}, Logger: tlog.NewStructuredLogger(testenv.Logger(t))})
			if err == nil {
				_, err = c.CheckHealth(dctx, &client.CheckHealthRequest{})
				c.Close()
			}
			switch valid := name == "the CA's certificate"; {
			case valid && err != nil:
				t.Fatalf("a client with the CA's certificate was refused: %v", err)
			case !valid && err == nil:
				t.Fatal("the frontend answered a client without a valid certificate")
			case !valid:
				t.Logf("refused: %v", err)
			}
		})
	}

	// The API and the worker, with their certificate, run a case.
	s := startStack(t, "TEMPORAL_ADDRESS", ts.HostPort(), "TEMPORAL_TLS_CERT", appCert, "TEMPORAL_TLS_KEY", appKey,
		"TEMPORAL_TLS_CA", caFile, "TEMPORAL_TLS_SERVER_NAME", "localhost")
	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": "cust-mtls", "name": "Li Na", "email": "li.na@example.com"}
	var created struct {
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created)
	eventually(t, "acknowledged over mTLS", func() bool {
		var tr struct{ Status string }
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
		return tr.Status == complaint.StatusAcknowledged
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
