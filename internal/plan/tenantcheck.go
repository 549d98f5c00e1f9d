package plan

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
}

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
