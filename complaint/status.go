package complaint

import "slices"

// Statuses returns every case status, in the order of the lifecycle (a
// new slice each call).
func Statuses() []string {
	return []string{StatusReceived, StatusAcknowledged, StatusInvestigating, StatusAwaitingInfo, StatusAwaitingApproval,
		StatusExecuting, StatusFulfilling, StatusAwaitingCustomer, StatusClosed, StatusWithdrawn, StatusMerged}
}

// ValidStatus says whether s is a case status.
func ValidStatus(s string) bool { return slices.Contains(Statuses(), s) }

// IsOpen says whether a case in this status is still being handled: not
// closed, not withdrawn, not merged.
func IsOpen(status string) bool {
	return ValidStatus(status) && status != StatusClosed && status != StatusWithdrawn && status != StatusMerged
}

// Investigable says whether handlers may investigate and propose in this
// status.
func Investigable(status string) bool {
	return status == StatusAcknowledged || status == StatusInvestigating
}

// GetsProgressReports says whether the customer, in this status, waits on
// us and is sent stage progress reports (阶段性报告): not while we wait
// for the customer, nor before acknowledgement or after the resolution.
func GetsProgressReports(status string) bool {
	switch status {
	case StatusAcknowledged, StatusInvestigating, StatusAwaitingApproval, StatusExecuting:
		return true
	}
	return false
}
