package plan

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// TenantCheckSchema identifies the output of a tenant check (CONTRACT §7).
const TenantCheckSchema = "enrollplan.tenant/v1"

// TenantCheck is what reading a tenant through Microsoft Graph established:
// the tenant answers it could fill in, one finding per reading, and the
// expiry dates the plan compares with the rollout. It carries no secrets:
// enrollment tokens, QR codes and company codes are dropped when Graph's
// answers are decoded, before anything reaches this type.
type TenantCheck struct {
	Schema   string    `json:"schema"`
	ReadAt   string    `json:"read_at,omitempty"` // RFC 3339, when the readings were made
	Tenant   Tenant    `json:"tenant"`
	Findings []Finding `json:"findings"`
	Expiries []Expiry  `json:"expiries,omitempty"`
	// Restrictions are the default enrollment restrictions, by platform,
	// for comparing with the populations the plan enrolls.
	Restrictions *Restrictions `json:"restrictions,omitempty"`
	// Devices are the devices Intune manages, counted per platform and
	// ownership (CONTRACT §8.4): counts only, never a device's name,
	// serial number or user.
	Devices []DeviceCount `json:"devices,omitempty"`
}

// DeviceCount is how many managed devices have one platform and ownership.
type DeviceCount struct {
	Platform  string `json:"platform"`  // a DevicePlatforms value
	Ownership string `json:"ownership"` // a DeviceOwnerships value
	Count     int    `json:"count"`
}

// The words a device count uses (CONTRACT §8.4): the planner's platforms
// plus "other" (what Intune manages that no population can be, such as
// Windows Mobile); Intune's owner types, with "unknown" where Intune does
// not know.
var (
	DevicePlatforms  = []string{"windows", "macos", "ios", "android", "linux", "other"}
	DeviceOwnerships = []string{OwnCorporate, OwnPersonal, "unknown"}
)

// Restrictions name the platforms (ios, macos, windows) whose devices the
// tenant's default enrollment restriction refuses.
type Restrictions struct {
	Blocked         []string `json:"blocked"`          // every device of these platforms
	PersonalBlocked []string `json:"personal_blocked"` // personally owned devices of these platforms
}

// Finding statuses (CONTRACT §7).
const (
	FindingOK      = "ok"
	FindingWarning = "warning"
	FindingMissing = "missing"
	FindingUnknown = "unknown"
)

// Finding is one reading of the tenant, in words a planner can act on.
type Finding struct {
	ID         string `json:"id"`
	Status     string `json:"status"` // ok | warning | missing | unknown
	Title      string `json:"title"`
	Detail     string `json:"detail"`
	Permission string `json:"permission"` // the read permission a reading lacked, "" when none was missing
}

// Expiry kinds.
const (
	ExpiryApplePush = "apple-push-certificate"
	ExpiryADEToken  = "ade-token"
)

// Expiry is a date after which something Apple devices depend on stops
// working unless it is renewed.
type Expiry struct {
	Kind string `json:"kind"` // apple-push-certificate | ade-token
	Name string `json:"name"` // e.g. the token's name in Intune, or the Apple ID of the certificate
	Date string `json:"date"` // YYYY-MM-DD
}

// FindingSubjects name, in the product's own words, what each finding of
// check-tenant is about. An uploaded file's finding with one of these ids
// gets its title from here, not from the file.
var FindingSubjects = map[string]string{
	"mdm-authority":                    "MDM authority",
	"licenses":                         "Intune licences",
	"entra-premium":                    "Microsoft Entra ID P1/P2",
	"apple-mdm-push-certificate":       "Apple MDM push certificate",
	"apple-business-manager":           "Automatic Device Enrollment tokens",
	"vpp-tokens":                       "Apple Apps and Books (VPP) tokens",
	"managed-google-play":              "Managed Google Play binding",
	"android-fully-managed-enrollment": "Fully managed Android enrollment",
	"autopilot-registration":           "Windows Autopilot devices",
	"device-limit":                     "Device limit",
	"enrollment-restrictions":          "Enrollment restrictions",
	"device-join":                      "Who may join devices to Microsoft Entra ID",
	"automatic-enrollment":             "Automatic MDM enrollment scope",
	"managed-devices":                  "Devices Intune manages",
}

// findingWords say a finding's status after its subject.
var findingWords = map[string]string{
	FindingOK:      "in order",
	FindingWarning: "needs attention",
	FindingMissing: "not in place",
	FindingUnknown: "not read",
}

// FindingTitle is the product's own title for a finding about id with
// status, or "" when the product does not know the id or the status.
func FindingTitle(id, status string) string {
	subject, word := FindingSubjects[id], findingWords[status]
	if subject == "" || word == "" {
		return ""
	}
	return subject + ": " + word
}

// FromUploadedFile starts every detail an uploaded check-tenant file
// supplied, so nobody takes it for something the product read itself.
const FromUploadedFile = "From the uploaded file: "

// markUploaded rewrites the findings of an uploaded file: a known id's
// title in the product's words, everything else said to come from the file.
func markUploaded(tc *TenantCheck) {
	for i := range tc.Findings {
		f := &tc.Findings[i]
		if t := FindingTitle(f.ID, f.Status); t != "" {
			f.Title = t
		} else if f.Title != "" && !strings.HasPrefix(f.Title, FromUploadedFile) {
			f.Title = FromUploadedFile + f.Title
		}
		if f.Detail != "" && !strings.HasPrefix(f.Detail, FromUploadedFile) {
			f.Detail = FromUploadedFile + f.Detail
		}
	}
	SummariseFindings(tc.Findings)
}

// SummariseFindings shortens each finding's texts to MaxFindingText, so a
// finding of any length fits instead of being refused.
func SummariseFindings(fs []Finding) {
	for i := range fs {
		f := &fs[i]
		f.Title = Summarise(f.Title, MaxFindingText)
		f.Detail = Summarise(f.Detail, MaxFindingText)
		f.Permission = Summarise(f.Permission, MaxFindingText)
	}
}

// Summarise returns s when it has at most max characters, else its start
// cut at a word boundary and ended with "…", max characters at most.
func Summarise(s string, max int) string {
	if max < 1 || utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)[:max-1]
	cut := len(runes)
	// Back to the last space, unless that loses more than a fifth.
	for i := len(runes) - 1; i >= len(runes)*4/5; i-- {
		if unicode.IsSpace(runes[i]) {
			cut = i
			break
		}
	}
	out := strings.TrimRightFunc(string(runes[:cut]), func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':'
	})
	return out + "…"
}
