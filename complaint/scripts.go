package complaint

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Script stages: the step of a case a response script is written for
// (seeds 001 and 002: a prepared script is what lets front-line staff say
// no politely and firmly).
const (
	StageAcknowledgement = "acknowledgement"
	StageInfoRequest     = "info_request"
	StageProposal        = "proposal"
	StageRefusal         = "refusal"
	StageAppealAnswer    = "appeal_answer"
	StageClosing         = "closing"
	StageAbuseWarning    = "abuse_warning"
	StageCallback        = "callback"
)

// ScriptStages returns every script stage.
func ScriptStages() []string {
	return []string{StageAcknowledgement, StageInfoRequest, StageProposal, StageRefusal,
		StageAppealAnswer, StageClosing, StageAbuseWarning, StageCallback}
}

// ScriptLanguages are the languages a script is written in.
func ScriptLanguages() []string { return []string{"zh", "en"} }

// ScriptCategoryAny is the category of a script for every category.
const ScriptCategoryAny = "any"

// ScriptVariables returns the variables a script may name in braces, each
// filled from the case when the script is rendered (ScriptValues).
func ScriptVariables() []string {
	return []string{"customer_name", "case_number", "due_date", "amount", "handler_name", "category", "regulator", "review_date"}
}

// Script statuses: a version is proposed, then approved (usable) or
// superseded by a newer approved version.
const (
	ScriptProposed   = "proposed"
	ScriptApproved   = "approved"
	ScriptSuperseded = "superseded"
)

// ScriptDraft is a script as staff propose it: a new script, or (Key
// given) a new version of an existing one.
type ScriptDraft struct {
	Key      string `json:"key"`
	Stage    string `json:"stage"`
	Category string `json:"category"`
	Language string `json:"language"`
	Title    string `json:"title"`
	Body     string `json:"body"`
}

// MaxScriptBody is the longest script text.
const MaxScriptBody = 4000

// ValidateScript reports every bad field of a draft at once: the stage,
// category and language must be known, title and body present, and every
// brace in the body must name a known variable (ParseScriptVariables).
func ValidateScript(d ScriptDraft) error {
	var errs Fields
	if d.Key != "" && !validScriptKey(d.Key) {
		errs.Add("key", NewProblem(CodeInvalid, "must be lower-case letters, digits, '-' or '_', at most 64"))
	}
	if !slices.Contains(ScriptStages(), d.Stage) {
		errs.Add("stage", OneOf(ScriptStages()...))
	}
	if d.Category != ScriptCategoryAny && !slices.Contains(Categories(), d.Category) {
		errs.Add("category", OneOf(append([]string{ScriptCategoryAny}, Categories()...)...))
	}
	if !slices.Contains(ScriptLanguages(), d.Language) {
		errs.Add("language", OneOf(ScriptLanguages()...))
	}
	errs.Required("title", d.Title, 200, SingleLine)
	if p, bad := RequiredTextProblem(d.Body, MaxScriptBody, FreeText); bad {
		errs.Add("body", p)
	} else if _, probs := ParseScriptVariables(d.Body); len(probs) > 0 {
		for _, p := range probs {
			errs.Add("body", p)
		}
	}
	return errs.Err()
}

func validScriptKey(k string) bool {
	if len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// UnknownVariable is a script naming a variable the case cannot fill.
func UnknownVariable(name string) Problem {
	return NewProblem(CodeUnknownVariable, fmt.Sprintf("names the unknown variable {%s}; known: %s", name, strings.Join(ScriptVariables(), ", ")),
		"name", name, "allowed", strings.Join(ScriptVariables(), ", "))
}

// MalformedVariable is a brace that does not enclose a variable name.
func MalformedVariable(at int) Problem {
	return NewProblem(CodeMalformedVariable, fmt.Sprintf("has a brace at character %d that does not enclose a variable name such as {case_number}", at), "at", at)
}

// ParseScriptVariables returns the variables a script body names, in
// order of first use, and a problem for each unknown name and each stray
// or unclosed brace (positions count characters from 1).
func ParseScriptVariables(body string) ([]string, []Problem) {
	var names []string
	var probs []Problem
	rs := []rune(body)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '}':
			probs = append(probs, MalformedVariable(i+1))
		case '{':
			j := i + 1
			for j < len(rs) && rs[j] != '}' && rs[j] != '{' {
				j++
			}
			if j == len(rs) || rs[j] == '{' || j == i+1 || !isVariableName(string(rs[i+1:j])) {
				probs = append(probs, MalformedVariable(i+1))
				if j < len(rs) && rs[j] == '}' {
					i = j
				}
				continue
			}
			name := string(rs[i+1 : j])
			if !slices.Contains(ScriptVariables(), name) {
				probs = append(probs, UnknownVariable(name))
			} else if !slices.Contains(names, name) {
				names = append(names, name)
			}
			i = j
		}
	}
	return names, probs
}

func isVariableName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}

// RenderScript fills a script's variables from values; a variable with no
// value is left as it is written, so the staff member sees what to fill
// in before sending. The body must have passed ValidateScript.
func RenderScript(body string, values map[string]string) string {
	var b strings.Builder
	rs := []rune(body)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '{' {
			if j := slices.Index(rs[i:], '}'); j > 0 {
				name := string(rs[i+1 : i+j])
				if v, ok := values[name]; ok && v != "" {
					b.WriteString(v)
					i += j
					continue
				}
			}
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

// ScriptUse is which script (and version) a message to the customer was
// written from, and whether the staff member edited the filled-in text.
type ScriptUse struct {
	Key     string `json:"key"`
	Version int    `json:"version"`
	Edited  bool   `json:"edited"`
}

// Abuse kinds: what an abusive contact was (seed 002).
const (
	AbuseInsults       = "insults"
	AbuseThreats       = "threats"
	AbuseRepeatedCalls = "repeated_calls"
)

// AbuseKinds returns every abuse kind.
func AbuseKinds() []string { return []string{AbuseInsults, AbuseThreats, AbuseRepeatedCalls} }

// AbuseRequest records an abusive contact on a case: its kind, the words
// said or a note as evidence, when it happened, who received it, and the
// warning to send the customer (an approved abuse_warning script, filled
// in by the API).
type AbuseRequest struct {
	Actor      Actor     `json:"actor"`
	Kind       string    `json:"kind"`
	Evidence   string    `json:"evidence"`
	At         time.Time `json:"at"`
	ReceivedBy string    `json:"received_by"`
	Warning    string    `json:"warning"`
	Script     ScriptUse `json:"script"`
}

// ValidateAbuse reports every bad field of an abuse record; now bounds its
// time (not in the future, not over 90 days ago).
func ValidateAbuse(r AbuseRequest, now time.Time) error {
	var errs Fields
	if !slices.Contains(AbuseKinds(), r.Kind) {
		errs.Add("kind", OneOf(AbuseKinds()...))
	}
	errs.Required("evidence", r.Evidence, MaxText, FreeText)
	switch {
	case r.At.IsZero():
		errs.Add("at", Required())
	case r.At.After(now.Add(5 * time.Minute)):
		errs.Add("at", NewProblem(CodeInFuture, "must not be in the future"))
	case r.At.Before(now.AddDate(0, 0, -90)):
		errs.Add("at", NewProblem(CodeTooOld, "must be within the last 90 days"))
	}
	errs.Required("received_by", r.ReceivedBy, 200, SingleLine)
	errs.Required("warning", r.Warning, MaxText, FreeText)
	return errs.Err()
}

// Restriction is a supervisor's limit on how the organisation deals with
// an abusive customer (seed 002): only Handler (a named senior handler)
// answers them, in writing only, and/or at most MaxContactsPerDay contacts
// a day, until it is reviewed on ReviewOn.
type Restriction struct {
	Handler           string    `json:"handler,omitempty"`
	WrittenOnly       bool      `json:"written_only"`
	MaxContactsPerDay int       `json:"max_contacts_per_day,omitempty"`
	ReviewOn          time.Time `json:"review_on"`
	Reason            string    `json:"reason"`
	SetBy             string    `json:"set_by"`
	SetAt             time.Time `json:"set_at"`
}

// RestrictionRequest sets (or, Lift, lifts) a case's contact restriction.
type RestrictionRequest struct {
	Actor       Actor       `json:"actor"`
	Restriction Restriction `json:"restriction"`
	Lift        bool        `json:"lift,omitempty"`
}

// ValidateRestriction reports every bad field of a restriction: at least
// one limit, a reason, and a review date after now and within a year.
func ValidateRestriction(r Restriction, now time.Time) error {
	var errs Fields
	if r.Handler == "" && !r.WrittenOnly && r.MaxContactsPerDay == 0 {
		errs.Add("handler", NewProblem(CodeRequired, "is required unless written_only or max_contacts_per_day is set"))
	}
	errs.Text("handler", r.Handler, 200, SingleLine)
	if r.MaxContactsPerDay < 0 || r.MaxContactsPerDay > 50 {
		errs.Add("max_contacts_per_day", OutOfRange(0, 50))
	}
	switch {
	case r.ReviewOn.IsZero():
		errs.Add("review_on", Required())
	case !r.ReviewOn.After(now):
		errs.Add("review_on", NewProblem(CodeNotAfter, "must be after today", "other", "today"))
	case r.ReviewOn.After(now.AddDate(1, 0, 0)):
		errs.Add("review_on", NewProblem(CodeTooLarge, "must be within a year"))
	}
	errs.Required("reason", r.Reason, MaxText, FreeText)
	return errs.Err()
}

// CustomerScriptRequest sets the case's "script for this customer" (seed
// 002: everyone who answers this customer says the same thing); empty Text
// clears it.
type CustomerScriptRequest struct {
	Actor Actor  `json:"actor"`
	Text  string `json:"text"`
}

// CustomerScript is the case's script for this customer, as set.
type CustomerScript struct {
	Text  string    `json:"text"`
	SetBy string    `json:"set_by"`
	SetAt time.Time `json:"set_at"`
}

// UnreasonableRequest closes a case, after its final response, as an
// unreasonable persistent complaint, with the reason.
type UnreasonableRequest struct {
	Actor  Actor  `json:"actor"`
	Reason string `json:"reason"`
}

// OutcomeUnreasonable is the outcome of a case closed as an unreasonable
// persistent complaint.
const OutcomeUnreasonable = "unreasonable_persistent"

// IsSupervisorOrAbove says whether role is at least a supervisor's level.
func IsSupervisorOrAbove(role string) bool {
	return RoleLevel(role) >= RoleLevel(RoleSupervisor)
}
