package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Certs are PEM files made for one topology: a CA, the frontend's server certificate (SAN: the
// topology's IP) and a client certificate, both signed by the CA; and a second, unrelated CA with
// its own client certificate, for tests of what a wrong CA or a foreign client certificate does.
type Certs struct {
	Dir                          string
	CA                           string
	ServerCert, ServerKey        string
	ClientCert, ClientKey        string
	OtherCA                      string
	OtherClientCert, OtherClient string // signed by OtherCA; OtherClient is its key
}

func (c *Certs) topologyTLS(mutual bool) *TLS {
	return &TLS{CA: c.CA, ServerCert: c.ServerCert, ServerKey: c.ServerKey, ClientCert: c.ClientCert, ClientKey: c.ClientKey, RequireClientCert: mutual}
}

type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// MakeCerts writes a fresh set of certificates into dir, valid for a day.
func MakeCerts(dir, ip string) (*Certs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	c := &Certs{Dir: dir}
	ca, err := newAuthority("tasker test CA")
	if err != nil {
		return nil, err
	}
	other, err := newAuthority("unrelated CA")
	if err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error { c.CA, err = writeCert(dir, "ca", ca.cert.Raw); return err },
		func() error { c.OtherCA, err = writeCert(dir, "other-ca", other.cert.Raw); return err },
		func() error {
			c.ServerCert, c.ServerKey, err = ca.issue(dir, "server", ip, x509.ExtKeyUsageServerAuth)
			return err
		},
		func() error {
			c.ClientCert, c.ClientKey, err = ca.issue(dir, "client", "", x509.ExtKeyUsageClientAuth)
			return err
		},
		func() error {
			c.OtherClientCert, c.OtherClient, err = other.issue(dir, "other-client", "", x509.ExtKeyUsageClientAuth)
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("certificates: %w", err)
		}
	}
	return c, nil
}

func newAuthority(name string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	return &authority{cert: cert, key: key}, nil
}

// issue writes name.pem and name-key.pem: a leaf certificate for usage, with ip as its SAN when set.
func (a *authority) issue(dir, name, ip string, usage x509.ExtKeyUsage) (string, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "tasker " + name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if ip != "" {
		tmpl.IPAddresses = []net.IP{net.ParseIP(ip)}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return "", "", fmt.Errorf("%s certificate: %w", name, err)
	}
	certFile, err := writeCert(dir, name, der)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	keyFile := filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

func writeCert(dir, name string, der []byte) (string, error) {
	file := filepath.Join(dir, name+".pem")
	return file, os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
