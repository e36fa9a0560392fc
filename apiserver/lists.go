package apiserver

import (
	"encoding/json"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/internal/store"
)

// Labels are a value's words in each page language (zh, en), from the
// pages' translations (web/i18n).
type Labels map[string]string

// ListItem is one value of a list with its labels.
type ListItem struct {
	Value  string `json:"value"`
	Labels Labels `json:"labels"`
}

// StatusItem is a case status: the step of the tracking page's progress it
// shows as (a status that is no step of its own shows as the step it
// belongs to), whether the case is still open, and the words the staff
// (labels) and the customer (customer_labels) read for it.
type StatusItem struct {
	ListItem
	Step           string `json:"step"`
	Open           bool   `json:"open"`
	CustomerLabels Labels `json:"customer_labels"`
}

// RemedyKindItem is a remedy kind (workflows.RemedyKinds) with its labels.
type RemedyKindItem struct {
	ListItem
	Amount     complaint.AmountRule `json:"amount"`
	Money      bool                 `json:"money"`
	Fulfilment bool                 `json:"fulfilment"`
}

// RoleItem is a staff role with its approval level (workflows.RoleLevel:
// agent 1 to director 4; 0 for roles that do not handle cases).
type RoleItem struct {
	ListItem
	Level int `json:"level"`
}

// DimensionItem is a report dimension; group_only ones (day, week, month)
// do not filter.
type DimensionItem struct {
	ListItem
	GroupOnly bool `json:"group_only"`
}

// ProblemCodeItem is a field error's code with its parameters; its labels
// are templates naming the parameters in braces ("at most {max}").
type ProblemCodeItem struct {
	ListItem
	Params []string `json:"params"`
}

// Lists is the answer of GET /v1/lists: every list the API accepts or
// answers with, each derived from the one place the Go code writes it, so
// the pages and other clients never keep a copy.
type Lists struct {
	Statuses         []StatusItem      `json:"statuses"`
	Categories       []ListItem        `json:"categories"`
	Severities       []ListItem        `json:"severities"`
	RemedyKinds      []RemedyKindItem  `json:"remedy_kinds"`
	Channels         []ListItem        `json:"channels"`
	Languages        []ListItem        `json:"languages"`
	Roles            []RoleItem        `json:"roles"`
	Responsibilities []ListItem        `json:"responsibilities"`
	ReportDimensions []DimensionItem   `json:"report_dimensions"`
	SpikeDimensions  []ListItem        `json:"spike_dimensions"`
	Clocks           []ListItem        `json:"clocks"`
	ProblemCodes     []ProblemCodeItem `json:"problem_codes"`
	// ScriptStages and AbuseKinds are the handling practices' lists
	// (docs/practices.md).
	ScriptStages []ListItem `json:"script_stages"`
	AbuseKinds   []ListItem `json:"abuse_kinds"`
}

// customerStep is the step of the tracking page's progress a status that
// is no step of its own shows as.
func customerStep(status string) string {
	switch status {
	case complaint.StatusAwaitingInfo:
		return complaint.StatusInvestigating
	case complaint.StatusExecuting, complaint.StatusFulfilling:
		return complaint.StatusAwaitingApproval
	case complaint.StatusWithdrawn, complaint.StatusMerged:
		return complaint.StatusClosed
	}
	return status
}

// Label prefixes: the translation key of a list's value is its prefix and
// the value ("status.closed").
const (
	prefixStatus         = "status."
	prefixTrackStatus    = "track.status."
	prefixCategory       = "category."
	prefixSeverity       = "severity."
	prefixRemedy         = "remedy."
	prefixChannel        = "channel."
	prefixLanguage       = "language."
	prefixRole           = "role."
	prefixResponsibility = "responsibility."
	prefixDimension      = "dimension."
	prefixClock          = "clock."
	prefixProblem        = "problem."
	prefixScriptStage    = "stage."
	prefixAbuseKind      = "abuse_kind."
)

// buildLists derives the lists, labelled from dict (language, key, words).
func buildLists(dict map[string]map[string]string) Lists {
	labels := func(key string) Labels {
		out := Labels{}
		for _, lang := range Languages() {
			if v, ok := dict[lang][key]; ok {
				out[lang] = v
			} else {
				out[lang] = key
			}
		}
		return out
	}
	items := func(prefix string, values []string) []ListItem {
		out := make([]ListItem, len(values))
		for i, v := range values {
			out[i] = ListItem{Value: v, Labels: labels(prefix + v)}
		}
		return out
	}
	var l Lists
	for _, s := range complaint.Statuses() {
		l.Statuses = append(l.Statuses, StatusItem{ListItem: ListItem{s, labels(prefixStatus + s)}, Step: customerStep(s),
			Open: complaint.IsOpen(s), CustomerLabels: labels(prefixTrackStatus + s)})
	}
	l.Categories = items(prefixCategory, complaint.Categories())
	l.Severities = items(prefixSeverity, complaint.Severities())
	for _, k := range complaint.RemedyKinds() {
		l.RemedyKinds = append(l.RemedyKinds, RemedyKindItem{ListItem: ListItem{k.Type, labels(prefixRemedy + k.Type)},
			Amount: k.Amount, Money: k.Money, Fulfilment: k.Fulfilment})
	}
	l.Channels = items(prefixChannel, Channels())
	l.Languages = items(prefixLanguage, Languages())
	for _, r := range complaint.Roles() {
		l.Roles = append(l.Roles, RoleItem{ListItem: ListItem{r, labels(prefixRole + r)}, Level: complaint.RoleLevel(r)})
	}
	l.Responsibilities = items(prefixResponsibility, complaint.Responsibilities())
	for _, d := range store.ReportDimensions() {
		l.ReportDimensions = append(l.ReportDimensions, DimensionItem{ListItem: ListItem{d, labels(prefixDimension + d)},
			GroupOnly: slices.Contains(store.TimeDimensions(), d)})
	}
	l.SpikeDimensions = items(prefixDimension, complaint.SpikeDimensions())
	l.Clocks = items(prefixClock, complaint.ClockNames())
	for _, c := range complaint.ErrorCodes() {
		l.ProblemCodes = append(l.ProblemCodes, ProblemCodeItem{ListItem: ListItem{c.Code, labels(prefixProblem + c.Code)},
			Params: append([]string{}, c.Params...)})
	}
	l.ScriptStages = items(prefixScriptStage, complaint.ScriptStages())
	l.AbuseKinds = items(prefixAbuseKind, complaint.AbuseKinds())
	return l
}

// listsHandler is GET /v1/lists. It needs no token: every value is in the
// public OpenAPI document already, none is about a case or a person, and
// the customer's tracking page reads the statuses. The answer changes only
// with a new build, so it is rendered once and may be cached briefly.
func listsHandler(dict map[string]map[string]string) (gin.HandlerFunc, error) {
	body, err := json.Marshal(buildLists(dict))
	if err != nil {
		return nil, fmt.Errorf("apiserver: lists: %w", err)
	}
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	}, nil
}
