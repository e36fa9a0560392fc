// Package deploy holds the deployment files; its tests check them offline
// (no Docker engine, no cluster, no schema download): the Compose file as
// Docker Compose loads it, the Kubernetes manifests strictly decoded into
// the API types, and both against the binary's own configuration rules.
package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/temporalserver"
)

// exampleEnv is .env.example with its blanks filled as an operator would.
func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("compose/.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	filled := map[string]string{"POSTGRES_PASSWORD": "pg-secret", "APP_DB_PASSWORD": "app-secret", "JWT_SECRET": strings.Repeat("j", 32),
		"TOKEN_SECRET": strings.Repeat("t", 32), "PAYLOAD_KEYS": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"DECISION_SIGNING_KEY": strings.Repeat("d", 32), "GRAFANA_ADMIN_PASSWORD": "grafana-secret"}
	for k, v := range filled {
		if _, ok := env[k]; !ok {
			t.Errorf(".env.example lacks %s", k)
		}
		env[k] = v
	}
	return env
}

func loadCompose(env map[string]string) (*types.Project, error) {
	abs, err := filepath.Abs("compose")
	if err != nil {
		return nil, err
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir: abs, ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(abs, "compose.yaml")}}, Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("complaints", true) })
}

// appConfig runs the binary's configuration rules over a process's
// environment, as `complaints api` and `complaints worker` do at start.
func appConfig(t *testing.T, what string, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err == nil {
		err = cfg.RequireExternal()
	}
	if err != nil {
		t.Errorf("%s: the binary refuses its environment: %v", what, err)
	}
	return cfg
}

func TestComposeTopology(t *testing.T) {
	env := exampleEnv(t)
	p, err := loadCompose(env)
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"postgresql", "temporal-schema", "temporal", "worker", "api", "gateway", "prometheus", "grafana"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("no service %s", name)
		}
	}
	checkComposeFrontDoor(t, p)
	temporal := p.Services["temporal"]
	if !strings.HasPrefix(temporal.Image, "temporalio/server:") || temporal.Environment["DB"] == nil || *temporal.Environment["DB"] != "postgres12" {
		t.Errorf("temporal: image %s on %v; want the official server on PostgreSQL", temporal.Image, temporal.Environment["DB"])
	}
	if c := temporal.DependsOn["temporal-schema"].Condition; c != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("temporal starts on the schema job's %q, want its success", c)
	}

	for _, name := range []string{"worker", "api"} {
		s := p.Services[name]
		if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas < 2 {
			t.Errorf("%s: want at least 2 replicas, have %+v", name, s.Deploy)
		} else if s.Deploy.Resources.Limits == nil || s.Deploy.Resources.Limits.MemoryBytes == 0 || s.Deploy.Resources.Limits.NanoCPUs == 0 {
			t.Errorf("%s: no resource limits", name)
		}
		if s.Build == nil {
			t.Errorf("%s: no build", name)
		} else if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: Dockerfile: %v", name, err)
		}
		if s.HealthCheck == nil || !slices.Contains(s.HealthCheck.Test, "health") {
			t.Errorf("%s: health check %+v; want `complaints health .../readyz`", name, s.HealthCheck)
		}
		if len(s.Command) != 1 || s.Command[0] != name {
			t.Errorf("%s: command %v", name, s.Command)
		}
		penv := map[string]string{}
		for k, v := range s.Environment {
			if v != nil {
				penv[k] = *v
			}
		}
		cfg := appConfig(t, name, penv)
		// The process runs as the role that cannot rewrite the audit
		// trail, after db-roles made it a login; the owner migrates.
		if !strings.HasPrefix(cfg.DatabaseURL, "postgres://complaints_app:") || !strings.HasPrefix(cfg.MigrateDatabaseURL, "postgres://complaints:") {
			t.Errorf("%s: DATABASE_URL %s, MIGRATE_DATABASE_URL %s; want complaints_app and the owner", name, cfg.DatabaseURL, cfg.MigrateDatabaseURL)
		}
		if c := s.DependsOn["db-roles"].Condition; c != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s starts on db-roles' %q, want its success", name, c)
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < cfg.ShutdownDrain+cfg.ShutdownTimeout {
			t.Errorf("%s: stop_grace_period %v is shorter than the drain %s and the shutdown %s", name, s.StopGracePeriod, cfg.ShutdownDrain, cfg.ShutdownTimeout)
		}
		// The health check and Prometheus reach the port the process listens on.
		addr := cfg.HTTPAddr
		if name == "worker" {
			addr = cfg.WorkerHTTPAddr
		}
		port := addr[strings.LastIndex(addr, ":")+1:]
		if !slices.Contains(s.HealthCheck.Test, "http://127.0.0.1:"+port+"/readyz") || !slices.Contains(s.Expose, port) {
			t.Errorf("%s listens on %s; health check %v, expose %v", name, addr, s.HealthCheck.Test, s.Expose)
		}
		if !promTargets(t)[name+":"+port] {
			t.Errorf("Prometheus does not scrape %s:%s (targets %v)", name, port, promTargets(t))
		}
	}

	// Every file the services mount is in the repository, or is a
	// certificate deploy/certs/gen-dev-certs.sh makes.
	certs := devCerts(t)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if filepath.Base(filepath.Dir(v.Source)) == "certs" {
					if !certs[filepath.Base(v.Source)] {
						t.Errorf("%s mounts %s, which gen-dev-certs.sh does not make", name, v.Source)
					}
					continue
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s: %v", name, v.Source, err)
				}
			}
		}
	}

	// Without a secret the file refuses to load, naming the variable.
	delete(env, "JWT_SECRET")
	if _, err := loadCompose(env); err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Errorf("loaded without JWT_SECRET: %v", err)
	}
}

// promTargets are the host:port pairs deploy/prometheus/prometheus.yml
// scrapes through Docker's DNS.
func promTargets(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			DNSSD []struct {
				Names []string
				Port  int
			} `json:"dns_sd_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, d := range sc.DNSSD {
			for _, n := range d.Names {
				out[n+":"+strconv.Itoa(d.Port)] = true
			}
		}
	}
	return out
}

// TestTemporalDynamicConfigMatchesEmbedded keeps the Compose server's
// tuning the same as the embedded server's that the benchmarks measured.
func TestTemporalDynamicConfigMatchesEmbedded(t *testing.T) {
	b, err := os.ReadFile("compose/temporal/dynamicconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string][]struct {
		Value       any            `json:"value"`
		Constraints map[string]any `json:"constraints"`
	}
	if err := yaml.UnmarshalStrict(b, &file); err != nil {
		t.Fatal(err)
	}
	lower := map[string]int{}
	for k, v := range file {
		if len(v) == 1 {
			if n, ok := v[0].Value.(float64); ok {
				lower[strings.ToLower(k)] = int(n)
			}
		}
	}
	embedded := temporalserver.DynamicConfig()
	if len(file) != len(embedded) {
		t.Errorf("the file sets %d keys, the embedded server %d", len(file), len(embedded))
	}
	for k, v := range embedded {
		if got, ok := lower[strings.ToLower(k.String())]; !ok || got != v.(int) {
			t.Errorf("%s: file %d, embedded %v", k, got, v)
		}
	}
}

// manifests strictly decodes every document of deploy/k8s into its API
// type: an unknown field, a misspelt one or a wrong type fails.
func manifests(t *testing.T) (docs []any, files []string) {
	t.Helper()
	return manifestsIn(t, "k8s/*.yaml")
}

// manifestsIn is manifests for the files matching glob.
func manifestsIn(t *testing.T, glob string) (docs []any, files []string) {
	t.Helper()
	paths, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if filepath.Base(path) == "kustomization.yaml" {
			continue
		}
		files = append(files, filepath.Base(path))
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rd := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for {
			doc, err := rd.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var obj any
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				obj = &appsv1.Deployment{}
			case "v1 Service":
				obj = &corev1.Service{}
			case "v1 ConfigMap":
				obj = &corev1.ConfigMap{}
			case "v1 Secret":
				obj = &corev1.Secret{}
			case "policy/v1 PodDisruptionBudget":
				obj = &policyv1.PodDisruptionBudget{}
			case "autoscaling/v2 HorizontalPodAutoscaler":
				obj = &autoscalingv2.HorizontalPodAutoscaler{}
			case "monitoring.coreos.com/v1 ServiceMonitor":
				obj = &monitoringv1.ServiceMonitor{}
			case "networking.k8s.io/v1 NetworkPolicy":
				obj = &networkingv1.NetworkPolicy{}
			default:
				t.Fatalf("%s: no type for %s %s", path, tm.APIVersion, tm.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s (%s): %v", path, tm.Kind, err)
			}
			docs = append(docs, obj)
		}
	}
	return docs, files
}

func TestKubernetesManifests(t *testing.T) {
	docs, files := manifests(t)
	var kust struct {
		Resources []string `json:"resources"`
	}
	b, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &kust); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f != "secret.example.yaml" && !slices.Contains(kust.Resources, f) {
			t.Errorf("kustomization.yaml does not list %s", f)
		}
	}
	for _, r := range kust.Resources {
		if !slices.Contains(files, r) {
			t.Errorf("kustomization.yaml lists %s, which is not there", r)
		}
	}

	deployments := map[string]*appsv1.Deployment{}
	var services []*corev1.Service
	var pdbs []*policyv1.PodDisruptionBudget
	var hpas []*autoscalingv2.HorizontalPodAutoscaler
	var monitors []*monitoringv1.ServiceMonitor
	envFrom := map[string]map[string]string{}
	for _, d := range docs {
		switch o := d.(type) {
		case *appsv1.Deployment:
			deployments[o.Name] = o
		case *corev1.Service:
			services = append(services, o)
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, o)
		case *monitoringv1.ServiceMonitor:
			monitors = append(monitors, o)
		case *corev1.ConfigMap:
			envFrom[o.Name] = o.Data
		case *corev1.Secret:
			envFrom[o.Name] = o.StringData
		}
	}

	for _, name := range []string{"complaints-api", "complaints-worker"} {
		d := deployments[name]
		if d == nil {
			t.Errorf("no Deployment %s", name)
			continue
		}
		pod := d.Spec.Template
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			t.Errorf("%s: selector %v does not match its pods %v", name, d.Spec.Selector, pod.Labels)
		}
		if len(pod.Spec.Containers) != 1 {
			t.Fatalf("%s: %d containers", name, len(pod.Spec.Containers))
		}
		c := pod.Spec.Containers[0]
		ports := map[string]int32{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		for probe, want := range map[string]struct {
			p    *corev1.Probe
			path string
		}{"liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}} {
			if want.p == nil || want.p.HTTPGet == nil || want.p.HTTPGet.Path != want.path || ports[want.p.HTTPGet.Port.StrVal] == 0 {
				t.Errorf("%s: %s probe %+v; want GET %s on a named container port", name, probe, want.p, want.path)
			}
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if c.Resources.Requests.Name(res, "").IsZero() || c.Resources.Limits.Name(res, "").IsZero() {
				t.Errorf("%s: %s request or limit missing", name, res)
			}
		}
		// The container's environment, as the kubelet assembles it (the
		// example Secret stands for the real one).
		env := map[string]string{}
		for _, ef := range c.EnvFrom {
			switch {
			case ef.ConfigMapRef != nil:
				maps(env, envFrom[ef.ConfigMapRef.Name], t, name, ef.ConfigMapRef.Name)
			case ef.SecretRef != nil:
				maps(env, envFrom[ef.SecretRef.Name], t, name, ef.SecretRef.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				env[e.Name] = e.Value
			}
		}
		cfg := appConfig(t, name, env)
		addr := cfg.HTTPAddr
		if c.Args[0] == "worker" {
			addr = cfg.WorkerHTTPAddr
		}
		if port := addr[strings.LastIndex(addr, ":")+1:]; port != strconv.Itoa(int(ports[c.ReadinessProbe.HTTPGet.Port.StrVal])) {
			t.Errorf("%s listens on %s, its probes go to port %d", name, addr, ports[c.ReadinessProbe.HTTPGet.Port.StrVal])
		}
		var preStop time.Duration
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
		}
		if grace := pod.Spec.TerminationGracePeriodSeconds; grace == nil ||
			time.Duration(*grace)*time.Second <= preStop+cfg.ShutdownDrain+cfg.ShutdownTimeout {
			t.Errorf("%s: terminationGracePeriodSeconds %v does not cover preStop %s + drain %s + shutdown %s",
				name, grace, preStop, cfg.ShutdownDrain, cfg.ShutdownTimeout)
		}

		// A Service and a PodDisruptionBudget select these pods.
		if !slices.ContainsFunc(services, func(s *corev1.Service) bool {
			return labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pod.Labels)) && ports[s.Spec.Ports[0].TargetPort.StrVal] != 0
		}) {
			t.Errorf("%s: no Service selects its pods on a named port", name)
		}
		if !slices.ContainsFunc(pdbs, func(p *policyv1.PodDisruptionBudget) bool {
			s, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
			return err == nil && s.Matches(labels.Set(pod.Labels))
		}) {
			t.Errorf("%s: no PodDisruptionBudget", name)
		}
	}

	if len(hpas) != 1 || hpas[0].Spec.ScaleTargetRef.Kind != "Deployment" || hpas[0].Spec.ScaleTargetRef.Name != "complaints-worker" ||
		hpas[0].Spec.MinReplicas == nil || *hpas[0].Spec.MinReplicas < 2 {
		t.Errorf("want one autoscaler of the workers from 2 replicas, have %+v", hpas)
	}

	// Each ServiceMonitor selects a Service and names one of its ports.
	for _, m := range monitors {
		sel, err := metav1.LabelSelectorAsSelector(&m.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range services {
			if sel.Matches(labels.Set(s.Labels)) && slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == m.Spec.Endpoints[0].Port }) {
				found = true
			}
		}
		if !found || m.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor %s scrapes nothing", m.Name)
		}
	}
	if len(monitors) != 2 {
		t.Errorf("%d ServiceMonitors, want the API's and the workers'", len(monitors))
	}
}

func maps(dst, src map[string]string, t *testing.T, who, from string) {
	if src == nil {
		t.Errorf("%s reads %s, which is not in deploy/k8s", who, from)
	}
	for k, v := range src {
		dst[k] = v
	}
}

// TestGatewayKeepsMetricsInsideAndNamesTheClient checks the public proxy:
// /metrics (and anything under it) is refused there, it replaces the
// client's forwarding headers with the peer's address, and the API
// trusts those headers from the gateway's address alone.
func TestGatewayKeepsMetricsInsideAndNamesTheClient(t *testing.T) {
	b, err := os.ReadFile("compose/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := regexp.MustCompile(`#[^\n]*`).ReplaceAllString(string(b), "")
	if !regexp.MustCompile(`location\s+(\^~|=)\s+/metrics\s*\{\s*return\s+40[34];\s*\}`).MatchString(conf) {
		t.Error("nginx.conf serves /metrics to the public; want `location ^~ /metrics { return 404; }`")
	}
	for _, h := range []string{"X-Forwarded-For", "X-Real-IP"} {
		if !regexp.MustCompile(`proxy_set_header\s+` + h + `\s+\$remote_addr;`).MatchString(conf) {
			t.Errorf("nginx.conf passes on the client's own %s; want it set to $remote_addr", h)
		}
	}
	p, err := loadCompose(exampleEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	gw := p.Services["gateway"].Networks["complaints"]
	if gw == nil || gw.Ipv4Address == "" {
		t.Fatal("the gateway has no fixed address for TRUSTED_PROXIES to name")
	}
	penv := map[string]string{}
	for k, v := range p.Services["api"].Environment {
		if v != nil {
			penv[k] = *v
		}
	}
	if cfg := appConfig(t, "api", penv); !slices.Equal(cfg.TrustedProxies, []string{gw.Ipv4Address}) {
		t.Errorf("api trusts %v, want the gateway %s only", cfg.TrustedProxies, gw.Ipv4Address)
	}
}
