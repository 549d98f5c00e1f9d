package plan

import "strings"

// AnswersSchema identifies the input format.
const AnswersSchema = "enrollplan.answers/v1"

// Answers is a planner's description of a fleet (CONTRACT §2).
type Answers struct {
	Schema                string       `json:"schema"`
	Organization          string       `json:"organization"`
	Tenant                Tenant       `json:"tenant"`
	Populations           []Population `json:"populations"`
	BulkEnrollmentByStaff bool         `json:"bulk_enrollment_by_staff"`
	Baseline              []string     `json:"baseline"`
	Rollout               Rollout      `json:"rollout"`
	TenantCheck           *TenantCheck `json:"tenant_check,omitempty"` // what a tenant check read, when one was run or uploaded
	// Inventory summarises the device inventory the populations were made
	// from (CONTRACT §8.5). It holds row numbers only, never names, serials
	// or users, and the plan does not change with it.
	Inventory *Inventory `json:"inventory,omitempty"`
}

// Inventory is the summary of an imported device inventory: how many data
// rows the file had, which column held what, and the population each placed
// row went to (CONTRACT §8.5).
type Inventory struct {
	Rows int `json:"rows"`
	// Columns maps a field the importer recognises (an InventoryFields
	// value) to the heading of the file's column that held it.
	Columns map[string]string `json:"columns"`
	Devices []InventoryDevice `json:"devices"`
}

// InventoryDevice places one data row of the inventory (numbered from 1,
// the heading not counted) in a population, by its id.
type InventoryDevice struct {
	Row        int    `json:"row"`
	Population string `json:"population"`
}

// InventoryFields are the columns an inventory import recognises.
var InventoryFields = []string{"name", "serial", "os", "os_version", "model", "manufacturer", "ownership", "user", "last_seen", "managed_by", "usage", "id"}

// MaxInventoryRows bounds an imported inventory (CONTRACT §8.5).
const MaxInventoryRows = 100_000

// Tenant says what is already in place. A nil boolean means "not sure".
type Tenant struct {
	MDMAuthority            string `json:"mdm_authority,omitempty"`
	LicensesAssigned        *bool  `json:"licenses_assigned,omitempty"`
	AdminRole               string `json:"admin_role,omitempty"`
	GroupsReady             *bool  `json:"groups_ready,omitempty"`
	EntraPremium            *bool  `json:"entra_premium,omitempty"`
	ConfigMgr               *bool  `json:"configmgr,omitempty"`
	AppleMDMPushCertificate *bool  `json:"apple_mdm_push_certificate,omitempty"`
	AppleBusinessManager    *bool  `json:"apple_business_manager,omitempty"`
	ManagedGooglePlay       *bool  `json:"managed_google_play,omitempty"`
	Cloud                   string `json:"cloud,omitempty"` // "" means global
	// Expiries is what the tenant holds that expires (CONTRACT §8.1): typed
	// by the planner or filled from a tenant check.
	Expiries []TenantExpiry `json:"expiries,omitempty"`
}

// TenantExpiry is one certificate or token of the tenant and the day it
// expires.
type TenantExpiry struct {
	What    string `json:"what"` // an ExpiryWhats value
	Name    string `json:"name,omitempty"`
	Expires string `json:"expires"` // YYYY-MM-DD
}

// What a tenant expiry can be (CONTRACT §8.1).
const (
	WhatApplePush = "apple-mdm-push-certificate"
	WhatADEToken  = "ade-token"
	WhatVPPToken  = "vpp-token"
	WhatBulkToken = "bulk-token"
)

// ExpiryWhats lists the values of TenantExpiry.What.
var ExpiryWhats = []string{WhatApplePush, WhatADEToken, WhatVPPToken, WhatBulkToken}

// EffectiveCloud is the cloud with its default ("global") applied.
func (t Tenant) EffectiveCloud() string {
	if t.Cloud == "" {
		return CloudGlobal
	}
	return t.Cloud
}

// Population is a group of devices that enroll the same way.
type Population struct {
	ID                         string `json:"id,omitempty"`
	Name                       string `json:"name,omitempty"`
	Platform                   string `json:"platform"`
	Ownership                  string `json:"ownership"`
	Usage                      string `json:"usage,omitempty"`
	Devices                    int    `json:"devices"`
	PersonalUse                *bool  `json:"personal_use,omitempty"`
	InUse                      *bool  `json:"in_use,omitempty"`
	ManagedBy                  string `json:"managed_by,omitempty"`
	CurrentlyManagedByOtherMDM *bool  `json:"currently_managed_by_other_mdm,omitempty"` // older spelling of managed_by: other-mdm
	Enroll                     *bool  `json:"enroll,omitempty"`
	Method                     string `json:"method"`
	// EnrolledBy says who starts enrollment (CONTRACT §8.1): "user", "it"
	// or "" for the default; see EffectiveEnrolledBy.
	EnrolledBy string `json:"enrolled_by,omitempty"`
	// Manufacturer is the devices' maker as the planner typed it (at most
	// MaxManufacturer characters); maker-specific paths read it.
	Manufacturer string `json:"manufacturer,omitempty"`
}

// KnownManagedBy is what manages the devices today, as far as the answers
// say: managed_by, else the older currently_managed_by_other_mdm (true means
// another MDM; false rules out only another MDM). "" means unknown.
func (p Population) KnownManagedBy() string {
	switch {
	case p.ManagedBy != "":
		return p.ManagedBy
	case p.CurrentlyManagedByOtherMDM != nil && *p.CurrentlyManagedByOtherMDM:
		return ManagedOtherMDM
	case p.CurrentlyManagedByOtherMDM != nil && p.Platform != "windows":
		// Configuration Manager co-manages Windows only, so "not another
		// MDM" settles it elsewhere.
		return ManagedNone
	}
	return ""
}

// Enrolls reports whether the population enrolls devices (default true)
// rather than asking for app protection without enrollment.
func (p Population) Enrolls() bool { return p.Enroll == nil || *p.Enroll }

// EffectiveUsage is the usage with its default ("user") applied.
func (p Population) EffectiveUsage() string {
	if p.Usage == "" {
		return UsageUser
	}
	return p.Usage
}

// EffectiveEnrolledBy is who starts enrollment (CONTRACT §8.1): the answer,
// else IT staff for dedicated devices; else, under the older tenant-wide
// bulk_enrollment_by_staff, IT staff for corporate devices that enroll
// (never personal ones, and app protection enrolls nothing); else the user.
func (p Population) EffectiveEnrolledBy(bulkByStaff bool) string {
	switch {
	case p.EnrolledBy != "":
		return p.EnrolledBy
	case p.EffectiveUsage() == UsageDedicated:
		return EnrolledByIT
	case bulkByStaff && p.Ownership == OwnCorporate && p.Enrolls() && p.Method != MethodMAMWE:
		return EnrolledByIT
	}
	return EnrolledByUser
}

// Rollout is the pilot group and the waves that follow it.
type Rollout struct {
	PilotGroup string `json:"pilot_group,omitempty"`
	PilotStart string `json:"pilot_start,omitempty"` // YYYY-MM-DD
	Waves      []Wave `json:"waves,omitempty"`
	// PilotDevices is how many devices of each population the pilot
	// enrolls; nil lets the plan propose a number.
	PilotDevices *int `json:"pilot_devices,omitempty"`
	// LeadTimes overrides the catalog's lead time, in days, per
	// prerequisite id.
	LeadTimes map[string]int `json:"lead_times,omitempty"`
}

// Wave is one step of the rollout after the pilot.
type Wave struct {
	Name        string   `json:"name"`
	Group       string   `json:"group"`
	Start       string   `json:"start,omitempty"`       // YYYY-MM-DD
	Populations []string `json:"populations,omitempty"` // population ids; absent means every population
	// Devices says how many devices of a population this wave enrolls
	// (population id → count); needed for a population in several waves.
	Devices map[string]int `json:"devices,omitempty"`
}

// Allowed values (CONTRACT §2).
const (
	UsageUser      = "user"
	UsageShared    = "shared"
	UsageDedicated = "dedicated"
	OwnCorporate   = "corporate"
	OwnPersonal    = "personal"

	ManagedNone      = "none"
	ManagedConfigMgr = "configmgr"
	ManagedOtherMDM  = "other-mdm"

	CloudGlobal = "global"

	EnrolledByUser = "user" // the device's user starts enrollment
	EnrolledByIT   = "it"   // IT staff enroll on the users' behalf
)

var (
	Platforms        = []string{"android", "ios", "macos", "windows", "linux"}
	Ownerships       = []string{OwnCorporate, OwnPersonal}
	Usages           = []string{UsageUser, UsageShared, UsageDedicated}
	MDMAuthorities   = []string{"intune", "configmgr", "office365", "none", "unknown"}
	AdminRoles       = []string{"global-admin", "intune-admin", "other", "unknown"}
	BaselineIDs      = []string{"compliance", "vpn", "certificate", "windows-hello", "wifi", "email"}
	ManagedByValues  = []string{ManagedNone, ManagedConfigMgr, ManagedOtherMDM}
	Clouds           = []string{CloudGlobal, "gcc", "gcc-high", "dod", "china"}
	EnrolledByValues = []string{EnrolledByUser, EnrolledByIT}
)

// Limits that keep one request's work bounded and catch typos such as an
// extra zero; a real fleet plan stays far below them.
const (
	MaxPopulations  = 50
	MaxDevices      = 10_000_000
	MaxWaveMembers  = MaxPopulations
	MaxWaves        = 24
	MaxBaseline     = 30
	MaxText         = 200
	MaxFindings     = 60   // a tenant check makes about a dozen readings
	MaxFindingText  = 1000 // a finding's detail is Graph-derived prose
	MaxExpiries     = 60   // certificates and tokens a tenant holds
	MaxLeadDays     = 365  // a lead time longer than a year is a typo
	MaxManufacturer = 40   // CONTRACT §8.1: a maker's name
)

// FieldError is one problem with the answers, addressed by its field path
// (for example "populations[2].platform").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError lists every problem found in one set of answers.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// For returns the message for one field, or "" (the wizard shows it beside the field).
func (e *ValidationError) For(field string) string {
	for _, fe := range e.Errors {
		if fe.Field == field {
			return fe.Message
		}
	}
	return ""
}

func oneOf(values []string) string { return strings.Join(values, ", ") }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
