package complaint

import "testing"

func TestStatusRules(t *testing.T) {
	tests := []struct {
		status                            string
		valid, open, investigable, report bool
	}{
		{StatusReceived, true, true, false, false},
		{StatusAcknowledged, true, true, true, true},
		{StatusInvestigating, true, true, true, true},
		{StatusAwaitingInfo, true, true, false, false},
		{StatusAwaitingApproval, true, true, false, true},
		{StatusExecuting, true, true, false, true},
		{StatusFulfilling, true, true, false, false},
		{StatusAwaitingCustomer, true, true, false, false},
		{StatusClosed, true, false, false, false},
		{StatusWithdrawn, true, false, false, false},
		{StatusMerged, true, false, false, false},
		{"", false, false, false, false},
		{"open", false, false, false, false},
	}
	if len(Statuses()) != len(tests)-2 {
		t.Fatalf("Statuses() has %d statuses; the table covers %d", len(Statuses()), len(tests)-2)
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			if ValidStatus(tt.status) != tt.valid || IsOpen(tt.status) != tt.open || Investigable(tt.status) != tt.investigable ||
				GetsProgressReports(tt.status) != tt.report {
				t.Errorf("valid %v open %v investigable %v reports %v, want %v %v %v %v", ValidStatus(tt.status), IsOpen(tt.status),
					Investigable(tt.status), GetsProgressReports(tt.status), tt.valid, tt.open, tt.investigable, tt.report)
			}
		})
	}
}
