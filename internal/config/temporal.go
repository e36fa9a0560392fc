package config

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// WorkerTuning is the Temporal worker's capacity. CacheSize is the
// process-wide sticky workflow cache (cases kept in memory between their
// workflow tasks; SDK default 10,000), the others the concurrent slots and
// pollers of each kind.
type WorkerTuning struct {
	CacheSize       int
	WorkflowTasks   int
	Activities      int
	LocalActivities int
	WorkflowPollers int
	ActivityPollers int
}

// Worker defaults chosen by measurement (BENCHMARKS.md): the SDK's own
// sticky cache of 10,000 cases took the worker past 1 GiB with 10,000
// cases open; 2,000 keeps it bounded, and a case evicted from the cache
// replays its short history (about 60 events) at its next task. Two
// workflow-task pollers (the SDK's default) left new cases' first tasks
// waiting in the server on a busy machine; eight took them as they came.
const (
	DefaultWorkerCacheSize = 2000
	DefaultWorkflowPollers = 8
)

// TLSFiles name the PEM files of a TLS client: its certificate and key
// (mTLS), the CA that signed the server's certificate, and the name
// expected in it (default: TEMPORAL_ADDRESS's host).
type TLSFiles struct {
	CertFile, KeyFile, CAFile, ServerName string
}

// Enabled says any TLS setting is given.
func (t TLSFiles) Enabled() bool {
	return t.CertFile != "" || t.KeyFile != "" || t.CAFile != "" || t.ServerName != ""
}

// loadTemporal reads how to reach Temporal and what to run on it:
// TEMPORAL_* (address, namespace, task queue, the dev server's frontend,
// mTLS, the call timeout), the payload codec's keys (PAYLOAD_*) and the
// worker's tuning (WORKER_*).
func loadTemporal(getenv func(string) string, c *Config) []error {
	var errs []error
	c.TemporalAddress = getenv("TEMPORAL_ADDRESS")
	c.TemporalNamespace = or(getenv("TEMPORAL_NAMESPACE"), "complaints")
	c.TaskQueue = or(getenv("TEMPORAL_TASK_QUEUE"), "complaints")
	c.TemporalFrontend = or(getenv("TEMPORAL_FRONTEND_ADDR"), "127.0.0.1:7233")
	c.TemporalTLS = TLSFiles{CertFile: getenv("TEMPORAL_TLS_CERT"), KeyFile: getenv("TEMPORAL_TLS_KEY"),
		CAFile: getenv("TEMPORAL_TLS_CA"), ServerName: getenv("TEMPORAL_TLS_SERVER_NAME")}
	c.PayloadKeys, c.PayloadKeyID = getenv("PAYLOAD_KEYS"), getenv("PAYLOAD_KEY_ID")
	if c.TemporalAddress != "" {
		if _, _, err := net.SplitHostPort(c.TemporalAddress); err != nil {
			errs = append(errs, fmt.Errorf("TEMPORAL_ADDRESS: %q is not host:port", c.TemporalAddress))
		}
	}
	if _, _, err := net.SplitHostPort(c.TemporalFrontend); err != nil {
		errs = append(errs, fmt.Errorf("TEMPORAL_FRONTEND_ADDR: %q is not host:port", c.TemporalFrontend))
	}
	if t := c.TemporalTLS; (t.CertFile == "") != (t.KeyFile == "") {
		errs = append(errs, errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: set both or neither"))
	}
	var err error
	if c.TemporalTimeout, err = duration(getenv, "TEMPORAL_TIMEOUT", 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	if (c.PayloadKeys == "") != (c.PayloadKeyID == "") {
		errs = append(errs, errors.New("PAYLOAD_KEYS and PAYLOAD_KEY_ID: set both or neither"))
	}
	switch v := or(getenv("PAYLOAD_ACCEPT_PLAINTEXT"), "false"); v {
	case "true", "false":
		c.PayloadAcceptPlaintext = v == "true"
	default:
		errs = append(errs, fmt.Errorf("PAYLOAD_ACCEPT_PLAINTEXT: %q is not true or false", v))
	}
	// Zero takes the SDK's default for the worker's settings.
	for _, v := range []struct {
		name     string
		dst      *int
		def, min int
	}{{"WORKER_CACHE_SIZE", &c.Worker.CacheSize, DefaultWorkerCacheSize, 0}, {"WORKER_WORKFLOW_TASKS", &c.Worker.WorkflowTasks, 0, 0},
		{"WORKER_ACTIVITIES", &c.Worker.Activities, 0, 0}, {"WORKER_LOCAL_ACTIVITIES", &c.Worker.LocalActivities, 0, 0},
		{"WORKER_WORKFLOW_POLLERS", &c.Worker.WorkflowPollers, DefaultWorkflowPollers, 0}, {"WORKER_ACTIVITY_POLLERS", &c.Worker.ActivityPollers, 0, 0}} {
		n, err := Int(getenv, v.name, v.def)
		if err != nil || n < v.min {
			errs = append(errs, fmt.Errorf("%s: %q must be a whole number, at least %d", v.name, getenv(v.name), v.min))
			continue
		}
		*v.dst = n
	}
	return errs
}
