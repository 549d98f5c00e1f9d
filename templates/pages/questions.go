package pages

import "strings"

// Step 2 asks a group's follow-up questions only where the answer can change
// its method, its factory reset or its steps (issue 18). Each question below
// says which of the engine's rules read the answer, and so which groups it
// is asked of. A table test in package web (TestStep2AsksOnlyWhatChanges)
// holds, for every kind of group, that the answer to a question not asked
// changes none of the plan's method, reset, steps and prerequisites, and
// which questions each kind is asked.
//
// The server renders a question hidden, its inputs disabled, where the row's
// answers do not ask it; app.js shows and hides it as they change; the
// server ignores, and does not keep, an answer to a question its row does
// not ask.

// When is the condition under which step 2 asks a question: each field
// named holds one of its values. A field not answered yet counts as any
// value, so that a new row asks everything until its answers say otherwise.
// app.js reads the same condition from the data-when attribute.
type When []WhenField

// WhenField is one field of a When and the values that ask the question.
type WhenField struct {
	Field  string
	Values []string
}

// Attr is the condition as data-when writes it: "platform=android,windows;enroll=enroll".
func (w When) Attr() string {
	parts := make([]string, len(w))
	for i, f := range w {
		parts[i] = f.Field + "=" + strings.Join(f.Values, ",")
	}
	return strings.Join(parts, ";")
}

// Holds reports whether a row whose answers answer gives ("" when not
// answered) is asked the question.
func (w When) Holds(answer func(field string) string) bool {
	for _, f := range w {
		v := answer(f.Field)
		if v == "" {
			continue
		}
		found := false
		for _, want := range f.Values {
			found = found || v == want
		}
		if !found {
			return false
		}
	}
	return true
}

// The follow-up questions, in the order a row shows them; Enroll comes
// first because the others read its answer.
var (
	// AskEnroll: "Enroll the devices in Intune?". App protection without
	// enrollment (catalog mam.json, method mam-we) exists for Android,
	// iOS/iPadOS and Windows, and needs one signed-in user (its not_for
	// rule refuses shared and kiosk devices); every other group enrolls.
	AskEnroll = When{{"platform", []string{"android", "ios", "windows"}}, {"usage", []string{"user"}}}

	// AskPersonalUse: "May users also use the device privately?". The
	// Android recommendation for organisation-owned phones with one user
	// reads personal_use (work profile, COPE, when yes; fully managed, COBO,
	// when no); validation refuses it anywhere else.
	AskPersonalUse = When{{"platform", []string{"android"}}, {"ownership", []string{"corporate"}}, {"usage", []string{"user"}}, {"enroll", []string{"enroll"}}}

	// AskManufacturer: "Maker". Maker paths are steps with a manufacturer
	// condition: Knox Mobile Enrollment, Zebra OEMConfig and "ask the maker"
	// in the organisation-owned Android methods (COPE, COBO, dedicated, and
	// device administrator kiosks), and Surface registration in Windows
	// Autopilot. Personal devices and app protection reach none of them.
	AskManufacturer = When{{"platform", []string{"android", "windows"}}, {"ownership", []string{"corporate"}}, {"enroll", []string{"enroll"}}}

	// AskInUse: "Are the devices new or already in use?". in_use decides
	// the factory reset (the reset rules of the methods that start from
	// setup: ADE, Autopilot, Android Enterprise corporate, Shared iPad) and
	// the recommendation between them and the methods that keep a device as
	// it is. Personal devices' methods never reset (account-driven and
	// device enrollment, work profile, Windows registration), the Linux
	// method does not, and app protection enrolls nothing; the engine's
	// safer reading for them (already in use) changes nothing.
	AskInUse = When{{"platform", []string{"android", "ios", "macos", "windows"}}, {"ownership", []string{"corporate"}}, {"enroll", []string{"enroll"}}}

	// AskManagedBy: "What manages them today?". managed_by other-mdm adds
	// the steps to leave the other MDM (and the iOS backup after it) and
	// decides ADE's reset; configmgr leads Windows to co-management. App
	// protection lives beside another MDM: only a note changes.
	AskManagedBy = When{{"enroll", []string{"enroll"}}}

	// AskEnrolledBy: "Who enrolls these devices?". enrolled_by it proposes
	// a device enrollment manager (DEM) account (a prerequisite) where the
	// method can use one (Windows, macOS, iOS/iPadOS device enrollment) and
	// picks the staging steps of Android Enterprise. Kiosks are always
	// enrolled by IT staff, personal devices by their users; a Linux device
	// can't use a DEM account, so only a note would change.
	AskEnrolledBy = When{{"platform", []string{"android", "ios", "macos", "windows"}}, {"ownership", []string{"corporate"}}, {"usage", []string{"user", "shared"}}, {"enroll", []string{"enroll"}}}
)

// FollowUp is a step 2 question asked for some groups only.
type FollowUp struct {
	Field string // the row's field, "in_use"
	When  When
}

// FollowUps are step 2's conditional questions in the order their answers
// are settled: Enroll first, since the others read it.
var FollowUps = []FollowUp{
	{"enroll", AskEnroll}, {"personal_use", AskPersonalUse}, {"manufacturer", AskManufacturer},
	{"in_use", AskInUse}, {"managed_by", AskManagedBy}, {"enrolled_by", AskEnrolledBy},
}
