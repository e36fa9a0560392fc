package clock

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// Clock names.
const (
	Acknowledge       = "acknowledge"
	FirstResponse     = "first_response"
	Resolve           = "resolve"
	SummaryResolution = "summary_resolution"
	// Appeal is the clock of a re-examination: it starts when the
	// customer rejects a resolution and appeals, and is met by the
	// resolution of the appeal.
	Appeal = "appeal"
	// FirstContact is the first human contact: met only when a person
	// talks or writes to the customer (a call that reached them, or a
	// message staff wrote), never by the automatic acknowledgement
	// (seeds 000 and 001: answer fast, best the same day).
	FirstContact = "first_contact"
)

// Spec is one clock of a profile.
type Spec struct {
	Clock string `json:"clock"`
	Rule  Rule   `json:"rule"`
	// Critical, when set, replaces Rule for critical cases.
	Critical *Rule `json:"critical,omitempty"`
	// Warn are the fractions of the budget at which an early warning
	// (预警) is raised.
	Warn []float64 `json:"warn,omitempty"`
	// Pauses stops the clock while the case waits for the customer.
	Pauses bool `json:"pauses,omitempty"`
	// Advisory clocks are shown but neither warn nor breach (the FCA's
	// summary-resolution window).
	Advisory   bool        `json:"advisory,omitempty"`
	Extensions []Extension `json:"extensions,omitempty"`
	Breach     Breach      `json:"breach"`
}

// Profile bundles the clocks of one regime. A case keeps a snapshot of its
// profile, calendar included, from registration on.
type Profile struct {
	Profile     string `json:"profile"`
	Description string `json:"description,omitempty"`
	CalendarID  string `json:"calendar_id"`
	// Calendar is the snapshot the case's clocks count against; empty in
	// the built-in table, filled at registration.
	Calendar Calendar `json:"calendar"`
	Clocks   []Spec   `json:"clocks"`
	// Appeal is the clock each appeal starts (the re-examination time);
	// it is not started at registration. Snapshots taken before it
	// existed have none, and their appeals run without a clock.
	Appeal *Spec `json:"appeal,omitempty"`
	// Approval is how long approvers have before a reminder, and each
	// further period before escalation to the next level.
	Approval Rule `json:"approval"`
	// Confirm is how long the customer has to accept or reject a
	// resolution; ConfirmNotice before its end they are reminded that
	// silence will be taken as acceptance.
	Confirm       Rule          `json:"confirm"`
	ConfirmNotice time.Duration `json:"confirm_notice"`
	// Progress is the cadence of stage progress reports (阶段性报告) to
	// the customer while the case is open; nil sends none.
	Progress       *Rule         `json:"progress,omitempty"`
	InfoReminder   time.Duration `json:"info_reminder"`
	InfoTimeout    time.Duration `json:"info_timeout"`
	SurveyDelay    time.Duration `json:"survey_delay"`
	SurveyReminder time.Duration `json:"survey_reminder"`
	SurveyExpiry   time.Duration `json:"survey_expiry"`
	// MaxAppeals is how many internal appeal levels a customer has before
	// the final response with the route to the regulator or ombudsman.
	MaxAppeals int `json:"max_appeals"`
	// Regulator names the body the final response refers the customer to.
	Regulator string `json:"regulator"`
	// Fulfilment is how long staff have to deliver a replacement or
	// repair once ordered; nil: the workflow's default (10 working days).
	Fulfilment *Rule `json:"fulfilment,omitempty"`
}

// Spec returns the profile's spec of a clock.
func (p Profile) Spec(clock string) (Spec, bool) {
	for _, s := range p.Clocks {
		if s.Clock == clock {
			return s, true
		}
	}
	return Spec{}, false
}

// Validate checks a profile; roles lists the roles an extension may name.
func (p Profile) Validate(roles []string) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if p.Profile == "" {
		bad("profile: name required")
	}
	if p.CalendarID == "" {
		bad("calendar_id: required")
	}
	seen := map[string]bool{}
	for i, s := range p.Clocks {
		if s.Clock == "" || seen[s.Clock] {
			bad("clocks[%d].clock: %q is empty or repeated", i, s.Clock)
		}
		seen[s.Clock] = true
		s.validate(fmt.Sprintf("clocks[%d]", i), roles, bad)
	}
	if !seen[Acknowledge] || !seen[Resolve] {
		bad("clocks: acknowledge and resolve are required")
	}
	if seen[Appeal] {
		bad("clocks: the appeal clock starts with each appeal; it belongs in appeal, not clocks")
	}
	if p.Appeal != nil {
		if p.Appeal.Clock != Appeal {
			bad("appeal.clock: must be %q", Appeal)
		}
		if p.Appeal.Advisory {
			bad("appeal.advisory: an appeal's clock must warn and breach")
		}
		p.Appeal.validate("appeal", roles, bad)
	}
	for name, r := range map[string]Rule{"approval": p.Approval, "confirm": p.Confirm} {
		if err := r.Validate(); err != nil {
			bad("%s: %v", name, err)
		}
	}
	if p.Progress != nil {
		if err := p.Progress.Validate(); err != nil {
			bad("progress: %v", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clock profile %s: %w", p.Profile, err)
	}
	return nil
}

// validate checks one clock spec, reporting problems under name.
func (s Spec) validate(name string, roles []string, bad func(string, ...any)) {
	if err := s.Rule.Validate(); err != nil {
		bad("%s.rule: %v", name, err)
	}
	if s.Critical != nil {
		if err := s.Critical.Validate(); err != nil {
			bad("%s.critical: %v", name, err)
		}
	}
	for j, w := range s.Warn {
		if w <= 0 || w >= 1 || (j > 0 && w <= s.Warn[j-1]) {
			bad("%s.warn: fractions must rise strictly between 0 and 1", name)
		}
	}
	for j, e := range s.Extensions {
		if err := e.To.Validate(); err != nil {
			bad("%s.extensions[%d].to: %v", name, j, err)
		}
		if e.To.Unit != s.Rule.Unit {
			bad("%s.extensions[%d].to: must count %s like the clock", name, j, s.Rule.Unit)
		}
		if !slices.Contains(roles, e.Approver) {
			bad("%s.extensions[%d].approver: %q is not a role", name, j, e.Approver)
		}
	}
}

//go:embed calendars/*.json
var calendarFiles embed.FS

// BuiltinCalendars are the calendars shipped in the repository, read and
// validated once (every case registration asks for one).
func BuiltinCalendars() (map[string]Calendar, error) {
	cals, err := builtinCalendars()
	if err != nil {
		return nil, err
	}
	return maps.Clone(cals), nil
}

var builtinCalendars = sync.OnceValues(readBuiltinCalendars)

func readBuiltinCalendars() (map[string]Calendar, error) {
	entries, err := calendarFiles.ReadDir("calendars")
	if err != nil {
		return nil, err
	}
	out := map[string]Calendar{}
	for _, e := range entries {
		b, err := calendarFiles.ReadFile("calendars/" + e.Name())
		if err != nil {
			return nil, err
		}
		c, err := ParseCalendar(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out[c.ID] = c
	}
	return out, nil
}

// ParseCalendar reads and validates a calendar in JSON, rejecting unknown
// fields.
func ParseCalendar(b []byte) (Calendar, error) {
	var c Calendar
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Calendar{}, fmt.Errorf("calendar: %w", err)
	}
	if _, err := c.Compile(); err != nil {
		return Calendar{}, err
	}
	return c, nil
}

// ProfileNames lists the built-in profiles in order.
func ProfileNames() []string {
	p := Profiles()
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

const day = 24 * time.Hour

// Profiles are the built-in clock profiles (DOMAIN.md's table).
func Profiles() map[string]Profile {
	warn := []float64{0.5, 0.8}
	ack24h := Spec{Clock: Acknowledge, Rule: Within(day), Warn: warn, Breach: Breach{Escalate: true}}
	// firstContact is every built-in profile's first human contact: within
	// one business day, warned and escalated like the others. A profile
	// stored without it runs no such clock.
	firstContact := Spec{Clock: FirstContact, Rule: Rule{Unit: BusinessDays, Days: 1}, Warn: warn, Breach: Breach{Escalate: true}}
	base := Profile{
		Approval: Rule{Unit: BusinessHours, Amount: D(8 * time.Hour)},
		Confirm:  Rule{Unit: CalendarTime, Days: 10}, ConfirmNotice: 3 * day,
		InfoReminder: 3 * day, InfoTimeout: 7 * day,
		SurveyDelay: 3 * day, SurveyReminder: 4 * day, SurveyExpiry: 14 * day,
		MaxAppeals: 2, Regulator: "the relevant regulator or ombudsman",
		Fulfilment: &Rule{Unit: WorkingDays, Days: 10},
	}
	with := func(name, cal, desc string, f func(*Profile)) Profile {
		p := base
		p.Profile, p.CalendarID, p.Description = name, cal, desc
		f(&p)
		return p
	}
	every := func(r Rule) *Rule { return &r }
	// appeal is the clock of a re-examination (复核/核查): warned at the
	// same points as the others, escalated on breach.
	appeal := func(r Rule, pauses, holding bool) *Spec {
		return &Spec{Clock: Appeal, Rule: r, Warn: warn, Pauses: pauses, Breach: Breach{Escalate: true, HoldingResponse: holding}}
	}
	return map[string]Profile{
		"default": with("default", "cn-mainland", "The company's own: acknowledge within 24 hours, resolve within 5 working days.", func(p *Profile) {
			p.Clocks = []Spec{ack24h, {Clock: Resolve, Rule: Rule{Unit: WorkingDays, Days: 5}, Critical: &Rule{Unit: WorkingDays, Days: 2},
				Warn: warn, Pauses: true, Breach: Breach{Escalate: true},
				Extensions: []Extension{{To: Rule{Unit: WorkingDays, Days: 10}, Approver: "supervisor", Label: "complex"}}}}
			p.Clocks = append(p.Clocks, firstContact)
			p.Progress = every(Rule{Unit: WorkingDays, Days: 3})
			// The company's own promise: an appeal is re-examined at the
			// next level within the same 5 working days as a complaint.
			p.Appeal = appeal(Rule{Unit: WorkingDays, Days: 5}, true, false)
		}),
		"cn-banking-insurance": with("cn-banking-insurance", "cn-mainland",
			"银行保险机构消费投诉处理管理办法 (2020): decide and tell the customer within 15 days; complex cases 30; especially complex a further 30 with senior approval and notice (max 60).", func(p *Profile) {
				p.Clocks = []Spec{ack24h, {Clock: Resolve, Rule: Rule{Unit: CalendarTime, Days: 15}, Critical: &Rule{Unit: CalendarTime, Days: 7},
					Warn: warn, Pauses: true, Breach: Breach{Escalate: true},
					Extensions: []Extension{
						{To: Rule{Unit: CalendarTime, Days: 30}, Approver: "supervisor", Label: "complex"},
						{To: Rule{Unit: CalendarTime, Days: 60}, Approver: "manager", Label: "especially complex"},
					}}}
				p.Clocks = append(p.Clocks, firstContact)
				p.Progress = every(Rule{Unit: WorkingDays, Days: 5})
				p.Regulator = "国家金融监督管理总局 (National Financial Regulatory Administration), 12378"
				// Art. 22: a customer who disputes the decision may ask
				// for a re-examination (核查), which is decided and told
				// to them within 30 days of the request.
				p.Appeal = appeal(Rule{Unit: CalendarTime, Days: 30}, true, false)
			}),
		"cn-samr-12315": with("cn-samr-12315", "cn-mainland",
			"市场监督管理部门投诉举报处理暂行办法: accept or refuse within 7 working days; mediation ends after 45 working days without agreement.", func(p *Profile) {
				p.Clocks = []Spec{
					{Clock: Acknowledge, Rule: Rule{Unit: WorkingDays, Days: 7}, Warn: warn, Breach: Breach{Escalate: true}},
					{Clock: Resolve, Rule: Rule{Unit: WorkingDays, Days: 45}, Warn: warn, Pauses: true, Breach: Breach{Escalate: true}},
				}
				p.Clocks = append(p.Clocks, firstContact)
				p.Progress = every(Rule{Unit: WorkingDays, Days: 10})
				p.Regulator = "市场监督管理部门 12315"
				// The rules set no re-examination time for the trader;
				// an appeal is handled in the 7 working days the
				// regulator allows itself to accept or refuse a case,
				// so it is settled before the customer turns to 12315.
				p.Appeal = appeal(Rule{Unit: WorkingDays, Days: 7}, true, false)
			}),
		"uk-fca-disp": with("uk-fca-disp", "gb-eaw",
			"FCA DISP 1.5/1.6: summary resolution by the end of the 3rd business day after receipt; otherwise a final response within 8 weeks, or a holding response with the right to refer to the Financial Ombudsman Service.", func(p *Profile) {
				p.Clocks = []Spec{
					{Clock: Acknowledge, Rule: Rule{Unit: BusinessDays, Days: 1}, Warn: warn, Breach: Breach{Escalate: true}},
					{Clock: SummaryResolution, Rule: Rule{Unit: BusinessDays, Days: 3}, Advisory: true},
					{Clock: Resolve, Rule: Rule{Unit: CalendarTime, Days: 56}, Warn: warn, Breach: Breach{Escalate: true, HoldingResponse: true}},
				}
				p.Clocks = append(p.Clocks, firstContact)
				p.Progress = every(Rule{Unit: BusinessDays, Days: 10})
				p.Regulator = "the Financial Ombudsman Service"
				// DISP has no internal appeal: a complaint the customer
				// still disputes is not resolved, and DISP 1.6.2R's
				// 8 weeks apply to our final response, with the holding
				// response and the route to the ombudsman on breach.
				p.Appeal = appeal(Rule{Unit: CalendarTime, Days: 56}, false, true)
			}),
		"uk-fca-disp-payments": with("uk-fca-disp-payments", "gb-eaw",
			"FCA DISP 1.6.2A (payment services): final response within 15 business days; in exceptional circumstances a holding reply and a final response within 35 business days.", func(p *Profile) {
				p.Clocks = []Spec{
					{Clock: Acknowledge, Rule: Rule{Unit: BusinessDays, Days: 1}, Warn: warn, Breach: Breach{Escalate: true}},
					{Clock: Resolve, Rule: Rule{Unit: BusinessDays, Days: 15}, Warn: warn, Breach: Breach{Escalate: true, HoldingResponse: true},
						Extensions: []Extension{{To: Rule{Unit: BusinessDays, Days: 35}, Approver: "manager", Label: "exceptional circumstances"}}},
				}
				p.Clocks = append(p.Clocks, firstContact)
				p.Progress = every(Rule{Unit: BusinessDays, Days: 5})
				p.Regulator = "the Financial Ombudsman Service"
				// DISP 1.6.2A: a payment-services complaint still
				// disputed gets its final response within 15 business
				// days, as the complaint did.
				p.Appeal = appeal(Rule{Unit: BusinessDays, Days: 15}, false, true)
			}),
		"us-cfpb": with("us-cfpb", "us-federal",
			"CFPB complaint process: company response within 15 calendar days; final response within 60 days.", func(p *Profile) {
				p.Clocks = []Spec{ack24h,
					{Clock: FirstResponse, Rule: Rule{Unit: CalendarTime, Days: 15}, Warn: warn, Breach: Breach{Escalate: true}},
					{Clock: Resolve, Rule: Rule{Unit: CalendarTime, Days: 60}, Warn: warn, Breach: Breach{Escalate: true, HoldingResponse: true}},
				}
				p.Clocks = append(p.Clocks, firstContact)
				p.Progress = every(Rule{Unit: BusinessDays, Days: 10})
				p.Regulator = "the Consumer Financial Protection Bureau"
				// A customer who disputes the company's response is
				// answered in the 15 days the CFPB gives a company
				// response.
				p.Appeal = appeal(Rule{Unit: CalendarTime, Days: 15}, false, true)
			}),
		"au-asic-rg271": with("au-asic-rg271", "au-nsw",
			"ASIC RG 271: acknowledge within 24 hours or, if later, by the end of the next business day; final response within 30 calendar days.", func(p *Profile) {
				p.Clocks = []Spec{
					{Clock: Acknowledge, Rule: Rule{Unit: CalendarTime, Amount: D(day), OrNextBusinessDay: true}, Warn: warn, Breach: Breach{Escalate: true}},
					{Clock: Resolve, Rule: Rule{Unit: CalendarTime, Days: 30}, Warn: warn, Breach: Breach{Escalate: true, HoldingResponse: true}},
				}
				p.Clocks = append(p.Clocks, firstContact)
				p.Progress = every(Rule{Unit: BusinessDays, Days: 10})
				p.Regulator = "the Australian Financial Complaints Authority (AFCA)"
				// RG 271 keeps a complaint in internal dispute resolution
				// until the final response: a disputed resolution is
				// re-examined within the same 30 calendar days, with the
				// referral to AFCA on breach.
				p.Appeal = appeal(Rule{Unit: CalendarTime, Days: 30}, false, true)
			}),
	}
}
