package inventory

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// The exports Read recognises (Result.Format).
const (
	FormatIntune        = "Intune"
	FormatConfigMgr     = "Configuration Manager"
	FormatJamf          = "Jamf Pro"
	FormatWorkspaceONE  = "Workspace ONE"
	FormatAppleBusiness = "Apple Business"
	FormatSpreadsheet   = "a spreadsheet"
)

// Column is one column of the file: its heading, the field it was taken
// for (a plan.InventoryFields value, "" when not recognised or ignored) and
// up to three of its values, so the wizard can ask about a column.
type Column struct {
	Heading string   `json:"heading"`
	Field   string   `json:"field"`
	Samples []string `json:"samples,omitempty"`
}

// normHeading folds a heading for matching: lower case, letters and digits
// only ("Primary user(s)" → "primaryusers", "Last check-in" → "lastcheckin").
func normHeading(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// signatures are headings that only one vendor's export uses (with a
// weight); the best-scoring vendor with at least 3 names the format.
var signatures = map[string]map[string]int{
	FormatIntune: {
		"primaryuserupn": 2, "managedby": 2, "managementname": 2, "intuneregistered": 2, "skufamily": 2,
		"easactivated": 2, "manageddeviceownertype": 2, "primaryuseremailaddress": 1, "jointype": 1,
		"azureaddeviceid": 1, "entradeviceid": 1, "enrollmentdate": 1, "lastcheckin": 1, "compliance": 1,
		"managementagent": 1, "lastsyncdatetime": 1, "compliancestate": 1, "deviceenrollmenttype": 1,
	},
	FormatConfigMgr: {
		"clientactivity": 2, "sitecode": 2, "primaryusers": 2, "currentlyloggedonuser": 2, "comanaged": 2,
		"clienttype": 2, "clientcheckresult": 2, "client": 1, "deviceowner": 1, "lastlogonuser": 1,
		"lastactivity": 1, "resourceid": 1,
	},
	FormatJamf: {
		"computername": 2, "mobiledevicename": 2, "lastinventoryupdate": 2, "jamfbinaryversion": 2,
		"operatingsystemversion": 1, "managed": 1, "udid": 1, "modelidentifier": 1, "building": 1, "fullname": 1,
	},
	FormatWorkspaceONE: {
		"friendlyname": 3, "enrollmentstatus": 2, "organizationgroup": 2, "compromisedstatus": 2,
		"lastseen": 1, "compliancestatus": 1, "platform": 1,
	},
	FormatAppleBusiness: {
		"ordernumber": 2, "devicefamily": 2, "productfamily": 2, "deviceaddedby": 2, "mdmserver": 2,
		"assignedserver": 2, "assignedmdmserver": 2, "purchasesource": 2, "deviceaddeddate": 2,
		"orderdate": 1, "devicemodel": 1, "devicecapacity": 1,
	},
}

var formatOrder = []string{FormatIntune, FormatConfigMgr, FormatJamf, FormatWorkspaceONE, FormatAppleBusiness}

// detectFormat names the export its headings come from.
func detectFormat(norms []string) string {
	best, bestScore := FormatSpreadsheet, 2
	for _, f := range formatOrder {
		score := 0
		for _, n := range norms {
			score += signatures[f][n]
		}
		if score > bestScore {
			best, bestScore = f, score
		}
	}
	return best
}

// recognised is a heading a field may be read from; lower prio wins when
// several columns could hold one field.
type recognised struct {
	field  string
	prio   int
	format string // "" for any export
}

// headings are the vendors' column names (and common hand-made ones),
// folded by normHeading.
var headings = map[string][]recognised{
	// name
	"devicename": {{"name", 0, ""}}, "computername": {{"name", 0, ""}}, "mobiledevicename": {{"name", 0, ""}},
	"friendlyname": {{"name", 0, ""}}, "devicefriendlyname": {{"name", 0, ""}}, "name": {{"name", 1, ""}},
	"device": {{"name", 1, ""}}, "hostname": {{"name", 1, ""}}, "netbiosname": {{"name", 1, ""}},
	"computer": {{"name", 2, ""}}, "assetname": {{"name", 2, ""}}, "displayname": {{"name", 3, ""}},
	// serial
	"serialnumber": {{"serial", 0, ""}}, "serial": {{"serial", 0, ""}}, "serialno": {{"serial", 0, ""}},
	"deviceserialnumber": {{"serial", 0, ""}}, "servicetag": {{"serial", 1, ""}}, "sn": {{"serial", 2, ""}},
	// os
	"os": {{"os", 0, ""}, {"os_version", 0, FormatWorkspaceONE}}, "operatingsystem": {{"os", 0, ""}},
	"osname": {{"os", 0, ""}}, "ostype": {{"os", 1, ""}}, "osfamily": {{"os", 1, ""}},
	"platform": {{"os", 1, ""}, {"os", 0, FormatWorkspaceONE}}, "devicefamily": {{"os", 1, ""}},
	"productfamily": {{"os", 1, ""}}, "devicetype": {{"os", 2, ""}},
	// os_version
	"osversion": {{"os_version", 0, ""}}, "operatingsystemversion": {{"os_version", 0, ""}},
	"operatingsystembuild": {{"os_version", 1, ""}}, "osbuild": {{"os_version", 1, ""}},
	"version": {{"os_version", 2, ""}}, "softwareversion": {{"os_version", 2, ""}},
	// model
	"model": {{"model", 0, ""}}, "devicemodel": {{"model", 0, ""}}, "modelname": {{"model", 0, ""}},
	"hardwaremodel": {{"model", 0, ""}}, "modelidentifier": {{"model", 1, ""}}, "productname": {{"model", 2, ""}},
	"product": {{"model", 2, ""}}, "productdescription": {{"model", 2, ""}},
	// manufacturer
	"manufacturer": {{"manufacturer", 0, ""}}, "devicemanufacturer": {{"manufacturer", 0, ""}},
	"make": {{"manufacturer", 0, ""}}, "maker": {{"manufacturer", 0, ""}}, "vendor": {{"manufacturer", 1, ""}},
	"brand": {{"manufacturer", 1, ""}}, "oem": {{"manufacturer", 1, ""}},
	// ownership
	"ownership": {{"ownership", 0, ""}}, "deviceowner": {{"ownership", 0, ""}}, "ownertype": {{"ownership", 0, ""}},
	"manageddeviceownertype": {{"ownership", 0, ""}}, "ownershiptype": {{"ownership", 0, ""}},
	"ownedby": {{"ownership", 1, ""}}, "owner": {{"ownership", 2, ""}},
	// user
	"primaryuserupn": {{"user", 0, ""}}, "primaryusers": {{"user", 0, ""}}, "primaryuser": {{"user", 0, ""}},
	"userprincipalname": {{"user", 0, ""}}, "upn": {{"user", 0, ""}}, "assigneduser": {{"user", 0, ""}},
	"user": {{"user", 1, ""}}, "username": {{"user", 1, ""}}, "assignedto": {{"user", 1, ""}},
	"primaryuseremailaddress": {{"user", 2, ""}}, "useremail": {{"user", 2, ""}}, "emailaddress": {{"user", 2, ""}},
	"email": {{"user", 3, ""}}, "primaryuserdisplayname": {{"user", 3, ""}}, "fullname": {{"user", 3, ""}},
	// last_seen
	"lastcheckin": {{"last_seen", 0, ""}}, "lastseen": {{"last_seen", 0, ""}}, "lastsyncdatetime": {{"last_seen", 0, ""}},
	"lastsync": {{"last_seen", 0, ""}}, "lastactivity": {{"last_seen", 0, ""}}, "lastcontact": {{"last_seen", 1, ""}},
	"lastcontacttime": {{"last_seen", 1, ""}}, "lastinventoryupdate": {{"last_seen", 1, ""}},
	"lastcheckindate": {{"last_seen", 0, ""}}, "lastreported": {{"last_seen", 1, ""}},
	"lastlogon": {{"last_seen", 2, ""}}, "lastlogontimestamp": {{"last_seen", 2, ""}},
	"clientactivity": {{"last_seen", 3, FormatConfigMgr}},
	// managed_by
	"managedby": {{"managed_by", 0, ""}}, "managementagent": {{"managed_by", 1, ""}},
	"managementchannel": {{"managed_by", 2, ""}}, "mdm": {{"managed_by", 1, ""}}, "mdmprovider": {{"managed_by", 1, ""}},
	"mdmserver": {{"managed_by", 0, ""}}, "assignedserver": {{"managed_by", 0, ""}}, "assignedmdmserver": {{"managed_by", 0, ""}},
	"managed": {{"managed_by", 1, FormatJamf}}, "client": {{"managed_by", 1, FormatConfigMgr}},
	"enrollmentstatus": {{"managed_by", 1, FormatWorkspaceONE}},
	// usage
	"usage": {{"usage", 0, ""}}, "use": {{"usage", 0, ""}}, "purpose": {{"usage", 1, ""}},
	"deviceenrollmenttype": {{"usage", 1, ""}}, "enrollmenttype": {{"usage", 1, ""}}, "enrollmentprofile": {{"usage", 2, ""}},
	"managementmode": {{"usage", 1, ""}}, "mode": {{"usage", 2, ""}}, "type": {{"usage", 2, ""}},
	"category": {{"usage", 3, ""}}, "devicecategory": {{"usage", 3, ""}}, "role": {{"usage", 3, ""}},
	// id
	"deviceid": {{"id", 0, ""}}, "intunedeviceid": {{"id", 0, ""}}, "manageddeviceid": {{"id", 0, ""}},
	"id": {{"id", 1, ""}}, "udid": {{"id", 1, ""}}, "resourceid": {{"id", 1, ""}}, "assettag": {{"id", 1, ""}},
	"assetnumber": {{"id", 1, ""}}, "azureaddeviceid": {{"id", 2, ""}}, "entradeviceid": {{"id", 2, ""}},
}

// lookupHeading finds a heading, also without a unit such as "(UTC)".
func lookupHeading(norm string) []recognised {
	if r, ok := headings[norm]; ok {
		return r
	}
	for _, suffix := range []string{"utc", "datetime", "date", "time"} {
		if s, ok := strings.CutSuffix(norm, suffix); ok && s != "" {
			if r, ok := headings[s]; ok {
				return r
			}
		}
	}
	return nil
}

// maxColumns bounds a heading row; the widest exports have about 60.
const maxColumns = 1000

// assignFields decides which column holds which field: the planner's
// Mapping first, then the best-recognised heading for each field.
func assignFields(cols []Column, format string, mapping map[string]string) error {
	for heading, field := range mapping {
		if field != "" && !slices.Contains(plan.InventoryFields, field) {
			return fail(0, "%q is not a field the import knows; use one of %s, or nothing to ignore the column %q.", field, strings.Join(plan.InventoryFields, ", "), heading)
		}
	}
	mapped := make([]bool, len(cols))
	taken := map[string]bool{}
	for i := range cols {
		if field, ok := mappingFor(mapping, cols[i].Heading); ok {
			mapped[i] = true
			if field != "" && !taken[field] {
				cols[i].Field, taken[field] = field, true
			}
		}
	}
	type pick struct{ col, prio int }
	best := map[string]pick{}
	for i := range cols {
		if mapped[i] {
			continue
		}
		for _, r := range lookupHeading(normHeading(cols[i].Heading)) {
			if r.format != "" && r.format != format {
				continue
			}
			if r.format == "" && hasFormatSpecific(normHeading(cols[i].Heading), format) {
				continue
			}
			if p, ok := best[r.field]; taken[r.field] || (ok && p.prio <= r.prio) {
				continue
			}
			best[r.field] = pick{i, r.prio}
		}
	}
	for field, p := range best {
		cols[p.col].Field = field // a heading means one field in any one export
	}
	return nil
}

// hasFormatSpecific says whether a heading means something else in this
// export (Workspace ONE's "OS" holds the version).
func hasFormatSpecific(norm, format string) bool {
	for _, r := range lookupHeading(norm) {
		if r.format == format {
			return true
		}
	}
	return false
}

// mappingFor finds the planner's choice for a heading, exactly or folded.
func mappingFor(mapping map[string]string, heading string) (string, bool) {
	if f, ok := mapping[heading]; ok {
		return f, true
	}
	norm := normHeading(heading)
	for h, f := range mapping {
		if normHeading(h) == norm && norm != "" {
			return f, true
		}
	}
	return "", false
}

// cleanHeading makes a heading printable and bounded (plan.MaxText).
func cleanHeading(h string, i int) string {
	h = strings.TrimSpace(strings.ToValidUTF8(strings.TrimPrefix(h, "\uFEFF"), "\uFFFD"))
	h = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, h)
	if h == "" {
		return fmt.Sprintf("Column %d", i+1)
	}
	return truncateRunes(h, plan.MaxText)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
