package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"github.com/complaint-handling/complaints/internal/config"
)

// clientTLS is the TLS configuration of the Temporal client from
// TEMPORAL_TLS_*: the process's certificate for mTLS, the CA that signed the
// frontend's certificate, and the name expected in it (default: the host of
// hostPort). No setting: nil, plain gRPC.
func clientTLS(f config.TLSFiles, hostPort string) (*tls.Config, error) {
	if !f.Enabled() {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName}
	if c.ServerName == "" {
		host, _, err := net.SplitHostPort(hostPort)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_SERVER_NAME: not given, and %q has no host: %w", hostPort, err)
		}
		c.ServerName = host
	}
	if f.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %s holds no PEM certificate", f.CAFile)
		}
	}
	return c, nil
}
