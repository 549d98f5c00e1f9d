package plan

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The knowledge the engine encodes is data, split by platform, so that a
// change in Microsoft's docs is a small reviewable diff in a JSON file.
//
//go:embed catalog/*.json
var catalogFS embed.FS

// MethodMAMWE is app protection without enrollment; enroll:false selects it.
const MethodMAMWE = "mam-we"

// Severities of a warning.
const (
	SevInfo    = "info"
	SevWarning = "warning"
	SevBlocker = "blocker"
)

// Catalog is the validated knowledge: methods, prerequisites, recommendations.
// It is immutable after Load and safe for concurrent use.
type Catalog struct {
	Ruleset       string
	Sources       map[string]Source
	Prerequisites []*PrereqDef
	Methods       []*MethodDef
	Platforms     []*PlatformDef
	Baseline      []*BaselineDef
	ResetOverview []ResetOverviewRow
	Unenroll      UnenrollDef
	DEM           DEMDef
	Rollout       RolloutDef
	ResetStep     StepDef
	ResetBackup   []StepDef // what users save before their device is reset
	SettingsStay  TextDef
	Restricted    RestrictedDef
	Clouds        []CloudDef
	Availability  []AvailabilityDef
	BaselineTerms []BaselineTerm
	Expiries      []ExpiryDef

	methods   map[string]*MethodDef
	prereqs   map[string]*PrereqDef
	platform  map[string]*PlatformDef
	knowledge Knowledge            // computed once at load
	byURL     map[string]Reference // cited page by URL, for the plan's reference list
}

// Source is one document the catalog cites, by a short tag. Date is the
// page's own date (its ms.date); Checked is when the catalog's facts were
// last compared with it.
type Source struct {
	ID      string `json:"id"`
	URL     string `json:"url"`
	Title   string `json:"title"`
	Date    string `json:"date"`
	Checked string `json:"checked"`
	Note    string `json:"note,omitempty"` // e.g. "earlier guidance: the current page no longer says this"
}

// Cond restricts an item to some populations; every field set must match.
// in_use and managed_by match the reading the engine settled on, which is
// the planner's answer or, when the answer is unknown, the safer reading.
//
// enrolled_by matches who enrolls the population's devices as the engine
// settled it (Population.EffectiveEnrolledBy: the answer, else IT staff for
// dedicated devices and, under the older bulk_enrollment_by_staff, for
// corporate ones, else the user); it replaces the tenant-wide
// bulk_by_staff.
//
// manufacturer matches the population's maker, ignoring case and
// punctuation: a value matches a maker whose name is that value or starts
// with its words ("samsung" matches "Samsung Electronics"). The value ""
// matches a population whose maker is not named, for the generic path that
// stands in for a maker's own. Values are written in lower case.
type Cond struct {
	Ownership    []string            `json:"ownership,omitempty"`
	Usage        []string            `json:"usage,omitempty"`
	PersonalUse  *bool               `json:"personal_use,omitempty"`
	InUse        *bool               `json:"in_use,omitempty"`
	ManagedBy    []string            `json:"managed_by,omitempty"`  // none, configmgr, other-mdm
	EnrolledBy   []string            `json:"enrolled_by,omitempty"` // user, it
	Manufacturer []string            `json:"manufacturer,omitempty"`
	DevicesOver  int                 `json:"devices_over,omitempty"`
	Cloud        []string            `json:"cloud,omitempty"`
	Tenant       map[string][]string `json:"tenant,omitempty"` // field → any of "yes", "no", "unknown"
}

// TextDef is a sentence with its sources, optionally conditional.
type TextDef struct {
	ID      string   `json:"id,omitempty"`
	Text    string   `json:"text"`
	Sources []string `json:"sources"`
	When    *Cond    `json:"when,omitempty"`
	Changed string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// Step kinds, in the order a device goes through them. The order of a
// population's steps and the phase of each task derive from the kind, never
// from where a step sits in a file.
const (
	KindTenant     = "tenant"      // set up once in Intune, Entra, Apple or Google; touches no device
	KindDevicePrep = "device-prep" // per-device records: hashes, serials, identifiers
	KindLeaveMDM   = "leave-mdm"   // release the device from the MDM that manages it today
	KindWipe       = "wipe"        // factory reset or reinstall
	KindEnroll     = "enroll"      // anything that enrolls a device or hands it out to enroll
	KindVerify     = "verify"      // check that enrollment worked
	KindHandover   = "handover"    // after enrollment: tell users, give devices out
)

// StepKinds lists the kinds in device order.
var StepKinds = []string{KindTenant, KindDevicePrep, KindLeaveMDM, KindWipe, KindEnroll, KindVerify, KindHandover}

// touchesDevice reports whether a step of this kind acts on devices, so it
// belongs to the pilot or a wave rather than to preparation.
func touchesDevice(kind string) bool { return kind != KindTenant && kind != KindDevicePrep }

func kindRank(kind string) int { return slices.Index(StepKinds, kind) }

// StepDef is one admin or end-user step. Platforms scopes a step of a
// multi-platform method or of a tenant-wide list; empty means every platform
// of the method it belongs to.
type StepDef struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Title     string   `json:"title"`
	Detail    string   `json:"detail,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	Sources   []string `json:"sources"`
	When      *Cond    `json:"when,omitempty"`
	Changed   string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// WarningDef is a warning a method always (or conditionally) carries.
type WarningDef struct {
	ID        string   `json:"id"`
	Severity  string   `json:"severity"`
	Text      string   `json:"text"`
	Platforms []string `json:"platforms,omitempty"`
	Sources   []string `json:"sources"`
	When      *Cond    `json:"when,omitempty"`
	Changed   string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// ResetRule decides whether a population must be factory reset; the first
// rule whose condition matches applies.
type ResetRule struct {
	Rule     string   `json:"rule"`
	Required bool     `json:"required"`
	Why      string   `json:"why"`
	Sources  []string `json:"sources"`
	When     *Cond    `json:"when,omitempty"`
	Changed  string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// MethodDef is one enrollment method of CONTRACT §4.
type MethodDef struct {
	ID            string    `json:"id"`
	Platforms     []string  `json:"platforms"`
	Name          string    `json:"name"`
	Summary       string    `json:"summary"`
	Enrolls       bool      `json:"enrolls"`
	Ownership     []string  `json:"ownership"`
	Usage         []string  `json:"usage"`
	UserAffinity  string    `json:"user_affinity"`
	Prerequisites []string  `json:"prerequisites"`
	DEM           MethodDEM `json:"dem"`
	MinOS         TextDef   `json:"min_os"`
	// MinOSByPlatform gives a multi-platform method's minimum per platform,
	// so that a population reads only its own.
	MinOSByPlatform map[string]TextDef `json:"min_os_by_platform,omitempty"`
	Reset           []ResetRule        `json:"reset"`
	NotFor          []TextDef          `json:"not_for"`
	TradeOff        TextDef            `json:"trade_off"`
	AdminSteps      []StepDef          `json:"admin_steps"`
	UserSteps       []StepDef          `json:"user_steps"`
	Warnings        []WarningDef       `json:"warnings"`
	Sources         []string           `json:"sources"`
	Changed         string             `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// MethodDEM says whether a device enrollment manager can use the method.
type MethodDEM struct {
	Supported  bool     `json:"supported"`
	MaxDevices int      `json:"max_devices,omitempty"` // lower than the usual 1,000 for some methods
	Note       string   `json:"note"`
	Sources    []string `json:"sources"`
	Changed    string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// Recommendation picks a method for populations matching When; the first
// matching recommendation of a platform wins.
type Recommendation struct {
	ID      string       `json:"id"`
	When    *Cond        `json:"when,omitempty"`
	Method  string       `json:"method"`
	Why     string       `json:"why"`
	Sources []string     `json:"sources"`
	Warning *WarningDef  `json:"warning,omitempty"` // e.g. what is lost without Apple Business Manager
	Over    []OverReason `json:"over,omitempty"`    // why not, for particular alternatives
	Changed string       `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// OverReason explains why the recommendation beats one alternative.
type OverReason struct {
	Method  string   `json:"method"`
	Text    string   `json:"text"`
	Sources []string `json:"sources"`
	Changed string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// PlatformDef names a platform and orders its recommendations.
type PlatformDef struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	Recommendations []Recommendation `json:"recommendations"`
	Changed         string           `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// RestrictedDef is what the plan says when a tenant check read that the
// enrollment restrictions refuse a population's devices; %[1]s is the
// platform, %[2]s the check ("The tenant check on 4 Jan 2027", or "The
// tenant check" when it has no time).
type RestrictedDef struct {
	Blocked  string   `json:"blocked"`  // every device of the platform refused
	Personal string   `json:"personal"` // personally owned devices refused
	Sources  []string `json:"sources"`
}

// AvailabilityDef says that methods are missing or different in some
// clouds: a blocker when a method is not offered there, a warning or note when
// it works differently.
type AvailabilityDef struct {
	ID       string   `json:"id"`
	Clouds   []string `json:"clouds"`
	Methods  []string `json:"methods"`
	Severity string   `json:"severity"`
	Text     string   `json:"text"`
	Sources  []string `json:"sources"`
	Changed  string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// CloudDef names a Microsoft cloud a tenant can live in.
type CloudDef struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Sources []string `json:"sources"`
}

// BaselineTerm maps free-text baseline items that mention a known policy
// (BitLocker, FileVault) to the platforms that policy exists on.
type BaselineTerm struct {
	Words     []string `json:"words"` // lower case; any one matches a whole word of the item
	Platforms []string `json:"platforms"`
	Detail    string   `json:"detail"`
	Sources   []string `json:"sources"`
	Changed   string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// StatusFrom derives a prerequisite's status from a tenant answer.
type StatusFrom struct {
	Field string   `json:"field"`          // tenant answer field (JSON name)
	Done  []string `json:"done,omitempty"` // for enum fields: values that mean done
	Todo  []string `json:"todo,omitempty"` // for enum fields: values that mean to do
}

// PrereqDef is one prerequisite of CONTRACT §4.
type PrereqDef struct {
	ID         string      `json:"id"`
	Title      string      `json:"title"`
	Task       string      `json:"task"`
	Detail     string      `json:"detail"`
	Always     bool        `json:"always"`
	Blocking   bool        `json:"blocking"`
	StatusFrom *StatusFrom `json:"status_from,omitempty"` // nil: always to do
	Owner      string      `json:"owner"`                 // who clears it, in words
	Sources    []string    `json:"sources"`
	Changed    string      `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
	// Needs are the prerequisites that must be done before this one (hard
	// dependencies the docs state); the graph is acyclic.
	Needs []string `json:"needs,omitempty"`
	// LeadDays is how many days it takes; LeadSource and LeadQuote cite the
	// page that states it (one of Sources), else the days are a planning
	// estimate. LeadBasis says how the days follow from the quote, or why
	// the estimate is what it is.
	LeadDays   *int   `json:"lead_days"`
	LeadSource string `json:"lead_source,omitempty"`
	LeadQuote  string `json:"lead_quote,omitempty"`
	LeadBasis  string `json:"lead_basis,omitempty"`
}

// ExpiryDef is what the catalog knows about one thing a tenant holds that
// expires (CONTRACT §8.1 tenant.expiries): what it is, whose enrollment
// stops with it, and how to renew it.
type ExpiryDef struct {
	What      string   `json:"what"`  // an ExpiryWhats value
	Title     string   `json:"title"` // e.g. "the Apple MDM push certificate"
	Renew     string   `json:"renew"` // the task, e.g. "Renew the Apple MDM push certificate with the same Apple ID"
	Text      string   `json:"text"`  // validity and what happens, from the sources
	Owner     string   `json:"owner"`
	Platforms []string `json:"platforms,omitempty"` // enrolling populations of these platforms depend on it
	Methods   []string `json:"methods,omitempty"`   // or populations of these methods
	Sources   []string `json:"sources"`
}

// BaselineDef maps a baseline policy to the platforms it applies to.
type BaselineDef struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Detail    string    `json:"detail"`
	Platforms []string  `json:"platforms"`
	Except    []TextDef `json:"except"` // methods where it does not apply, by method id in ID
	Sources   []string  `json:"sources"`
	Changed   string    `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// ResetOverviewRow is one row of the seed guide's factory-reset table.
type ResetOverviewRow struct {
	Mode     string   `json:"mode"`
	Required bool     `json:"required"`
	Note     string   `json:"note,omitempty"`
	Sources  []string `json:"sources"`
	Changed  string   `json:"changed,omitempty"` // what the current docs changed, for reviewers; never shown
}

// UnenrollDef is what a population managed by another MDM must do first.
// Warnings are the cut-over window's, shown on each group that leaves an
// MDM where their platforms and conditions match.
type UnenrollDef struct {
	Steps    []StepDef    `json:"steps"`
	Warning  TextDef      `json:"warning"`
	Warnings []WarningDef `json:"warnings,omitempty"`
}

// DEMDef describes the device enrollment manager account: how many devices
// one account enrolls, how many accounts a tenant can have, and what the
// Microsoft Entra device limit must allow for an account to reach its own.
type DEMDef struct {
	MaxDevices  int      `json:"max_devices"`
	MaxAccounts int      `json:"max_accounts"`
	Text        string   `json:"text"`
	Sources     []string `json:"sources"`
	EntraLimit  TextDef  `json:"entra_limit"`
}

// RolloutDef holds the pilot-first rollout steps.
type RolloutDef struct {
	DefaultPilotGroup string    `json:"default_pilot_group"`
	Owner             string    `json:"owner"` // who runs the pilot, in words
	Steps             []StepDef `json:"steps"`
	WaveStep          StepDef   `json:"wave_step"`
}

// catalogFile is the shape of every file under catalog/; each file fills
// the parts it owns.
type catalogFile struct {
	Ruleset       string             `json:"ruleset,omitempty"`
	Sources       []Source           `json:"sources,omitempty"`
	Prerequisites []*PrereqDef       `json:"prerequisites,omitempty"`
	Platforms     []*PlatformDef     `json:"platforms,omitempty"`
	Methods       []*MethodDef       `json:"methods,omitempty"`
	Baseline      []*BaselineDef     `json:"baseline,omitempty"`
	ResetOverview []ResetOverviewRow `json:"reset_overview,omitempty"`
	Unenroll      *UnenrollDef       `json:"unenroll,omitempty"`
	DEM           *DEMDef            `json:"dem,omitempty"`
	Rollout       *RolloutDef        `json:"rollout,omitempty"`
	ResetStep     *StepDef           `json:"reset_step,omitempty"`
	ResetBackup   []StepDef          `json:"reset_backup,omitempty"`
	SettingsStay  *TextDef           `json:"settings_stay,omitempty"`
	Restricted    *RestrictedDef     `json:"restricted,omitempty"`
	Clouds        []CloudDef         `json:"clouds,omitempty"`
	Availability  []AvailabilityDef  `json:"availability,omitempty"`
	BaselineTerms []BaselineTerm     `json:"baseline_terms,omitempty"`
	Expiries      []ExpiryDef        `json:"expiries,omitempty"`
}

// noNulls refuses a null where a list holds definitions: the validators
// read every element, and a hand-edited file should get a message, not a
// crash.
func (f *catalogFile) noNulls() error {
	for what, n := range map[string]int{"prerequisites": nulls(f.Prerequisites), "platforms": nulls(f.Platforms),
		"methods": nulls(f.Methods), "baseline": nulls(f.Baseline)} {
		if n > 0 {
			return fmt.Errorf("%s holds null; remove it or write the definition", what)
		}
	}
	return nil
}

func nulls[T any](list []*T) int {
	n := 0
	for _, x := range list {
		if x == nil {
			n++
		}
	}
	return n
}

// fileOrder fixes the order in which files merge, so that methods and
// platforms keep a stable order whatever the file system returns.
var fileOrder = []string{"sources.json", "tenant.json", "mam.json", "android.json", "apple.json", "windows.json", "linux.json"}

// Load reads and validates the embedded catalog.
func Load() (*Catalog, error) {
	sub, err := fs.Sub(catalogFS, "catalog")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub)
}

// LoadFS reads a catalog from the files of fsys (tests use broken copies).
func LoadFS(fsys fs.FS) (*Catalog, error) { return loadFS(fsys, true) }

// loadFS with complete=false skips the checks that need every platform file,
// so one platform file can be validated while others are being written.
func loadFS(fsys fs.FS, complete bool) (*Catalog, error) {
	c := &Catalog{Sources: map[string]Source{}}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(names, func(a, b string) int { return orderOf(a) - orderOf(b) })
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var f catalogFile
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		if err := f.noNulls(); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		if err := c.merge(name, &f); err != nil {
			return nil, err
		}
	}
	// Each platform file holds its own prerequisites; the checklist keeps
	// the contract's order, which is the order they are best done in.
	slices.SortStableFunc(c.Prerequisites, func(x, y *PrereqDef) int {
		return orderIn(ContractPrerequisites, x.ID) - orderIn(ContractPrerequisites, y.ID)
	})
	if err := c.check(complete); err != nil {
		return nil, err
	}
	c.computeKnowledge()
	return c, nil
}

// orderIn is the position of id in list, or len(list) when absent.
func orderIn(list []string, id string) int {
	if i := slices.Index(list, id); i >= 0 {
		return i
	}
	return len(list)
}

func orderOf(name string) int {
	if i := slices.Index(fileOrder, path.Base(name)); i >= 0 {
		return i
	}
	return len(fileOrder)
}

func (c *Catalog) merge(name string, f *catalogFile) error {
	if f.Ruleset != "" {
		if c.Ruleset != "" {
			return fmt.Errorf("catalog %s: ruleset set twice", name)
		}
		c.Ruleset = f.Ruleset
	}
	for _, s := range f.Sources {
		if _, dup := c.Sources[s.ID]; dup {
			return fmt.Errorf("catalog %s: source %q defined twice", name, s.ID)
		}
		c.Sources[s.ID] = s
	}
	c.Prerequisites = append(c.Prerequisites, f.Prerequisites...)
	c.Platforms = append(c.Platforms, f.Platforms...)
	c.Methods = append(c.Methods, f.Methods...)
	c.Baseline = append(c.Baseline, f.Baseline...)
	c.ResetOverview = append(c.ResetOverview, f.ResetOverview...)
	c.Clouds = append(c.Clouds, f.Clouds...)
	c.Availability = append(c.Availability, f.Availability...)
	c.BaselineTerms = append(c.BaselineTerms, f.BaselineTerms...)
	c.Expiries = append(c.Expiries, f.Expiries...)
	c.ResetBackup = append(c.ResetBackup, f.ResetBackup...)
	single := []struct {
		set  bool
		name string
		do   func()
	}{
		{f.Unenroll != nil, "unenroll", func() { c.Unenroll = *f.Unenroll }},
		{f.DEM != nil, "dem", func() { c.DEM = *f.DEM }},
		{f.Rollout != nil, "rollout", func() { c.Rollout = *f.Rollout }},
		{f.ResetStep != nil, "reset_step", func() { c.ResetStep = *f.ResetStep }},
		{f.SettingsStay != nil, "settings_stay", func() { c.SettingsStay = *f.SettingsStay }},
		{f.Restricted != nil, "restricted", func() { c.Restricted = *f.Restricted }},
	}
	for _, s := range single {
		if s.set {
			s.do()
		}
	}
	return nil
}

// Contract IDs (CONTRACT §4): the catalog must define exactly these.
var (
	ContractMethods = []string{"mam-we", "android-work-profile", "android-corporate-work-profile", "android-fully-managed",
		"android-dedicated", "android-device-admin", "android-aosp", "ios-ade", "ios-device-enrollment",
		"ios-user-enrollment", "ios-configurator", "macos-ade", "macos-device-enrollment", "macos-direct",
		"windows-autopilot", "windows-auto-enrollment", "windows-hybrid-join", "windows-co-management",
		"windows-bulk", "windows-byod", "linux-intune-app", "windows-autopilot-device-preparation"}
	ContractPrerequisites = []string{"mdm-authority", "licenses", "admin-role", "supported-os", "groups",
		"apple-mdm-push-certificate", "apple-id", "apple-business-manager", "managed-google-play",
		"entra-premium", "configmgr", "autopilot-registration", "dem-account", "unenroll-existing-mdm"}
)

// isTenantField reports whether a condition or status may read that tenant answer.
func isTenantField(f string) bool { return contains(tenantFields, f) }

func (c *Catalog) baseline(id string) *BaselineDef {
	for _, b := range c.Baseline {
		if b.ID == id {
			return b
		}
	}
	return nil
}

// minOS is a method's minimum OS for one platform.
func (m *MethodDef) minOS(platform string) TextDef {
	if mo, ok := m.MinOSByPlatform[platform]; ok {
		return mo
	}
	return m.MinOS
}

// Method returns a method definition, or nil.
func (c *Catalog) Method(id string) *MethodDef { return c.methods[id] }

// Prerequisite returns a prerequisite definition, or nil.
func (c *Catalog) Prerequisite(id string) *PrereqDef { return c.prereqs[id] }

// Expiry returns what the catalog knows about an expiry, or nil.
func (c *Catalog) Expiry(what string) *ExpiryDef {
	for i := range c.Expiries {
		if c.Expiries[i].What == what {
			return &c.Expiries[i]
		}
	}
	return nil
}

// Platform returns a platform definition, or nil.
func (c *Catalog) Platform(id string) *PlatformDef { return c.platform[id] }

// methodIDsFor lists the ids of MethodsFor(platform), for error messages.
func (c *Catalog) methodIDsFor(platform string) []string {
	var ids []string
	for _, m := range c.MethodsFor(platform) {
		ids = append(ids, m.ID)
	}
	return ids
}

// MethodsFor lists the method definitions for a platform, in catalog order.
func (c *Catalog) MethodsFor(platform string) []*MethodDef {
	var out []*MethodDef
	for _, m := range c.Methods {
		if contains(m.Platforms, platform) {
			out = append(out, m)
		}
	}
	return out
}

// unavailable returns what the catalog says about a method in a cloud,
// blockers first.
func (c *Catalog) unavailable(cloud, method string) []*AvailabilityDef {
	var out []*AvailabilityDef
	for i := range c.Availability {
		av := &c.Availability[i]
		if contains(av.Clouds, cloud) && contains(av.Methods, method) {
			out = append(out, av)
		}
	}
	slices.SortStableFunc(out, func(x, y *AvailabilityDef) int { return severityRank[x.Severity] - severityRank[y.Severity] })
	return out
}

// cloudName names a cloud in words.
func (c *Catalog) cloudName(id string) string {
	for _, cl := range c.Clouds {
		if cl.ID == id {
			return cl.Name
		}
	}
	return id
}

// baselineFor maps a free-text baseline item to a known policy's platforms
// when one of its words names that policy, else to the catch-all item.
func (c *Catalog) baselineFor(item string) *BaselineDef {
	custom := c.baseline("custom")
	words := strings.FieldsFunc(strings.ToLower(item), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
	for _, bt := range c.BaselineTerms {
		for _, w := range bt.Words {
			if slices.Contains(words, w) {
				return &BaselineDef{ID: "custom", Detail: bt.Detail, Platforms: bt.Platforms, Except: custom.Except, Sources: bt.Sources}
			}
		}
	}
	return custom
}

// Knowledge reports how current the catalog is.
func (c *Catalog) Knowledge() Knowledge { return c.knowledge }

func (c *Catalog) computeKnowledge() {
	k := Knowledge{Sources: len(c.Sources)}
	c.byURL = map[string]Reference{}
	tags := make([]string, 0, len(c.Sources))
	for id := range c.Sources {
		tags = append(tags, id)
	}
	slices.Sort(tags) // several tags may cite one page: the first tag names it
	for _, id := range tags {
		s := c.Sources[id]
		if _, ok := c.byURL[s.URL]; !ok {
			c.byURL[s.URL] = Reference{URL: s.URL, Title: s.Title, Date: s.Date}
		}
	}
	for _, s := range c.Sources {
		if s.Date > k.DocsDatedUpTo {
			k.DocsDatedUpTo = s.Date
		}
		if s.Checked > k.CheckedOn {
			k.CheckedOn = s.Checked
		}
	}
	c.knowledge = k
}

// SourceURLs resolves source tags to URLs, keeping order and dropping repeats.
func (c *Catalog) SourceURLs(ids ...[]string) []string {
	n := 0
	for _, list := range ids {
		n += len(list)
	}
	out := make([]string, 0, n)
	for _, list := range ids {
		for _, id := range list {
			u := c.Sources[id].URL
			if u != "" && !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}
