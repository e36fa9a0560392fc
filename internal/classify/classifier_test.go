package classify

import (
	"os"
	"testing"

	"github.com/complaint-handling/complaints/complaint"
)

// testSeg is loaded once for the package's tests: loading the dictionary
// takes about a second.
var testSeg *Segmenter

func TestMain(m *testing.M) {
	var err error
	if testSeg, err = NewSegmenter(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func seedClassifier(t testing.TB) *Classifier {
	t.Helper()
	tax, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	return New(testSeg, tax)
}

// TestMisfires are the keyword rules' misfires named in issue 21, and the
// word-boundary and negation cases around them.
func TestMisfires(t *testing.T) {
	c := seedClassifier(t)
	cases := []struct {
		name, text, channel   string
		category, subcategory string
		severity              string
	}{
		{"window regulator failed", "新车左前玻璃升降器失灵", "web", complaint.CategoryProductQuality, "vehicle", complaint.SeverityMedium},
		{"lift fell with a child inside", "电梯突然下坠，孩子被困", "phone", complaint.CategorySafety, "", complaint.SeverityCritical},
		{"staff swore at the customer", "客服态度恶劣，还骂人", "phone", complaint.CategoryServiceAttitude, "rude_staff", complaint.SeverityMedium},
		{"shocked by the price", "I was shocked by the price", "web", complaint.CategoryBilling, "", complaint.SeverityMedium},
		{"fired the verb", "My account manager has been fired? Nobody told me who handles my loan now.", "email", complaint.CategoryBilling, "loan", complaint.SeverityMedium},
		{"not on fire", "The charger got hot but it was not on fire. It stopped working after a week.", "web", complaint.CategoryProductQuality, "appliance", complaint.SeverityMedium},
		{"没有起火", "充电器发烫，没有起火，但是已经坏了", "web", complaint.CategoryProductQuality, "", complaint.SeverityMedium},
		{"未受伤 but the lift is unsafe", "电梯门夹了一下，人未受伤，但是电梯门有安全隐患", "web", complaint.CategorySafety, "", complaint.SeverityCritical},
		{"negation does not cross a clause", "没有人来处理，孩子被烫伤了", "phone", complaint.CategorySafety, "injury", complaint.SeverityCritical},
		{"起火 is not in 一起火车", "我们一起火车站取的货，快递延误了三天", "web", complaint.CategoryDeliveryDelay, "parcel", complaint.SeverityLow},
		{"no one was hurt", "No one was hurt, but the delivery was two weeks late", "web", complaint.CategoryDeliveryDelay, "", complaint.SeverityLow},
		{"the car caught fire", "My new car caught fire on the motorway", "phone", complaint.CategorySafety, "fire", complaint.SeverityCritical},
		{"electric shock from the socket", "I got a shock from the socket you installed", "phone", complaint.CategorySafety, "electric_shock", complaint.SeverityCritical},
		{"regulator raises severity", "多收了我三个月的电费，我要向12315投诉", "web", complaint.CategoryBilling, "overcharge", complaint.SeverityHigh},
		{"没人管 is not a negated injury", "没人管我受伤了", "phone", complaint.CategorySafety, "injury", complaint.SeverityCritical},
		{"没有人受伤", "电动车电池鼓包，没有人受伤，要求更换电池", "web", complaint.CategoryProductQuality, "", complaint.SeverityMedium},
		{"traditional Chinese", "電梯突然下墜，孩子受傷了", "phone", complaint.CategorySafety, "", complaint.SeverityCritical},
		{"traditional 觸電", "熱水器漏電，我被觸電了", "phone", complaint.CategorySafety, "electric_shock", complaint.SeverityCritical},
		{"nothing matched", "请问你们几点开门", "web", complaint.CategoryOther, "", complaint.SeverityLow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Classify(complaint.Complaint{Subject: tc.text, Channel: tc.channel})
			if r.Category != tc.category || r.Severity != tc.severity || (tc.subcategory != "" && r.Subcategory != tc.subcategory) {
				t.Errorf("%q: got %s/%s %s (%s), want %s/%s %s; matches %+v", tc.text, r.Category, r.Subcategory, r.Severity, r.Matched,
					tc.category, tc.subcategory, tc.severity, r.Matches)
			}
			if r.Priority != complaint.PriorityFor(r.Severity, 0) {
				t.Errorf("priority %d for %s", r.Priority, r.Severity)
			}
		})
	}
}
