package inventory

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// managedIntune marks devices already enrolled in Intune: they form groups
// of their own, which Answers leaves out (plan.ManagedByValues has no such
// value, because such devices have nothing left to enroll).
const managedIntune = "intune"

// fields are the recognised values of one row.
type fields struct {
	name, serial, os, osVersion, model, maker, ownership, user, lastSeen, managedBy, usage, id string
}

// class is what a row says about its device, as far as grouping goes.
type class struct {
	platform  string
	kind      string // iOS only: "iphone", "ipad" or "" when the row does not say
	ownership string
	usage     string
	managed   string // a plan.Managed* value, managedIntune, or "" when unknown
	maker     string // the maker, tidied ("Dell Inc." → "Dell"), or ""
}

// makerKey is the maker where it changes the enrollment path (Samsung Knox
// Mobile Enrollment, Zebra's staging tools: corporate Android devices);
// elsewhere it is ignored.
func (c class) makerKey() string {
	if c.platform == "android" && c.ownership == plan.OwnCorporate && (c.maker == "Samsung" || c.maker == "Zebra") {
		return c.maker
	}
	return ""
}

// context is what the whole file says: its export, and which columns it has.
type context struct {
	format          string
	heading         map[string]string // field → heading, for reasons in words
	defaultPlatform string            // Jamf Pro: computers are Macs, mobile devices iOS
}

func (x context) has(field string) bool { return x.heading[field] != "" }

// classify places one row, or says in words why it cannot.
func (x context) classify(f fields) (class, string) {
	var c class
	platform, refusal := "", ""
	for _, t := range []string{f.os, f.osVersion, f.usage, f.model} {
		if platform, refusal = platformOf(t); platform != "" || refusal != "" {
			break
		}
	}
	if refusal != "" {
		return c, refusal
	}
	c.maker = tidyMaker(f.maker)
	c.kind = appleKind(f.model, f.os, f.usage, f.name)
	if platform == "" {
		platform = platformOfMaker(c.maker)
	}
	if platform == "apple" || (platform == "" && x.defaultPlatform != "") {
		switch {
		case c.kind != "":
			platform = "ios"
		case x.defaultPlatform != "":
			platform = x.defaultPlatform
		case x.format == FormatWorkspaceONE:
			platform = "ios" // its platform "Apple" is iOS; Macs are "Apple macOS"
		default:
			return c, fmt.Sprintf("%s says Apple, which makes iPhones, iPads and Macs, and no column says which", x.where(f))
		}
	}
	if platform == "" {
		return c, x.noPlatform(f)
	}
	c.platform = platform
	if platform != "ios" {
		c.kind = ""
	}
	if c.maker == "" {
		c.maker = impliedMaker(platform, f)
	}
	c.ownership, c.usage = x.ownershipAndUsage(f, c)
	c.managed = x.managedOf(f.managedBy, platform)
	return c, ""
}

// where names the row's platform clues for a reason.
func (x context) where(f fields) string {
	for _, p := range []struct{ field, value string }{{"os", f.os}, {"model", f.model}, {"manufacturer", f.maker}} {
		if p.value != "" {
			return fmt.Sprintf("the %s %s", x.label(p.field), quote(p.value))
		}
	}
	return "the row"
}

func (x context) label(field string) string {
	if h := x.heading[field]; h != "" {
		return "column " + quote(h)
	}
	return field
}

// noPlatform explains a row whose platform cannot be told: "the column
// “OS” is empty and the model “X” names no platform".
func (x context) noPlatform(f fields) string {
	var why []string
	modelSays := x.has("model") && f.model != ""
	switch {
	case !x.has("os"):
	case f.os == "":
		why = append(why, fmt.Sprintf("the %s is empty", x.label("os")))
	case modelSays:
		why = append(why, fmt.Sprintf("the %s holds %s", x.label("os"), quote(f.os)))
	default:
		why = append(why, fmt.Sprintf("the %s holds %s, which names no platform", x.label("os"), quote(f.os)))
	}
	switch {
	case modelSays:
		why = append(why, fmt.Sprintf("the model %s names no platform", quote(f.model)))
	case x.has("model"):
		why = append(why, fmt.Sprintf("the %s is empty", x.label("model")))
	}
	if len(why) == 0 && x.has("usage") {
		if f.usage == "" {
			why = append(why, fmt.Sprintf("the %s is empty", x.label("usage")))
		} else {
			why = append(why, fmt.Sprintf("the %s holds %s, which names no platform", x.label("usage"), quote(f.usage)))
		}
	}
	if len(why) == 0 {
		return "no column of this row says its platform (Windows, iOS/iPadOS, macOS, Android or Linux)"
	}
	return strings.Join(why, " and ")
}

// platformOf reads a platform from an OS, model or type text; refusal says
// why a recognised device is not one Intune enrolls.
func platformOf(s string) (platform, refusal string) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return "", ""
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	switch {
	case strings.Contains(t, "windows") && strings.Contains(t, "server"):
		return "", fmt.Sprintf("%s is Windows Server, which Intune does not enroll", quote(s))
	case containsAny(t, "windows phone", "windows mobile", "windows ce", "winmo", "windows embedded handheld"):
		return "", fmt.Sprintf("%s is Windows Phone or Windows Mobile, which Intune no longer supports", quote(s))
	case containsAny(t, "tvos", "apple tv", "appletv", "watchos", "apple watch", "visionos", "vision pro"):
		return "", fmt.Sprintf("%s is an Apple TV, Watch or Vision device, which this plan does not cover", quote(s))
	case containsAny(t, "chrome os", "chromeos", "chromebook", "pixelbook"):
		return "", fmt.Sprintf("%s is ChromeOS, which Intune does not enroll", quote(s))
	case containsAny(t, "blackberry os", "symbian", "tizen"):
		return "", fmt.Sprintf("%s is a platform Intune does not enroll", quote(s))
	case containsAny(t, "windows", "winrt", "hololens", "holographic", "surface hub") || hasWord(words, "win10", "win11"):
		return "windows", ""
	case containsAny(t, "iphone", "ipad", "ipod") || wordPrefix(words, "ios"):
		return "ios", ""
	case containsAny(t, "macos", "mac os", "os x", "osx", "macintosh", "macbook", "imac", "mac mini", "macmini",
		"mac pro", "macpro", "mac studio", "macstudio") || wordPrefix(words, "mac"):
		return "macos", ""
	case containsAny(t, "android", "aosp", "surface duo"):
		return "android", ""
	case containsAny(t, "linux", "ubuntu", "red hat", "redhat", "rhel", "debian", "fedora", "suse"):
		return "linux", ""
	case containsAny(t, "galaxy book", "galaxybook", "surface", "thinkpad", "latitude", "optiplex", "elitebook",
		"probook", "elitedesk", "prodesk", "elite mini", "thinkcentre", "thinkbook", "zbook", "vostro", "inspiron", "ideapad"):
		return "windows", ""
	case containsAny(t, "pixel", "galaxy") || strings.HasPrefix(t, "sm-"):
		return "android", ""
	case t == "apple" || strings.HasPrefix(t, "apple "):
		return "apple", "" // Workspace ONE's platform for iOS; Apple Business's maker
	}
	return "", ""
}

// platformOfMaker guesses a platform from makers that make only one kind.
func platformOfMaker(maker string) string {
	switch maker {
	case "Apple":
		return "apple"
	case "Zebra", "Honeywell":
		return "android" // their mobile computers run Android
	}
	return ""
}

// appleKind tells iPhones from iPads, from the model first.
func appleKind(texts ...string) string {
	for _, s := range texts {
		t := strings.ToLower(s)
		switch {
		case strings.Contains(t, "iphone"), strings.Contains(t, "ipod"):
			return "iphone"
		case strings.Contains(strings.ReplaceAll(t, "ipados", ""), "ipad"):
			return "ipad"
		case strings.Contains(t, "ipados") && !strings.Contains(t, "ios/") && !strings.HasPrefix(t, "ios"):
			return "ipad" // "iPadOS" alone; Intune's "iOS/iPadOS" does not say
		}
	}
	return ""
}

// impliedMaker is the maker a row implies without naming it.
func impliedMaker(platform string, f fields) string {
	t := strings.ToLower(f.model + " " + f.os)
	switch {
	case platform == "ios" || platform == "macos":
		return "Apple"
	case platform == "android" && (strings.Contains(t, "galaxy") || strings.HasPrefix(t, "sm-") || strings.Contains(t, "knox") || strings.Contains(t, "samsung")):
		return "Samsung"
	case platform == "android" && strings.Contains(t, "zebra"):
		return "Zebra"
	case platform == "android" && strings.Contains(t, "pixel"):
		return "Google"
	case platform == "windows" && strings.Contains(t, "surface"):
		return "Microsoft"
	}
	return ""
}

// ownershipAndUsage decides whose the device is and how it is used.
func (x context) ownershipAndUsage(f fields, c class) (ownership, usage string) {
	own, sharedByOwner := ownershipOf(f.ownership)
	hints := strings.ToLower(f.usage + " " + f.os)
	switch {
	case x.format == FormatAppleBusiness:
		own = plan.OwnCorporate // Apple Business holds the organisation's devices only
	case own == "" && containsAny(hints, "personally-owned", "personally owned", "personal", "byod", "user enrollment", "userenrollment"):
		own = plan.OwnPersonal
	case own == "":
		own = plan.OwnCorporate // an inventory lists the organisation's devices unless it says otherwise
	}
	if own == plan.OwnPersonal {
		return own, plan.UsageUser // a personal device has one user
	}
	hints += " " + strings.ToLower(f.name)
	switch {
	case containsAny(hints, "kiosk", "dedicated", "cosu", "single app", "single-app", "singleapp", "signage", "userless"):
		return own, plan.UsageDedicated
	case sharedByOwner || containsAny(hints, "shared", "multi-user", "multiuser", "multi user", "withoutuser", "without user", "hot desk", "hotdesk"):
		return own, plan.UsageShared
	case x.has("user") && f.user == "" && (c.platform == "windows" || c.kind == "ipad"):
		// A PC or iPad nobody is the primary user of is used by several.
		return own, plan.UsageShared
	}
	return own, plan.UsageUser
}

// ownershipOf reads an ownership value: Intune's Corporate/Personal,
// Configuration Manager's Company/Personal, Workspace ONE's C/E/S
// (Corporate-Dedicated, Employee Owned, Corporate-Shared), BYOD and the like.
func ownershipOf(s string) (ownership string, shared bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "":
		return "", false
	case t == "s":
		return plan.OwnCorporate, true
	case t == "c":
		return plan.OwnCorporate, false
	case t == "e" || t == "p":
		return plan.OwnPersonal, false
	case containsAny(t, "personal", "employee", "byod", "private", "user owned", "user-owned"):
		return plan.OwnPersonal, false
	case containsAny(t, "corporate", "company", "corp", "organisation", "organization", "business", "enterprise", "work"):
		return plan.OwnCorporate, strings.Contains(t, "shared")
	}
	return "", false
}

// managedOf reads what manages the device today from a "Managed by",
// "Management agent", "MDM server" or similar value, else from the export.
func (x context) managedOf(s, platform string) string {
	t := strings.ToLower(strings.TrimSpace(s))
	m := ""
	switch {
	case t == "":
		m = x.defaultManaged()
	case containsAny(t, "co-managed", "comanaged", "configmgr", "configuration manager", "configurationmanager", "sccm", "mecm"):
		m = plan.ManagedConfigMgr
	case containsAny(t, "intune") || t == "mdm" || t == "easmdm":
		m = managedIntune
		if x.format == FormatAppleBusiness {
			m = plan.ManagedNone // assigned to Intune for Automated Device Enrollment, not enrolled yet
		}
	case isAny(t, "none", "no", "false", "0", "n", "-", "unmanaged", "not managed", "unassigned", "not assigned",
		"mde", "microsoft defender", "mssense", "eas", "exchange activesync", "unenrolled", "enrollment pending",
		"pending", "not enrolled", "n/a"):
		m = plan.ManagedNone
	case isAny(t, "yes", "true", "1", "y", "managed", "enrolled"):
		m = x.defaultManaged()
		if m == "" || m == plan.ManagedNone {
			m = plan.ManagedOtherMDM
		}
	default:
		m = plan.ManagedOtherMDM // a value naming any other MDM: Jamf, Workspace ONE, MobileIron, Kandji…
	}
	if m == plan.ManagedConfigMgr && platform != "windows" {
		m = plan.ManagedNone // Configuration Manager co-manages Windows only
	}
	return m
}

func (x context) defaultManaged() string {
	switch x.format {
	case FormatIntune:
		return managedIntune
	case FormatConfigMgr:
		return plan.ManagedConfigMgr
	case FormatJamf, FormatWorkspaceONE:
		return plan.ManagedOtherMDM
	case FormatAppleBusiness:
		return plan.ManagedNone
	}
	return ""
}

// makers tidies the names exports give makers, folded by normHeading.
var makers = map[string]string{
	"dell": "Dell", "lenovo": "Lenovo", "hp": "HP", "hewlettpackard": "HP", "microsoft": "Microsoft",
	"apple": "Apple", "samsung": "Samsung", "zebra": "Zebra", "google": "Google", "motorola": "Motorola",
	"motorolamobility": "Motorola", "honeywell": "Honeywell", "panasonic": "Panasonic", "acer": "Acer",
	"asus": "ASUS", "asustek": "ASUS", "fujitsu": "Fujitsu", "toshiba": "Toshiba", "dynabook": "Dynabook",
	"getac": "Getac", "nokia": "Nokia", "xiaomi": "Xiaomi", "oneplus": "OnePlus", "sony": "Sony", "lg": "LG",
	"huawei": "Huawei", "oppo": "OPPO", "vmware": "VMware", "ecom": "ecom", "crosscall": "Crosscall",
}

var makerSuffixes = []string{"inc", "corporation", "corp", "coltd", "ltd", "gmbh", "technologies", "technology",
	"electronics", "computer", "mobility", "international", "co", "llc", "limited", "plc", "ag", "sa", "bv"}

// tidyMaker names a maker as people write it, at most plan.MaxManufacturer
// characters.
func tidyMaker(s string) string {
	s = strings.TrimSpace(s)
	key := normHeading(s)
	for key != "" {
		if m, ok := makers[key]; ok {
			return m
		}
		trimmed := false
		for _, suf := range makerSuffixes {
			if k, ok := strings.CutSuffix(key, suf); ok && k != "" {
				key, trimmed = k, true
				break
			}
		}
		if !trimmed {
			break
		}
	}
	if isAny(strings.ToLower(s), "", "unknown", "n/a", "-", "none", "system manufacturer", "to be filled by o.e.m.") {
		return ""
	}
	return truncateRunes(s, plan.MaxManufacturer)
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func isAny(s string, values ...string) bool {
	for _, v := range values {
		if s == v {
			return true
		}
	}
	return false
}

func hasWord(words []string, ws ...string) bool {
	for _, w := range words {
		if isAny(w, ws...) {
			return true
		}
	}
	return false
}

// wordPrefix says whether a word is prefix alone or followed by digits
// ("ios", "ios17", "mac14"), so "bios" and "kiosk" do not count.
func wordPrefix(words []string, prefix string) bool {
	for _, w := range words {
		if rest, ok := strings.CutPrefix(w, prefix); ok && strings.TrimLeft(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}

// quote puts a value in typographic quotes, as the plan's messages do.
func quote(s string) string { return "“" + s + "”" }
