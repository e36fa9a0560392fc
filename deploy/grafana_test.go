package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// TestDashboardsDecodeIntoGrafanaTypes decodes every dashboard strictly into
// the Grafana Foundation SDK's dashboard types (an unknown or misspelt
// field, a wrong type, a missing required field fails), with each panel's
// queries decoded as Prometheus queries: every panel other than a row has
// the provisioned data source and at least one query with an expression
// (decoded strictly as the SDK's Prometheus query),
// and every data link opens the console.
func TestDashboardsDecodeIntoGrafanaTypes(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	files, err := filepath.Glob("grafana/dashboards/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("dashboards %v: %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// The dashboards are Grafana's classic JSON model (schema v1),
			// which dashboard.Dashboard decodes; dashboardv2 is the new
			// schema, which these files do not use.
			//lint:ignore SA1019 the shipped dashboards are v1 JSON
			var d dashboard.Dashboard
			if err := strict(d.UnmarshalJSONStrict(raw)); err != nil {
				t.Fatalf("not a Grafana dashboard: %v", err)
			}
			if d.Uid == nil || *d.Uid == "" || d.Title == nil || *d.Title == "" {
				t.Fatalf("uid %v, title %v", d.Uid, d.Title)
			}
			// v0.0.22's panel decoder drops a panel whose (empty) error list
			// it returns typed, so each panel is decoded here as well.
			var raws struct {
				Panels []json.RawMessage `json:"panels"`
			}
			if err := json.Unmarshal(raw, &raws); err != nil {
				t.Fatal(err)
			}
			queries := 0
			for i, pr := range raws.Panels {
				var kind struct{ Type string }
				_ = json.Unmarshal(pr, &kind)
				if kind.Type == "row" {
					var r dashboard.RowPanel
					if err := strict(r.UnmarshalJSONStrict(pr)); err != nil {
						t.Errorf("panels[%d]: not a row: %v", i, err)
					}
					continue
				}
				var p dashboard.Panel
				if err := strict(p.UnmarshalJSONStrict(pr)); err != nil {
					t.Errorf("panels[%d]: not a panel: %v", i, err)
					continue
				}
				title := ""
				if p.Title != nil {
					title = *p.Title
				}
				if p.Datasource == nil || p.Datasource.Uid == nil || *p.Datasource.Uid != "complaints-prometheus" {
					t.Errorf("%s: data source %+v", title, p.Datasource)
				}
				// The targets too: decoded one by one as Prometheus queries.
				var targets struct {
					Targets []json.RawMessage `json:"targets"`
				}
				_ = json.Unmarshal(pr, &targets)
				if len(targets.Targets) == 0 {
					t.Errorf("%s: no query", title)
				}
				for j, q := range targets.Targets {
					var pq prometheus.Dataquery
					if err := strict(pq.UnmarshalJSONStrict(q)); err != nil || strings.TrimSpace(pq.Expr) == "" {
						t.Errorf("%s: targets[%d] is not a Prometheus query with an expression: %v", title, j, err)
						continue
					}
					queries++
				}
				if p.FieldConfig != nil {
					for _, l := range p.FieldConfig.Defaults.Links {
						if l.Url == nil || !strings.HasPrefix(*l.Url, "${console_url}/console/") {
							t.Errorf("%s: data link %v does not open the console", title, l.Url)
						}
					}
				}
			}
			if queries == 0 {
				t.Error("no queries")
			}
		})
	}
}

// strict is the SDK's decoding error, or nil: v0.0.22 returns its error
// list typed even when it is empty.
func strict(err error) error {
	if be, ok := err.(cog.BuildErrors); ok && len(be) == 0 {
		return nil
	}
	return err
}
