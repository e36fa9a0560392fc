package complaint

import "slices"

// AmountRule says whether a remedy kind carries an amount.
type AmountRule string

// Amount rules of remedy kinds.
const (
	// AmountRequired: the remedy is an amount of money (refund, voucher,
	// goodwill payment).
	AmountRequired AmountRule = "required"
	// AmountOptional: the remedy may state the value of the goods or work
	// (replacement, repair); it counts towards the approval total but is
	// not paid.
	AmountOptional AmountRule = "optional"
	// AmountNone: the remedy carries no amount (apology, explanation).
	AmountNone AmountRule = "none"
)

// RemedyKind is what one remedy type is, decided once here and used by
// the proposal's validation, the activities (money through Payments, a
// fulfilment row, or nothing to execute), the fulfilments table's comment
// and the console (GET /v1/remedy-kinds).
type RemedyKind struct {
	Type   string     `json:"type"`
	Amount AmountRule `json:"amount"`
	// Money: executing it moves money through Payments (a voucher is
	// stored value issued to the customer, paid and reversed as money).
	Money bool `json:"money"`
	// Fulfilment: executing it orders goods or work, recorded in the
	// fulfilments table; from workflows.VersionRemedies on, staff move it through
	// ordered, shipped, done or failed, and the case waits for it.
	Fulfilment bool `json:"fulfilment"`
}

// remedyKinds is the table, in the order the console offers them.
var remedyKinds = []RemedyKind{
	{Type: RemedyRefund, Amount: AmountRequired, Money: true},
	{Type: RemedyReplacement, Amount: AmountOptional, Fulfilment: true},
	{Type: RemedyRepair, Amount: AmountOptional, Fulfilment: true},
	{Type: RemedyVoucher, Amount: AmountRequired, Money: true},
	{Type: RemedyGoodwill, Amount: AmountRequired, Money: true},
	{Type: RemedyApology, Amount: AmountNone},
	{Type: RemedyExplanation, Amount: AmountNone},
}

// RemedyKinds returns the table of remedy kinds (a copy).
func RemedyKinds() []RemedyKind { return slices.Clone(remedyKinds) }

// RemedyTypes returns the valid remedy types: the types of RemedyKinds,
// in its order.
func RemedyTypes() []string {
	out := make([]string, len(remedyKinds))
	for i, k := range remedyKinds {
		out[i] = k.Type
	}
	return out
}

// KindOf returns the kind of a remedy type, and false for an unknown type.
func KindOf(remedyType string) (RemedyKind, bool) {
	i := slices.IndexFunc(remedyKinds, func(k RemedyKind) bool { return k.Type == remedyType })
	if i < 0 {
		return RemedyKind{}, false
	}
	return remedyKinds[i], true
}

// IsMoney says whether executing a remedy of this type moves money.
func IsMoney(remedyType string) bool { k, _ := KindOf(remedyType); return k.Money }

// IsFulfilment says whether a remedy of this type is goods or work to
// deliver.
func IsFulfilment(remedyType string) bool { k, _ := KindOf(remedyType); return k.Fulfilment }

// Fulfilment states a fulfilment moves through (workflows.VersionRemedies on):
// ordered when the remedy is executed, then shipped, and done or failed.
// A fulfilment of an earlier case is done at once.
const (
	FulfilmentOrdered = "ordered"
	FulfilmentShipped = "shipped"
	FulfilmentDone    = "done"
	FulfilmentFailed  = "failed"
)

// FulfilmentNext says whether a fulfilment may move from one state to
// another: forward only, and failed from any state not yet done.
func FulfilmentNext(from, to string) bool {
	switch to {
	case FulfilmentShipped:
		return from == FulfilmentOrdered
	case FulfilmentDone, FulfilmentFailed:
		return from == FulfilmentOrdered || from == FulfilmentShipped
	}
	return false
}

// RemedyReversalFailed is the state of a remedy whose reversal failed for
// good: a person must undo it (workflows.VersionRemedies).
const RemedyReversalFailed = "reversal_failed"
