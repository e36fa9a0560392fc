package deploy

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// devCerts runs deploy/certs/gen-dev-certs.sh into a temporary folder,
// checks that the server's and the clients' certificates chain to its CA
// with the uses mTLS needs, and returns the names of the files it made.
func devCerts(t *testing.T) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("certs/gen-dev-certs.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("gen-dev-certs.sh: %v\n%s", err, out)
	}
	read := func(name string) *x509.Certificate {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s: no PEM", name)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return c
	}
	roots := x509.NewCertPool()
	roots.AddCert(read("ca.pem"))
	for name, use := range map[string]struct {
		dns  string
		uses []x509.ExtKeyUsage
	}{
		"temporal.pem":    {"temporal", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		"complaints.pem":  {"", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		"temporal-ui.pem": {"", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	} {
		for _, u := range use.uses {
			if _, err := read(name).Verify(x509.VerifyOptions{Roots: roots, DNSName: use.dns, KeyUsages: []x509.ExtKeyUsage{u}}); err != nil {
				t.Errorf("%s for use %v: %v", name, u, err)
			}
		}
	}
	out := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}

// checkComposeFrontDoor: the Temporal frontend is on an internal network
// that only PostgreSQL, the server, the API, the workers and the UI join,
// publishes no port, and requires client certificates; the API and the
// workers present one; the UI is not started by `up` and publishes
// nothing.
func checkComposeFrontDoor(t *testing.T, p *types.Project) {
	t.Helper()
	if n, ok := p.Networks["temporal"]; !ok || !n.Internal {
		t.Errorf("the temporal network is %+v; want an internal network", n)
	}
	all := map[string]types.ServiceConfig{}
	for name, s := range p.Services {
		all[name] = s
	}
	for name, s := range p.DisabledServices {
		all[name] = s
	}
	allowed := []string{"postgresql", "temporal", "worker", "api", "temporal-ui"}
	for name, s := range all {
		if _, on := s.Networks["temporal"]; on && !slices.Contains(allowed, name) {
			t.Errorf("%s joins the Temporal frontend's network", name)
		}
	}
	for _, name := range []string{"temporal", "temporal-ui"} {
		s, ok := all[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if len(s.Ports) != 0 {
			t.Errorf("%s publishes %v on the host", name, s.Ports)
		}
		want := 1
		if name == "temporal" {
			// Its metrics port is for Prometheus, on a network of their own.
			want = 2
			if _, on := s.Networks["temporal-metrics"]; !on {
				t.Errorf("temporal is on %v; want temporal-metrics for its metrics too", s.Networks)
			}
		}
		if _, on := s.Networks["complaints"]; on || len(s.Networks) != want {
			t.Errorf("%s is on %v; want the temporal network alone (and temporal-metrics for the server)", name, s.Networks)
		}
	}
	if n, ok := p.Networks["temporal-metrics"]; !ok || !n.Internal {
		t.Errorf("the temporal-metrics network is %+v; want an internal network", n)
	}
	for name, s := range all {
		if _, on := s.Networks["temporal-metrics"]; on && name != "temporal" && name != "prometheus" {
			t.Errorf("%s joins the Temporal server's metrics network", name)
		}
	}
	if _, ok := p.DisabledServices["temporal-ui"]; !ok {
		t.Error("temporal-ui is started by `docker compose up`; want it behind the ops profile")
	}
	env := func(s types.ServiceConfig, k string) string {
		if v := s.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	temporal := all["temporal"]
	for k, want := range map[string]string{"TEMPORAL_TLS_REQUIRE_CLIENT_AUTH": "true", "TEMPORAL_TLS_FRONTEND_CERT": "/certs/temporal.pem",
		"TEMPORAL_TLS_CLIENT1_CA_CERT": "/certs/ca.pem", "TEMPORAL_TLS_SERVER_CERT": "/certs/temporal.pem"} {
		if got := env(temporal, k); got != want {
			t.Errorf("temporal: %s=%q, want %q", k, got, want)
		}
	}
	for _, name := range []string{"worker", "api"} {
		s := all[name]
		cfg := appConfig(t, name, func() map[string]string {
			m := map[string]string{}
			for k, v := range s.Environment {
				if v != nil {
					m[k] = *v
				}
			}
			return m
		}())
		tlsFiles := cfg.TemporalTLS
		for _, f := range []string{tlsFiles.CertFile, tlsFiles.KeyFile, tlsFiles.CAFile} {
			if f == "" || !slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Target == f }) {
				t.Errorf("%s: TEMPORAL_TLS file %q is not mounted (%+v)", name, f, tlsFiles)
			}
		}
	}
}

// checkNetworkPolicy: a NetworkPolicy admits to the Temporal frontend's
// port only the complaints API and workers (and Temporal's own services).
func checkNetworkPolicy(t *testing.T, policies []*networkingv1.NetworkPolicy, apiPods, workerPods, otherPods labels.Set) {
	t.Helper()
	var frontend *networkingv1.NetworkPolicy
	for _, p := range policies {
		if p.Spec.PodSelector.MatchLabels["app.kubernetes.io/component"] == "frontend" {
			frontend = p
		}
	}
	if frontend == nil {
		t.Fatal("no NetworkPolicy selects the Temporal frontend")
	}
	if frontend.Namespace != "temporal" || !slices.Contains(frontend.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
		t.Errorf("frontend policy: namespace %q, types %v", frontend.Namespace, frontend.Spec.PolicyTypes)
	}
	admits := func(pod labels.Set, ns labels.Set) bool {
		for _, r := range frontend.Spec.Ingress {
			for _, from := range r.From {
				podOK := from.PodSelector == nil || selects(t, from.PodSelector, pod)
				nsOK := from.NamespaceSelector == nil || selects(t, from.NamespaceSelector, ns)
				if from.NamespaceSelector == nil && ns["kubernetes.io/metadata.name"] != frontend.Namespace {
					nsOK = false
				}
				if podOK && nsOK {
					return true
				}
			}
		}
		return false
	}
	complaintsNS := labels.Set{"kubernetes.io/metadata.name": "complaints"}
	if !admits(apiPods, complaintsNS) || !admits(workerPods, complaintsNS) {
		t.Error("the frontend policy does not admit the API and the workers")
	}
	for name, c := range map[string]struct{ pod, ns labels.Set }{
		"another pod of the complaints namespace": {otherPods, complaintsNS},
		"a pod of another namespace":              {labels.Set{"app": "anything"}, labels.Set{"kubernetes.io/metadata.name": "default"}},
		"the API's labels in another namespace":   {apiPods, labels.Set{"kubernetes.io/metadata.name": "default"}},
	} {
		if admits(c.pod, c.ns) {
			t.Errorf("the frontend policy admits %s", name)
		}
	}
}

func selects(t *testing.T, s *metav1.LabelSelector, set labels.Set) bool {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel.Matches(set)
}

// TestKubernetesFrontDoor: the API and the workers mount the Temporal
// client certificate where TEMPORAL_TLS_* point, and the NetworkPolicy of
// deploy/k8s/temporal admits to the frontend only them (and Temporal's own
// pods).
func TestKubernetesFrontDoor(t *testing.T) {
	docs, _ := manifests(t)
	var config map[string]string
	pods := map[string]labels.Set{}
	for _, d := range docs {
		if o, ok := d.(*corev1.ConfigMap); ok && o.Name == "complaints-config" {
			config = o.Data
		}
	}
	for _, d := range docs {
		switch o := d.(type) {
		case *appsv1.Deployment:
			pods[o.Name] = o.Spec.Template.Labels
			c := o.Spec.Template.Spec.Containers[0]
			for _, k := range []string{"TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA"} {
				f := config[k]
				if f == "" {
					t.Fatalf("complaints-config has no %s", k)
				}
				if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
					return filepath.Dir(f) == m.MountPath && slices.ContainsFunc(o.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
						return v.Name == m.Name && v.Secret != nil
					})
				}) {
					t.Errorf("%s: %s=%s is not in a mounted Secret", o.Name, k, f)
				}
			}
		}
	}
	tdocs, files := manifestsIn(t, "k8s/temporal/*.yaml")
	var policies []*networkingv1.NetworkPolicy
	for _, d := range tdocs {
		if p, ok := d.(*networkingv1.NetworkPolicy); ok {
			policies = append(policies, p)
		}
	}
	b, err := os.ReadFile("k8s/temporal/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var kust struct {
		Namespace string   `json:"namespace"`
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &kust); err != nil {
		t.Fatal(err)
	}
	if kust.Namespace != "temporal" || !slices.Equal(kust.Resources, files) {
		t.Errorf("k8s/temporal/kustomization.yaml: namespace %q, resources %v; want temporal, %v", kust.Namespace, kust.Resources, files)
	}
	other := labels.Set{"app.kubernetes.io/name": "grafana"}
	checkNetworkPolicy(t, policies, pods["complaints-api"], pods["complaints-worker"], other)
}
