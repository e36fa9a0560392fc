package complaint

import (
	"strings"
	"unicode"
)

// Categories of complaint.
const (
	CategoryProductQuality  = "product_quality"
	CategoryServiceAttitude = "service_attitude"
	CategoryDeliveryDelay   = "delivery_delay"
	CategoryBilling         = "billing"
	CategorySafety          = "safety"
	CategoryOther           = "other"
)

// Severities, lowest first.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Categories returns every category, for validation and the API's lists.
func Categories() []string {
	return []string{CategoryProductQuality, CategoryServiceAttitude, CategoryDeliveryDelay, CategoryBilling, CategorySafety, CategoryOther}
}

// Severities returns every severity, lowest first.
func Severities() []string {
	return []string{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
}

// Classification is the initial assessment of a complaint.
type Classification struct {
	Category string `json:"category"`
	// Subcategory is the taxonomy's subcategory (VersionClassifier's
	// classifier only; empty when none matched).
	Subcategory string `json:"subcategory,omitempty"`
	Severity    string `json:"severity"`
	// Priority runs from 1 (most urgent) to 4.
	Priority int `json:"priority"`
	// Matched names the rule that decided the category, for the audit trail.
	Matched string `json:"matched"`
}

// keywordRule maps words (lower-case English, or Chinese) to a category.
type keywordRule struct {
	category string
	words    []string
}

// categoryRules are checked in order; safety comes first because health and
// safety come first (DOMAIN.md: initial assessment).
var categoryRules = []keywordRule{
	{CategorySafety, []string{
		"injur*", "hurt", "burn*", "fire", "smoke", "explo*", "electric shock", "shock", "danger*", "unsafe", "hazard",
		"poison*", "toxic", "bleed*", "hospital", "accident", "brake fail", "brakes failed", "recall", "choking",
		"受伤", "受傷", "烧伤", "燒傷", "起火", "着火", "冒烟", "爆炸", "触电", "觸電", "危险", "危險", "安全隐患", "安全隱患",
		"中毒", "住院", "事故", "刹车失灵", "剎車失靈", "漏电", "漏電",
	}},
	{CategoryBilling, []string{
		"bill", "charge", "overcharg*", "fee", "invoice", "refund", "payment", "debit", "credit report", "interest rate", "fraud", "unauthori*",
		"double charged", "statement", "premium", "price", "loan", "mortgage",
		"扣费", "扣費", "收费", "收費", "多收", "账单", "賬單", "发票", "發票", "退款", "退费", "退費", "保费", "保費", "价格", "價格", "电费", "電費", "利息", "贷款", "貸款",
	}},
	{CategoryDeliveryDelay, []string{
		"late", "delay", "not arrived", "never arrived", "not delivered", "never delivered", "delivery", "shipping",
		"courier", "waiting for", "lost parcel", "slow",
		"延误", "延誤", "迟到", "遲到", "未送达", "未送達", "没收到", "沒收到", "物流", "快递", "快遞", "配送", "送货", "送貨", "太慢", "等了",
	}},
	{CategoryServiceAttitude, []string{
		"rude", "attitude", "impolite", "shouted", "ignored", "unprofessional", "disrespect", "hung up", "insult",
		"no one called", "nobody called", "customer service",
		"态度", "態度", "不礼貌", "不禮貌", "骂", "罵", "挂电话", "掛電話", "不理", "敷衍", "推诿", "推諉", "服务差", "服務差",
	}},
	{CategoryProductQuality, []string{
		"broken", "defect*", "faulty", "doesn't work", "does not work", "stopped working", "damaged", "quality",
		"crack*", "leak", "malfunction*", "noise", "rust", "peeling",
		"质量", "質量", "坏了", "壞了", "故障", "破损", "破損", "漏水", "异响", "異響", "不能用", "瑕疵", "生锈", "生鏽", "掉漆",
	}},
}

// criticalWords raise severity to critical whatever the category: anything
// about safety or injury is critical.
var criticalWords = []string{"injur*", "hurt", "burn*", "hospital", "bleed*", "poison*", "electric shock", "fire", "explo*",
	"受伤", "受傷", "住院", "烧伤", "燒傷", "中毒", "触电", "觸電", "起火", "爆炸"}

// highWords suggest a serious matter: threats to go public or to a
// regulator, legal action, vulnerable customers.
var highWords = []string{"lawyer", "legal action", "sue", "regulator", "ombudsman", "media", "journalist", "elderly", "disabled",
	"律师", "律師", "起诉", "起訴", "媒体", "媒體", "曝光", "监管", "監管", "12315", "消协", "消協", "老人", "残疾", "殘疾"}

// Classify gives the initial category, severity and priority of a complaint
// from keywords in its subject and description (Chinese and English), its
// product, its channel and the remedy the customer asks for.
func Classify(c Complaint) Classification {
	text := normalise(c.Subject + " " + c.Description + " " + c.Product)
	remedy := normalise(c.DesiredRemedy)
	out := Classification{Category: CategoryOther, Severity: SeverityLow, Matched: "default"}
	for _, r := range categoryRules {
		if w, ok := containsAny(text, r.words); ok {
			out.Category, out.Matched = r.category, r.category+":"+w
			break
		}
	}
	switch {
	case out.Category == CategorySafety:
		out.Severity = SeverityCritical
	case hasAny(text, criticalWords):
		out.Category, out.Severity = CategorySafety, SeverityCritical
	case hasAny(text, highWords) || hasAny(remedy, highWords) || c.Channel == "regulator":
		out.Severity = SeverityHigh
	case c.Channel == "social" || repeatedWords(text):
		// A public complaint or one that says it has been raised before.
		out.Severity = SeverityMedium
	case out.Category == CategoryBilling || out.Category == CategoryProductQuality:
		out.Severity = SeverityMedium
	}
	// A large compensation demand deserves a closer look, not a lower one.
	if out.Severity == SeverityLow && hasAny(remedy, []string{"compensat*", "赔偿", "賠償", "refund", "退款", "退保"}) {
		out.Severity = SeverityMedium
	}
	out.Priority = PriorityFor(out.Severity, 0)
	return out
}

// PriorityFor maps severity (and the number of repeat contacts) to a
// priority from 1 (most urgent) to 4. The third repeat contact raises the
// priority by one step.
func PriorityFor(severity string, repeats int) int {
	p := 4
	switch severity {
	case SeverityCritical:
		p = 1
	case SeverityHigh:
		p = 2
	case SeverityMedium:
		p = 3
	}
	if repeats >= 3 && p > 1 {
		p--
	}
	return p
}

func repeatedWords(text string) bool {
	return hasAny(text, []string{"again", "third time", "second time", "already complained", "再次", "又一次", "第三次", "多次", "反复", "反復"})
}

func normalise(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
}

// containsAny finds the first of words in text. An English word must start
// at a word boundary ("late" does not match "related") and end at one,
// allowing the usual endings (charge, charges, charged, charging); a word
// listed with a trailing "*" is a stem (injur* matches injured, injuries).
// Chinese words match anywhere, as Chinese has no spaces.
func containsAny(text string, words []string) (string, bool) {
	for _, orig := range words {
		w, stem := strings.CutSuffix(orig, "*")
		for i := 0; i <= len(text)-len(w); {
			j := strings.Index(text[i:], w)
			if j < 0 {
				break
			}
			at := i + j
			if w[0] >= 0x80 {
				return w, true
			}
			if (at == 0 || !isWordByte(text[at-1])) && endsWord(text[at+len(w):], stem) {
				return orig, true
			}
			i = at + 1
		}
	}
	return "", false
}

// endsWord reports whether rest (the text after a match) starts at a word
// end, allowing an inflection; a stem accepts any continuation.
func endsWord(rest string, stem bool) bool {
	if stem {
		return true
	}
	for _, suffix := range []string{"", "s", "es", "d", "ed", "ing"} {
		if strings.HasPrefix(rest, suffix) && (len(rest) == len(suffix) || !isWordByte(rest[len(suffix)])) {
			return true
		}
	}
	return false
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
}

func hasAny(text string, words []string) bool {
	_, ok := containsAny(text, words)
	return ok
}

// ValidCategory reports whether c is a known category.
func ValidCategory(c string) bool { return contains(Categories(), c) }

// ValidSeverity reports whether s is a known severity.
func ValidSeverity(s string) bool { return contains(Severities(), s) }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
