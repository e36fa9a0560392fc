package deploy

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestTrustedProxiesAreNarrow refuses a Kubernetes TRUSTED_PROXIES wider
// than a /16: every address it lists may name any client in
// X-Forwarded-For, so trusting all of 10.0.0.0/8 lets any pod in the
// cluster (or anything routed from the private network) pick its own
// rate-limit bucket.
func TestTrustedProxiesAreNarrow(t *testing.T) {
	docs, _ := manifests(t)
	found := false
	for _, d := range docs {
		cm, ok := d.(*corev1.ConfigMap)
		if !ok || cm.Data["TRUSTED_PROXIES"] == "" {
			continue
		}
		found = true
		for _, v := range strings.Split(cm.Data["TRUSTED_PROXIES"], ",") {
			v = strings.TrimSpace(v)
			bits := 32
			if p, err := netip.ParsePrefix(v); err == nil {
				bits = p.Bits()
				if p.Addr().Is6() {
					bits -= 96
				}
			} else if _, err := netip.ParseAddr(v); err != nil {
				t.Errorf("ConfigMap %s: TRUSTED_PROXIES entry %q is neither an address nor a CIDR", cm.Name, v)
				continue
			}
			if bits < 16 {
				t.Errorf("ConfigMap %s: TRUSTED_PROXIES trusts %s; name the ingress controller (a /16 or narrower)", cm.Name, v)
			}
		}
	}
	if !found {
		t.Error("no ConfigMap sets TRUSTED_PROXIES")
	}
}

// TestComposeMonitoringIsLocal keeps Prometheus (no authentication) and
// Grafana on the host's loopback, and Grafana without a default admin
// password: the file refuses to load without GRAFANA_ADMIN_PASSWORD.
func TestComposeMonitoringIsLocal(t *testing.T) {
	env := exampleEnv(t)
	p, err := loadCompose(env)
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if name == "gateway" {
				continue // the public front door
			}
			if ip, err := netip.ParseAddr(port.HostIP); err != nil || !ip.IsLoopback() {
				t.Errorf("%s publishes %s on %q; want 127.0.0.1", name, port.Published, port.HostIP)
			}
		}
	}
	if pw := p.Services["grafana"].Environment["GF_SECURITY_ADMIN_PASSWORD"]; pw == nil || *pw != env["GRAFANA_ADMIN_PASSWORD"] {
		t.Errorf("grafana's admin password is %v, want GRAFANA_ADMIN_PASSWORD", pw)
	}
	delete(env, "GRAFANA_ADMIN_PASSWORD")
	if _, err := loadCompose(env); err == nil || !strings.Contains(err.Error(), "GRAFANA_ADMIN_PASSWORD") {
		t.Errorf("loaded without GRAFANA_ADMIN_PASSWORD (Grafana would start with admin/admin): %v", err)
	}
}
