package tenant

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// This file turns what Graph answered, already decoded into the few facts
// each reading needs, into findings and tenant answers. Nothing here does
// I/O, so every rule is a table test away.

// outcome is what one reading established.
type outcome struct {
	findings       []plan.Finding
	apply          func(*plan.Tenant) // sets the tenant answers the reading established
	expiries       []plan.Expiry      // the check's own expiries (push certificate, ADE tokens)
	tenantExpiries []plan.TenantExpiry
	restrictions   *plan.Restrictions // the default enrollment restrictions, when read
	devices        []plan.DeviceCount
	facts          facts
}

// facts are numbers one reading holds that another reading's finding
// needs (crossCheck).
type facts struct {
	deviceLimit *int // Intune's default device limit (enrollment configurations)
	deviceQuota *int // Entra ID's devices per user (device registration policy)
}

func (f *facts) merge(g facts) {
	f.deviceLimit = cmp.Or(g.deviceLimit, f.deviceLimit)
	f.deviceQuota = cmp.Or(g.deviceQuota, f.deviceQuota)
}

func finding(id, status, title, detail string) plan.Finding {
	return plan.Finding{ID: id, Status: status, Title: title, Detail: detail}
}

func ptr[T any](v T) *T { return &v }

// Finding IDs. Where a finding settles a prerequisite it carries that
// prerequisite's ID (CONTRACT §4).
const (
	idMDMAuthority      = "mdm-authority"
	idLicenses          = "licenses"
	idEntraPremium      = "entra-premium"
	idApplePush         = "apple-mdm-push-certificate"
	idADE               = "apple-business-manager"
	idManagedGooglePlay = "managed-google-play"
	idAutopilot         = "autopilot-registration"
	idDeviceLimit       = "device-limit"
	idRestrictions      = "enrollment-restrictions"
	idDeviceJoin        = "device-join"
	idAutoEnrollment    = "automatic-enrollment"
	idVPP               = "vpp-tokens"
	idFullyManaged      = "android-fully-managed-enrollment"
	idDevices           = "managed-devices"
)

// subjects name what a finding is about, for the findings of a reading that
// could not be made: the product's words, which an uploaded file's titles
// are replaced with too.
var subjects = plan.FindingSubjects

// mapMDMAuthority reads organization.mobileDeviceManagementAuthority
// (unknown, intune, sccm, office365; "" when Graph did not say).
func mapMDMAuthority(v string) outcome {
	switch v {
	case "intune":
		return outcome{
			findings: []plan.Finding{finding(idMDMAuthority, plan.FindingOK, "MDM authority is Intune", "The tenant's mobile device management authority is Microsoft Intune.")},
			apply:    func(t *plan.Tenant) { t.MDMAuthority = "intune" },
		}
	case "sccm":
		return outcome{
			findings: []plan.Finding{finding(idMDMAuthority, plan.FindingMissing, "MDM authority is Configuration Manager, not Intune",
				"The MDM authority is Configuration Manager (hybrid MDM). Devices cannot enroll in Intune until the authority is changed to Intune: this blocks every enrollment method.")},
			apply: func(t *plan.Tenant) { t.MDMAuthority = "configmgr"; t.ConfigMgr = ptr(true) },
		}
	case "office365":
		return outcome{
			findings: []plan.Finding{finding(idMDMAuthority, plan.FindingMissing, "MDM authority is Basic Mobility and Security, not Intune",
				"The MDM authority is Office 365 (Basic Mobility and Security). Devices cannot enroll in Intune until the authority is Intune: this blocks every enrollment method.")},
			apply: func(t *plan.Tenant) { t.MDMAuthority = "office365" },
		}
	case "unknown":
		return outcome{
			findings: []plan.Finding{finding(idMDMAuthority, plan.FindingMissing, "No MDM authority is set",
				"Graph reports the MDM authority as unknown, that is, not set. Set it to Intune in the Intune admin center before any device enrolls: this blocks every enrollment method.")},
			apply: func(t *plan.Tenant) { t.MDMAuthority = "none" },
		}
	}
	return outcome{findings: []plan.Finding{finding(idMDMAuthority, plan.FindingUnknown, "MDM authority: not reported",
		"Graph's answer did not include the MDM authority.")}}
}

// sku is one subscribed SKU, as far as licences matter.
type sku struct {
	part     string // skuPartNumber, e.g. SPE_E5
	status   string // capabilityStatus: Enabled, Warning, Suspended, Deleted, LockedOut
	consumed int    // consumedUnits: seats assigned
	enabled  int    // prepaidUnits.enabled: seats bought
	plans    []servicePlan
}

type servicePlan struct {
	name   string // servicePlanName
	status string // provisioningStatus: Success, Disabled, Error, PendingInput, PendingActivation, PendingProvisioning
}

// Service plan names (Product names and service plan identifiers for
// licensing): Microsoft Intune Plan 1 and its editions; Entra ID P1 and P2.
var (
	intunePlans = []string{"INTUNE_A", "INTUNE_A_VL", "INTUNE_EDU", "INTUNE_SMBIZ", "INTUNE_A_GOV"}
	entraPlans  = []string{"AAD_PREMIUM", "AAD_PREMIUM_P2"}
	// INTUNE_O365 is Basic Mobility and Security, which is not Intune.
	basicMobilityPlan = "INTUNE_O365"
)

func (s sku) active() bool { return s.status == "Enabled" || s.status == "Warning" }

// has names the SKU's service plans among names that are not disabled.
func (s sku) has(names []string) (string, bool) {
	var found []string
	for _, p := range s.plans {
		if slices.Contains(names, strings.ToUpper(p.name)) && p.status != "Disabled" && !slices.Contains(found, p.name) {
			found = append(found, p.name)
		}
	}
	return strings.Join(found, ", "), len(found) > 0
}

// mapLicences reads subscribedSkus: an Intune service plan in an active SKU
// with seats used means licences are assigned; an Entra ID P1/P2 plan means
// entra_premium.
func mapLicences(skus []sku) outcome {
	var intune, intuneUnused, entra, basic []string
	for _, s := range skus {
		if !s.active() {
			continue
		}
		if name, ok := s.has(intunePlans); ok {
			line := fmt.Sprintf("%s in %s: %d of %d seats assigned", name, s.part, s.consumed, s.enabled)
			if s.consumed > 0 {
				intune = append(intune, line)
			} else {
				intuneUnused = append(intuneUnused, line)
			}
		}
		if name, ok := s.has(entraPlans); ok {
			entra = append(entra, fmt.Sprintf("%s in %s", name, s.part))
		}
		if _, ok := s.has([]string{basicMobilityPlan}); ok {
			basic = append(basic, s.part)
		}
	}
	var o outcome
	var licensed bool
	switch {
	case len(intune) > 0:
		licensed = true
		o.findings = append(o.findings, finding(idLicenses, plan.FindingOK, "Intune licences are assigned",
			strings.Join(append(intune, intuneUnused...), "; ")+"."))
	case len(intuneUnused) > 0:
		o.findings = append(o.findings, finding(idLicenses, plan.FindingMissing, "Intune licences are bought but not assigned",
			strings.Join(intuneUnused, "; ")+". Assign them to the users whose devices will enroll (a group-based licence is easiest)."))
	default:
		detail := "No active subscription includes an Intune service plan (INTUNE_A). Users need an Intune licence before their devices can enroll."
		if len(basic) > 0 {
			detail += " " + strings.Join(basic, ", ") + " includes Basic Mobility and Security (INTUNE_O365), which is not Intune."
		}
		o.findings = append(o.findings, finding(idLicenses, plan.FindingMissing, "No Intune licence", detail))
	}
	premium := len(entra) > 0
	if premium {
		o.findings = append(o.findings, finding(idEntraPremium, plan.FindingOK, "Microsoft Entra ID P1/P2 is licensed",
			strings.Join(entra, "; ")+". Automatic MDM enrollment and Conditional Access are available."))
	} else {
		o.findings = append(o.findings, finding(idEntraPremium, plan.FindingMissing, "No Microsoft Entra ID P1/P2 licence",
			"No active subscription includes Entra ID P1 or P2 (AAD_PREMIUM, AAD_PREMIUM_P2): automatic MDM enrollment of Windows devices and Conditional Access need it."))
	}
	o.apply = func(t *plan.Tenant) { t.LicensesAssigned = ptr(licensed); t.EntraPremium = ptr(premium) }
	return o
}

// daysLeft is the whole days from now until t, rounded down (negative once t has passed).
func daysLeft(now, t time.Time) int {
	return int(math.Floor(t.Sub(now).Hours() / 24))
}

func dateOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func inDays(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "in 1 day"
	}
	return fmt.Sprintf("in %d days", n)
}

func daysAgo(n int) string {
	if n == 1 {
		return "1 day ago"
	}
	return fmt.Sprintf("%d days ago", n)
}

// warnDays is how close an expiry must be to warn (CONTRACT §7).
const warnDays = 30

// applePush is the Apple MDM push certificate; found is false on a 404.
type applePush struct {
	found   bool
	appleID string
	expires *time.Time
}

func mapApplePush(c applePush, now time.Time) outcome {
	if !c.found {
		return outcome{
			findings: []plan.Finding{finding(idApplePush, plan.FindingMissing, "No Apple MDM push certificate",
				"Intune has no Apple MDM push certificate: no iPhone, iPad or Mac can enroll until one is created with a company Apple ID and uploaded.")},
			apply: func(t *plan.Tenant) { t.AppleMDMPushCertificate = ptr(false) },
		}
	}
	sameID := "the same Apple ID"
	if c.appleID != "" {
		sameID = fmt.Sprintf("the same Apple ID (%s)", c.appleID)
	}
	if c.expires == nil {
		// An answer without an expiry is not one the check understood (the
		// reference's example wraps the certificate in "value", for
		// instance): it says nothing either way.
		return outcome{findings: []plan.Finding{finding(idApplePush, plan.FindingUnknown, "Apple MDM push certificate: expiry not reported",
			"Graph's answer named no expiry date, so whether the certificate is there and still works is not known. Look in the Intune admin center: Devices > Enrollment > Apple > Apple MDM Push certificate.")}}
	}
	date, days := dateOf(*c.expires), daysLeft(now, *c.expires)
	o := outcome{
		expiries:       []plan.Expiry{{Kind: plan.ExpiryApplePush, Name: c.appleID, Date: date}},
		tenantExpiries: []plan.TenantExpiry{{What: plan.WhatApplePush, Name: c.appleID, Expires: date}},
	}
	renew := "Renew it in the Apple Push Certificates Portal with " + sameID + ": a certificate made with another Apple ID means re-enrolling every Apple device."
	switch {
	case days < 0:
		o.findings = []plan.Finding{finding(idApplePush, plan.FindingMissing, "Apple MDM push certificate has expired",
			fmt.Sprintf("It expired on %s (%s): Intune cannot manage or enroll Apple devices until it is renewed. %s", date, daysAgo(-days), renew))}
		o.apply = func(t *plan.Tenant) { t.AppleMDMPushCertificate = ptr(false) }
	case days <= warnDays:
		o.findings = []plan.Finding{finding(idApplePush, plan.FindingWarning, "Apple MDM push certificate expires "+inDays(days),
			fmt.Sprintf("It expires on %s (%d days left). %s", date, days, renew))}
		o.apply = func(t *plan.Tenant) { t.AppleMDMPushCertificate = ptr(true) }
	default:
		o.findings = []plan.Finding{finding(idApplePush, plan.FindingOK, "Apple MDM push certificate is valid until "+date,
			fmt.Sprintf("%d days left. Renew it every year with %s.", days, sameID))}
		o.apply = func(t *plan.Tenant) { t.AppleMDMPushCertificate = ptr(true) }
	}
	return o
}

// depToken is one Automatic Device Enrollment (enrollment program) token.
type depToken struct {
	name      string
	appleID   string // the Apple Business (or School) Manager account that downloaded it
	tokenType string // dep, appleSchoolManager
	expires   *time.Time
	lastSync  *time.Time
	syncError int
	devices   int
}

var statusRank = map[string]int{plan.FindingOK: 0, plan.FindingUnknown: 1, plan.FindingWarning: 2, plan.FindingMissing: 3}

func worse(a, b string) string {
	if statusRank[b] > statusRank[a] {
		return b
	}
	return a
}

// nameMax bounds a token's name where a finding quotes it.
const nameMax = 80

// detailBudget is what a finding's detail may take before its closing
// advice and "and N more": the whole stays within plan.MaxFindingText.
const detailBudget = plan.MaxFindingText - 40

// listed joins lines within budget characters and says how many more
// there were, so a tenant with many tokens still fits one finding.
func listed(lines []string, budget int, more func(n int) string) string {
	out := ""
	for i, l := range lines {
		next := l
		if i > 0 {
			next = "; " + l
		}
		rest := ""
		if i < len(lines)-1 {
			rest = more(len(lines) - i - 1)
		}
		if len(out)+len(next)+len(rest) > budget && i > 0 {
			return out + more(len(lines)-i)
		}
		out += next
	}
	return out
}

// quoteName quotes a name from the tenant, cut to nameMax.
func quoteName(name string) string { return fmt.Sprintf("%q", plan.Summarise(name, nameMax)) }

// urgency orders dated things: expired first, then by expiry date; undated last.
func urgency(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

func mapADETokens(tokens []depToken, now time.Time) outcome {
	if len(tokens) == 0 {
		return outcome{
			findings: []plan.Finding{finding(idADE, plan.FindingMissing, "No Automatic Device Enrollment token",
				"Intune holds no enrollment program token from Apple Business Manager or Apple School Manager: Automatic Device Enrollment of iPhones, iPads and Macs needs one.")},
			apply: func(t *plan.Tenant) { t.AppleBusinessManager = ptr(false) },
		}
	}
	tokens = slices.Clone(tokens)
	slices.SortStableFunc(tokens, func(a, b depToken) int { return urgency(a.expires, b.expires) })
	status, usable := plan.FindingOK, false
	var lines, expiring, accounts []string
	var expiries []plan.Expiry
	var tenantExp []plan.TenantExpiry
	for _, tk := range tokens {
		name := tk.name
		if name == "" {
			name = "unnamed token"
		}
		line := quoteName(name)
		switch {
		case tk.expires == nil:
			usable = true
			line += ": expiry not reported"
		default:
			date, days := dateOf(*tk.expires), daysLeft(now, *tk.expires)
			expiries = append(expiries, plan.Expiry{Kind: plan.ExpiryADEToken, Name: plan.Summarise(name, plan.MaxText), Date: date})
			tenantExp = append(tenantExp, plan.TenantExpiry{What: plan.WhatADEToken, Name: plan.Summarise(name, plan.MaxText), Expires: date})
			switch {
			case days < 0:
				status = worse(status, plan.FindingMissing)
				line += fmt.Sprintf(": expired on %s (%s); its devices no longer sync", date, daysAgo(-days))
				expiring = append(expiring, quoteName(name)+" has expired")
			case days <= warnDays:
				usable = true
				status = worse(status, plan.FindingWarning)
				line += fmt.Sprintf(": expires on %s (%d days left)", date, days)
				expiring = append(expiring, quoteName(name)+" expires "+inDays(days))
			default:
				usable = true
				line += fmt.Sprintf(": valid until %s (%d days left)", date, days)
			}
			if days <= warnDays {
				account := "the same Apple Business account"
				if tk.tokenType == "appleSchoolManager" {
					account = "the same Apple School Manager account"
				}
				if tk.appleID != "" {
					account += " (" + plan.Summarise(tk.appleID, nameMax) + ")"
				}
				if !slices.Contains(accounts, account) {
					accounts = append(accounts, account)
				}
			}
		}
		if tk.lastSync != nil {
			line += ", last synced " + dateOf(*tk.lastSync)
		}
		if tk.syncError != 0 {
			line += fmt.Sprintf(", last sync reported Apple error %d", tk.syncError)
		}
		if tk.devices > 0 {
			line += fmt.Sprintf(", %d devices", tk.devices)
		}
		lines = append(lines, line)
	}
	title := fmt.Sprintf("%d Automatic Device Enrollment tokens", len(tokens))
	if len(tokens) == 1 {
		title = "Automatic Device Enrollment token is valid"
	}
	if len(expiring) > 0 {
		// The most urgent named; the rest counted.
		title = "Enrollment program token " + expiring[0]
		if n := len(expiring) - 1; n > 0 {
			title += fmt.Sprintf(", and %d more expire within %d days or have expired", n, warnDays)
		}
	}
	advice := ""
	if len(accounts) > 0 {
		with := accounts[0]
		if len(accounts) > 1 {
			with = "the account that downloaded it"
		}
		advice = " Renew it in Apple Business Manager with " + with + " and upload it to the same token in Intune."
		if len(expiring) > 1 {
			advice = " Renew each in Apple Business Manager with " + with + " and upload it to the same token in Intune."
		}
	}
	detail := listed(lines, detailBudget-len(advice), func(n int) string {
		return fmt.Sprintf("; and %d more tokens, later to expire", n)
	}) + "." + advice
	if !usable {
		status = plan.FindingMissing
	}
	return outcome{
		findings:       []plan.Finding{finding(idADE, status, plan.Summarise(title, plan.MaxFindingText), plan.Summarise(detail, plan.MaxFindingText))},
		apply:          func(t *plan.Tenant) { t.AppleBusinessManager = ptr(usable) },
		expiries:       expiries,
		tenantExpiries: tenantExp,
	}
}

// vppToken is one Apple Apps and Books (VPP) location token.
type vppToken struct {
	organization string
	appleID      string
	education    bool
	expires      *time.Time
	state        string // unknown, valid, expired, invalid, assignedToExternalMDM
}

func mapVPPTokens(tokens []vppToken, now time.Time) outcome {
	if len(tokens) == 0 {
		return outcome{findings: []plan.Finding{finding(idVPP, plan.FindingMissing, "No Apple Apps and Books (VPP) token",
			"Intune holds no location token from Apple Business Manager: Automatic Device Enrollment with user affinity installs Company Portal as a device-licensed app from one, and apps assigned to devices without an Apple ID need one. Other enrollments do without.")}}
	}
	tokens = slices.Clone(tokens)
	slices.SortStableFunc(tokens, func(a, b vppToken) int { return urgency(a.expires, b.expires) })
	status := plan.FindingOK
	var lines, urgent []string
	var tenantExp []plan.TenantExpiry
	for _, tk := range tokens {
		name := cmp.Or(tk.organization, tk.appleID, "unnamed token")
		line := quoteName(name)
		switch tk.state {
		case "expired", "invalid":
			status = worse(status, plan.FindingMissing)
			line += " is " + tk.state
			urgent = append(urgent, quoteName(name)+" is "+tk.state)
		case "assignedToExternalMDM":
			status = worse(status, plan.FindingWarning)
			line += " is assigned to another MDM"
			urgent = append(urgent, quoteName(name)+" is assigned to another MDM")
		}
		if tk.expires != nil {
			date, days := dateOf(*tk.expires), daysLeft(now, *tk.expires)
			tenantExp = append(tenantExp, plan.TenantExpiry{What: plan.WhatVPPToken, Name: plan.Summarise(name, plan.MaxText), Expires: date})
			switch {
			case days < 0:
				status = worse(status, plan.FindingMissing)
				line += fmt.Sprintf(": expired on %s (%s)", date, daysAgo(-days))
				if tk.state != "expired" {
					urgent = append(urgent, quoteName(name)+" has expired")
				}
			case days <= warnDays:
				status = worse(status, plan.FindingWarning)
				line += fmt.Sprintf(": expires on %s (%d days left)", date, days)
				urgent = append(urgent, quoteName(name)+" expires "+inDays(days))
			default:
				line += fmt.Sprintf(": valid until %s (%d days left)", date, days)
			}
		} else {
			line += ": expiry not reported"
		}
		lines = append(lines, line)
	}
	title := fmt.Sprintf("%d Apple Apps and Books (VPP) tokens", len(tokens))
	if len(tokens) == 1 {
		title = "Apple Apps and Books (VPP) token is valid"
	}
	advice := ""
	if len(urgent) > 0 {
		title = "Apps and Books token " + urgent[0]
		if n := len(urgent) - 1; n > 0 {
			title += fmt.Sprintf(", and %d more need attention", n)
		}
		advice = " Download the location token again from Apple Business Manager and update it in Intune (Tenant administration > Connectors and tokens > Apple VPP tokens); apps from an expired token stop installing and updating."
	}
	detail := listed(lines, detailBudget-len(advice), func(n int) string {
		return fmt.Sprintf("; and %d more tokens, later to expire", n)
	}) + "." + advice
	return outcome{
		findings:       []plan.Finding{finding(idVPP, status, plan.Summarise(title, plan.MaxFindingText), plan.Summarise(detail, plan.MaxFindingText))},
		tenantExpiries: tenantExp,
	}
}

// googlePlay is the managed Google Play binding (bindStatus: notBound,
// bound, boundAndValidated, unbinding).
type googlePlay struct {
	bindStatus   string
	lastAppSync  string // lastAppSyncStatus: success, credentialsNotValid, androidForWorkApiError, managementServiceError, unknownError, none
	ownerOrgName string
	fullyManaged *bool // androidDeviceOwnerFullyManagedEnrollmentEnabled
}

func mapGooglePlay(g googlePlay) outcome {
	o := mapBinding(g)
	o.findings = append(o.findings, mapFullyManaged(g.fullyManaged))
	return o
}

// mapFullyManaged reads whether corporate-owned, fully managed Android
// devices may enroll (the setting is Intune's, beside the binding).
func mapFullyManaged(on *bool) plan.Finding {
	switch {
	case on == nil:
		return finding(idFullyManaged, plan.FindingUnknown, "Fully managed Android enrollment: not reported",
			"Graph's answer did not say whether corporate-owned, fully managed Android devices may enroll.")
	case *on:
		return finding(idFullyManaged, plan.FindingOK, "Fully managed Android enrollment is allowed",
			"Corporate-owned, fully managed Android devices may enroll (once managed Google Play is bound).")
	}
	return finding(idFullyManaged, plan.FindingWarning, "Fully managed Android enrollment is turned off",
		"Intune refuses corporate-owned, fully managed Android devices: a population planned as fully managed cannot enroll until it is turned on (Intune admin center > Devices > Enrollment > Android > Corporate-owned, fully managed user devices > Allow users to enroll corporate-owned user devices: Yes).")
}

func mapBinding(g googlePlay) outcome {
	switch g.bindStatus {
	case "bound", "boundAndValidated":
		detail := "Intune is connected to managed Google Play"
		if g.ownerOrgName != "" {
			detail += " (enterprise " + g.ownerOrgName + ")"
		}
		detail += ": Android Enterprise enrollment is available."
		status := plan.FindingOK
		if g.lastAppSync != "" && g.lastAppSync != "success" && g.lastAppSync != "none" {
			status = plan.FindingWarning
			detail += " The last app sync failed (" + g.lastAppSync + "): check the connection in the Intune admin center."
		}
		return outcome{
			findings: []plan.Finding{finding(idManagedGooglePlay, status, "Managed Google Play is bound", detail)},
			apply:    func(t *plan.Tenant) { t.ManagedGooglePlay = ptr(true) },
		}
	case "notBound":
		return outcome{
			findings: []plan.Finding{finding(idManagedGooglePlay, plan.FindingMissing, "Managed Google Play is not bound",
				"Intune is not connected to managed Google Play: no Android Enterprise method (work profile, corporate-owned work profile, fully managed, dedicated) can enroll until it is.")},
			apply: func(t *plan.Tenant) { t.ManagedGooglePlay = ptr(false) },
		}
	case "unbinding":
		return outcome{
			findings: []plan.Finding{finding(idManagedGooglePlay, plan.FindingWarning, "Managed Google Play is being unbound",
				"The managed Google Play binding is being removed: Android Enterprise devices will stop being managed. Bind it again before enrolling Android Enterprise devices.")},
			apply: func(t *plan.Tenant) { t.ManagedGooglePlay = ptr(false) },
		}
	}
	return outcome{findings: []plan.Finding{finding(idManagedGooglePlay, plan.FindingUnknown, "Managed Google Play binding: not reported",
		fmt.Sprintf("Graph reported the binding as %q.", g.bindStatus))}}
}

func mapAutopilot(n int, capped bool) outcome {
	if n == 0 {
		return outcome{findings: []plan.Finding{finding(idAutopilot, plan.FindingMissing, "No device is registered for Windows Autopilot",
			"Windows Autopilot populations need their devices registered (hardware hashes uploaded, or registered by the reseller or OEM) before they enroll.")}}
	}
	count := fmt.Sprintf("%d", n)
	if capped {
		count = "At least " + count
	}
	return outcome{findings: []plan.Finding{finding(idAutopilot, plan.FindingOK, fmt.Sprintf("%s devices are registered for Windows Autopilot", count),
		"Compare this with the Windows Autopilot populations: every device needs its registration before it enrolls.")}}
}

// Platforms of the v1.0 default platform restrictions, in the order shown.
var restrictionPlatforms = []struct{ key, name string }{
	{"android", "Android (device administrator)"},
	{"ios", "iOS/iPadOS"},
	{"macos", "macOS"},
	{"windows", "Windows"},
}

// restriction is one platform's part of the default enrollment restrictions.
type restriction struct{ blocked, personalBlocked bool }

// enrollmentConfig is what deviceEnrollmentConfigurations told.
type enrollmentConfig struct {
	defaultLimit    *int                   // the default device limit (priority 0)
	limits          int                    // limit configurations in all
	restrictions    map[string]restriction // the default platform restrictions, by platform key; nil when none was described
	restrictionSets int                    // platform restriction configurations in all
	perPlatform     int                    // per-platform restriction policies, which v1.0 does not describe
}

func mapEnrollmentConfig(c enrollmentConfig) outcome {
	o := outcome{facts: facts{deviceLimit: c.defaultLimit}}
	if c.defaultLimit != nil {
		detail := fmt.Sprintf("Each user may enroll up to %d devices; one more is refused.", *c.defaultLimit)
		if c.limits > 1 {
			detail += fmt.Sprintf(" %d more limit policies set other limits for some groups.", c.limits-1)
		}
		o.findings = append(o.findings, finding(idDeviceLimit, plan.FindingOK, fmt.Sprintf("Device limit: %d devices per user", *c.defaultLimit), detail))
	} else {
		o.findings = append(o.findings, finding(idDeviceLimit, plan.FindingUnknown, "Device limit: not reported",
			"Graph listed no default device limit configuration."))
	}
	if c.restrictions == nil {
		detail := "Graph v1.0 described no default platform restriction."
		if c.perPlatform > 0 {
			detail = "The tenant's enrollment restrictions are per-platform policies that Graph v1.0 does not describe."
		}
		o.findings = append(o.findings, finding(idRestrictions, plan.FindingUnknown, "Enrollment restrictions: not read",
			detail+" Check Devices > Enrollment > Device platform restriction in the Intune admin center."))
		return o
	}
	var blocked, personal []string
	o.restrictions = &plan.Restrictions{Blocked: []string{}, PersonalBlocked: []string{}}
	for _, p := range restrictionPlatforms {
		r := c.restrictions[p.key]
		switch {
		case r.blocked:
			blocked = append(blocked, p.name)
		case r.personalBlocked:
			personal = append(personal, p.name)
		}
		if p.key == "android" {
			continue // v1.0's Android restriction is device administrator's, not Android Enterprise's
		}
		if r.blocked {
			o.restrictions.Blocked = append(o.restrictions.Blocked, p.key)
		} else if r.personalBlocked {
			o.restrictions.PersonalBlocked = append(o.restrictions.PersonalBlocked, p.key)
		}
	}
	more := ""
	if c.restrictionSets > 1 {
		more = fmt.Sprintf(" %d more restriction policies apply to some groups.", c.restrictionSets-1)
	}
	if len(blocked) == 0 && len(personal) == 0 {
		o.findings = append(o.findings, finding(idRestrictions, plan.FindingOK, "No platform is blocked from enrolling",
			"The default restrictions let every platform enroll, personally owned devices included."+more))
		return o
	}
	var parts []string
	if len(blocked) > 0 {
		parts = append(parts, "blocked entirely: "+strings.Join(blocked, ", "))
	}
	if len(personal) > 0 {
		parts = append(parts, "personally owned devices blocked: "+strings.Join(personal, ", "))
	}
	o.findings = append(o.findings, finding(idRestrictions, plan.FindingWarning, "Enrollment restrictions block some devices",
		"The default restrictions have "+strings.Join(parts, "; ")+". A population on a blocked platform, or a BYOD population where personally owned devices are blocked, is refused until the restriction changes."+more))
	return o
}

// deviceJoin is who may join devices to Microsoft Entra ID.
type deviceJoin struct {
	allowed string // all, selected, none, "" when not reported
	users   int
	groups  int
	quota   *int // userDeviceQuota
}

func mapDeviceJoin(j deviceJoin) outcome {
	quota := ""
	if j.quota != nil {
		quota = fmt.Sprintf(" Each user may join or register up to %d devices.", *j.quota)
	}
	switch j.allowed {
	case "all":
		return outcome{findings: []plan.Finding{finding(idDeviceJoin, plan.FindingOK, "All users may join devices to Microsoft Entra ID",
			"Windows Autopilot and Entra join work for every user."+quota)}}
	case "selected":
		return outcome{findings: []plan.Finding{finding(idDeviceJoin, plan.FindingWarning, "Only selected users may join devices to Microsoft Entra ID",
			fmt.Sprintf("%d users and %d groups may join devices. Windows Autopilot and Entra join fail for anyone else: make sure every user of a Windows population is among them.%s", j.users, j.groups, quota))}}
	case "none":
		return outcome{findings: []plan.Finding{finding(idDeviceJoin, plan.FindingMissing, "No user may join devices to Microsoft Entra ID",
			"Windows Autopilot and Entra join need users to be allowed to join devices (Entra admin center > Devices > Device settings)."+quota)}}
	}
	return outcome{findings: []plan.Finding{finding(idDeviceJoin, plan.FindingUnknown, "Who may join devices: not reported",
		"Graph's device registration policy did not say who may join devices."+quota)}}
}

// mdmPolicy is Intune's entry among the tenant's mobility (MDM) applications.
type mdmPolicy struct {
	found     bool
	appliesTo string // none, all, selected
	groups    []string
}

func mapAutoEnrollment(p mdmPolicy) outcome {
	if !p.found {
		return outcome{findings: []plan.Finding{finding(idAutoEnrollment, plan.FindingMissing, "Intune is not among the tenant's mobility (MDM) applications",
			"Automatic MDM enrollment of Windows devices needs Microsoft Intune in Entra ID's Mobility (MDM and WIP) settings.")}}
	}
	switch p.appliesTo {
	case "all":
		return outcome{findings: []plan.Finding{finding(idAutoEnrollment, plan.FindingOK, "Automatic MDM enrollment applies to all users",
			"Windows devices that join Microsoft Entra ID enroll in Intune automatically.")}}
	case "selected":
		groups := "the selected groups"
		if len(p.groups) > 0 {
			groups = strings.Join(p.groups, ", ")
		}
		return outcome{findings: []plan.Finding{finding(idAutoEnrollment, plan.FindingWarning, "Automatic MDM enrollment applies to selected groups only",
			"It applies to "+groups+". Windows devices of anyone else join Microsoft Entra ID without enrolling in Intune.")}}
	case "none":
		return outcome{findings: []plan.Finding{finding(idAutoEnrollment, plan.FindingMissing, "Automatic MDM enrollment is off",
			"The MDM user scope is None: Windows devices that join Microsoft Entra ID do not enroll in Intune. Set it to All or to the pilot group.")}}
	}
	return outcome{findings: []plan.Finding{finding(idAutoEnrollment, plan.FindingUnknown, "Automatic MDM enrollment scope: not reported",
		fmt.Sprintf("Graph reported the MDM user scope as %q.", p.appliesTo))}}
}

// crossCheck adds to the findings what only two readings together tell:
// Microsoft Entra ID's device quota below Intune's device limit, where the
// lower one wins (Intune and Microsoft Entra device limit restrictions).
func crossCheck(fs []plan.Finding, f facts) {
	if f.deviceLimit == nil || f.deviceQuota == nil || *f.deviceQuota >= *f.deviceLimit {
		return
	}
	i := slices.IndexFunc(fs, func(x plan.Finding) bool { return x.ID == idDeviceLimit })
	if i < 0 {
		return
	}
	limit, quota := *f.deviceLimit, *f.deviceQuota
	entra := fmt.Sprintf("Microsoft Entra ID lets each user join or register only %d devices (Maximum number of devices per user)", quota)
	if quota == 0 {
		entra = "Microsoft Entra ID lets users join or register no device at all (Maximum number of devices per user is 0)"
	}
	fs[i].Status = worse(fs[i].Status, plan.FindingWarning)
	fs[i].Title = fmt.Sprintf("Device limit: Entra ID's %d devices per user win over Intune's %d", quota, limit)
	fs[i].Detail = plan.Summarise(fmt.Sprintf("Intune lets each user enroll up to %d devices, but %s. The lower limit wins: Entra ID refuses a user's device beyond %d, though Intune would take it. "+
		"Raise Maximum number of devices per user to at least %d (Microsoft Entra admin center > Identity > Devices > Device settings), or lower Intune's device limit to %d so that both agree. Entra ID's limit does not count hybrid-joined Windows devices.",
		limit, entra, quota, limit, quota), plan.MaxFindingText)
}

// devicePlatform reads a managed device's operatingSystem as a platform
// word of CONTRACT §8.4.
func devicePlatform(os string) string {
	v := strings.ToLower(strings.TrimSpace(os))
	switch {
	case strings.Contains(v, "mobile") || strings.Contains(v, "phone"):
		return "other" // Windows Mobile, Windows Phone
	case strings.HasPrefix(v, "windows"):
		return "windows"
	case v == "ios" || v == "ipados":
		return "ios"
	case v == "macos" || v == "mac os" || v == "macmdm" || v == "osx" || v == "os x":
		return "macos"
	case strings.HasPrefix(v, "android"):
		return "android"
	case v == "linux" || v == "ubuntu" || strings.HasPrefix(v, "rhel") || strings.HasPrefix(v, "red hat"):
		return "linux"
	}
	return "other"
}

// deviceOwnership reads managedDeviceOwnerType (unknown, company, personal).
func deviceOwnership(owner string) string {
	switch strings.ToLower(owner) {
	case "company":
		return plan.OwnCorporate
	case "personal":
		return plan.OwnPersonal
	}
	return "unknown"
}

// platformNames say the device platforms in findings.
var platformNames = map[string]string{
	"windows": "Windows", "macos": "macOS", "ios": "iOS/iPadOS", "android": "Android", "linux": "Linux", "other": "other platforms",
}

// mapManagedDevices turns the counts per platform and ownership into the
// check's devices and a finding; more says the count stopped at its cap.
func mapManagedDevices(counts map[[2]string]int, more bool) outcome {
	var o outcome
	total := 0
	var parts []string
	for _, p := range plan.DevicePlatforms {
		sum := 0
		var by []string
		for _, own := range plan.DeviceOwnerships {
			if n := counts[[2]string{p, own}]; n > 0 {
				o.devices = append(o.devices, plan.DeviceCount{Platform: p, Ownership: own, Count: n})
				sum += n
				word := own
				if own == "unknown" {
					word = "of unknown ownership"
				}
				by = append(by, fmt.Sprintf("%s %s", plan.Thousands(n), word))
			}
		}
		if sum > 0 {
			total += sum
			parts = append(parts, fmt.Sprintf("%s: %s (%s)", platformNames[p], plan.Thousands(sum), strings.Join(by, ", ")))
		}
	}
	if total == 0 {
		o.findings = []plan.Finding{finding(idDevices, plan.FindingOK, "No device is managed by Intune yet",
			"Intune manages no device yet: every device of the plan is still to enroll.")}
		return o
	}
	count := plan.Thousands(total)
	detail := strings.Join(parts, "; ") + "."
	if more {
		count = "At least " + count
		detail += fmt.Sprintf(" The count stopped after %d pages of devices; the tenant has more.", maxDevicePages)
	}
	o.findings = []plan.Finding{finding(idDevices, plan.FindingOK, count+" devices are managed by Intune", detail)}
	return o
}
