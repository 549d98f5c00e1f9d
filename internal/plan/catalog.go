package plan

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
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
	SettingsStay  TextDef

	methods  map[string]*MethodDef
	prereqs  map[string]*PrereqDef
	platform map[string]*PlatformDef
}

// Source is one document the catalog cites, by the tag the fact sheet uses.
type Source struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	Title string `json:"title"`
	Date  string `json:"date"`
}

// Cond restricts an item to some populations; every field set must match.
type Cond struct {
	Ownership   []string            `json:"ownership,omitempty"`
	Usage       []string            `json:"usage,omitempty"`
	PersonalUse *bool               `json:"personal_use,omitempty"`
	OtherMDM    *bool               `json:"other_mdm,omitempty"`
	BulkByStaff *bool               `json:"bulk_by_staff,omitempty"`
	DevicesOver int                 `json:"devices_over,omitempty"`
	Tenant      map[string][]string `json:"tenant,omitempty"` // field → any of "yes", "no", "unknown"
}

// TextDef is a sentence with its sources, optionally conditional.
type TextDef struct {
	ID      string   `json:"id,omitempty"`
	Text    string   `json:"text"`
	Sources []string `json:"sources"`
	When    *Cond    `json:"when,omitempty"`
}

// StepDef is one admin or end-user step.
type StepDef struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Detail  string   `json:"detail,omitempty"`
	Sources []string `json:"sources"`
	When    *Cond    `json:"when,omitempty"`
}

// WarningDef is a warning a method always (or conditionally) carries.
type WarningDef struct {
	ID       string   `json:"id"`
	Severity string   `json:"severity"`
	Text     string   `json:"text"`
	Sources  []string `json:"sources"`
	When     *Cond    `json:"when,omitempty"`
}

// ResetRule decides whether a population must be factory reset; the first
// rule whose condition matches applies.
type ResetRule struct {
	Rule     string   `json:"rule"`
	Required bool     `json:"required"`
	Why      string   `json:"why"`
	Sources  []string `json:"sources"`
	When     *Cond    `json:"when,omitempty"`
}

// MethodDef is one enrollment method of CONTRACT §4.
type MethodDef struct {
	ID            string       `json:"id"`
	Platforms     []string     `json:"platforms"`
	Name          string       `json:"name"`
	Summary       string       `json:"summary"`
	Enrolls       bool         `json:"enrolls"`
	Ownership     []string     `json:"ownership"`
	Usage         []string     `json:"usage"`
	UserAffinity  string       `json:"user_affinity"`
	Prerequisites []string     `json:"prerequisites"`
	DEM           MethodDEM    `json:"dem"`
	MinOS         TextDef      `json:"min_os"`
	Reset         []ResetRule  `json:"reset"`
	NotFor        []TextDef    `json:"not_for"`
	TradeOff      TextDef      `json:"trade_off"`
	AdminSteps    []StepDef    `json:"admin_steps"`
	UserSteps     []StepDef    `json:"user_steps"`
	Warnings      []WarningDef `json:"warnings"`
	Sources       []string     `json:"sources"`
}

// MethodDEM says whether a device enrollment manager can use the method.
type MethodDEM struct {
	Supported  bool     `json:"supported"`
	MaxDevices int      `json:"max_devices,omitempty"` // lower than the usual 1,000 for some methods
	Note       string   `json:"note"`
	Sources    []string `json:"sources"`
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
}

// OverReason explains why the recommendation beats one alternative.
type OverReason struct {
	Method  string   `json:"method"`
	Text    string   `json:"text"`
	Sources []string `json:"sources"`
}

// PlatformDef names a platform and orders its recommendations.
type PlatformDef struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	Recommendations []Recommendation `json:"recommendations"`
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
	Sources    []string    `json:"sources"`
}

// BaselineDef maps a baseline policy to the platforms it applies to.
type BaselineDef struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Detail    string    `json:"detail"`
	Platforms []string  `json:"platforms"`
	Except    []TextDef `json:"except"` // methods where it does not apply, by method id in ID
	Sources   []string  `json:"sources"`
}

// ResetOverviewRow is one row of the seed guide's factory-reset table.
type ResetOverviewRow struct {
	Mode     string   `json:"mode"`
	Required bool     `json:"required"`
	Note     string   `json:"note,omitempty"`
	Sources  []string `json:"sources"`
}

// UnenrollDef is what a population managed by another MDM must do first.
type UnenrollDef struct {
	Steps   []StepDef `json:"steps"`
	Warning TextDef   `json:"warning"`
}

// DEMDef describes the device enrollment manager account.
type DEMDef struct {
	MaxDevices  int      `json:"max_devices"`
	MaxAccounts int      `json:"max_accounts"`
	Text        string   `json:"text"`
	Sources     []string `json:"sources"`
}

// RolloutDef holds the pilot-first rollout steps.
type RolloutDef struct {
	DefaultPilotGroup string    `json:"default_pilot_group"`
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
	SettingsStay  *TextDef           `json:"settings_stay,omitempty"`
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
		if err := c.merge(name, &f); err != nil {
			return nil, err
		}
	}
	if err := c.check(complete); err != nil {
		return nil, err
	}
	return c, nil
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
		"windows-bulk", "windows-byod", "linux-intune-app"}
	ContractPrerequisites = []string{"mdm-authority", "licenses", "admin-role", "supported-os", "groups",
		"apple-mdm-push-certificate", "apple-id", "apple-business-manager", "managed-google-play",
		"entra-premium", "configmgr", "autopilot-registration", "dem-account", "unenroll-existing-mdm"}
)

// isTenantField reports whether a condition or status may read that tenant answer.
func isTenantField(f string) bool { return contains(tenantFields, f) }

// check validates references and sources across the whole catalog. Every
// problem is reported, so a broken docs update shows all it broke at once.
func (c *Catalog) check(complete bool) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("catalog: "+format, args...)) }
	if c.Ruleset == "" {
		bad("no ruleset version")
	}
	for id, s := range c.Sources {
		if !strings.HasPrefix(s.URL, "https://") {
			bad("source %s: url %q is not https", id, s.URL)
		}
		if s.Title == "" {
			bad("source %s: no title", id)
		}
	}
	srcs := func(where string, ids []string) {
		if len(ids) == 0 {
			bad("%s: no source", where)
		}
		for _, id := range ids {
			if _, ok := c.Sources[id]; !ok {
				bad("%s: unknown source %q", where, id)
			}
		}
	}
	cond := func(where string, w *Cond) {
		if w == nil {
			return
		}
		for _, o := range w.Ownership {
			if !contains(Ownerships, o) {
				bad("%s: unknown ownership %q", where, o)
			}
		}
		for _, u := range w.Usage {
			if !contains(Usages, u) {
				bad("%s: unknown usage %q", where, u)
			}
		}
		for f, vals := range w.Tenant {
			if !isTenantField(f) {
				bad("%s: unknown tenant field %q", where, f)
			}
			for _, v := range vals {
				if !contains([]string{"yes", "no", "unknown"}, v) {
					bad("%s: tenant %s: value %q is not yes, no or unknown", where, f, v)
				}
			}
		}
	}
	steps := func(where string, list []StepDef, seen map[string]bool) {
		for _, s := range list {
			w := where + " step " + s.ID
			if s.ID == "" || s.Title == "" {
				bad("%s: step needs id and title", w)
			}
			if seen[s.ID] {
				bad("%s: step id used twice", w)
			}
			seen[s.ID] = true
			srcs(w, s.Sources)
			cond(w, s.When)
		}
	}

	c.prereqs = map[string]*PrereqDef{}
	for _, p := range c.Prerequisites {
		if c.prereqs[p.ID] != nil {
			bad("prerequisite %s defined twice", p.ID)
		}
		c.prereqs[p.ID] = p
		if p.Title == "" || p.Task == "" || p.Detail == "" {
			bad("prerequisite %s: needs title, task and detail", p.ID)
		}
		srcs("prerequisite "+p.ID, p.Sources)
		if p.StatusFrom != nil && !isTenantField(p.StatusFrom.Field) {
			bad("prerequisite %s: status_from field %q is not a tenant answer", p.ID, p.StatusFrom.Field)
		}
	}
	for _, id := range ContractPrerequisites {
		if c.prereqs[id] == nil {
			bad("prerequisite %s (CONTRACT §4) is missing", id)
		}
	}
	for id := range c.prereqs {
		if !contains(ContractPrerequisites, id) {
			bad("prerequisite %s is not a contract id", id)
		}
	}

	c.methods = map[string]*MethodDef{}
	for _, m := range c.Methods {
		where := "method " + m.ID
		if c.methods[m.ID] != nil {
			bad("%s defined twice", where)
		}
		c.methods[m.ID] = m
		if m.Name == "" || m.Summary == "" || m.UserAffinity == "" {
			bad("%s: needs name, summary and user_affinity", where)
		}
		if len(m.Platforms) == 0 {
			bad("%s: no platform", where)
		}
		for _, p := range m.Platforms {
			if !contains(Platforms, p) {
				bad("%s: unknown platform %q", where, p)
			}
		}
		cond(where+" fit", &Cond{Ownership: m.Ownership, Usage: m.Usage})
		if len(m.Ownership) == 0 || len(m.Usage) == 0 {
			bad("%s: needs ownership and usage it fits", where)
		}
		for _, p := range m.Prerequisites {
			if c.prereqs[p] == nil {
				bad("%s: unknown prerequisite %q", where, p)
			}
		}
		srcs(where, m.Sources)
		srcs(where+" dem", m.DEM.Sources)
		if m.MinOS.Text == "" {
			bad("%s: no min_os", where)
		}
		srcs(where+" min_os", m.MinOS.Sources)
		if len(m.Reset) == 0 || m.Reset[len(m.Reset)-1].When != nil {
			bad("%s: reset rules must end with one that has no condition", where)
		}
		for _, r := range m.Reset {
			if r.Rule == "" || r.Why == "" {
				bad("%s: reset rule needs rule and why", where)
			}
			srcs(where+" reset "+r.Rule, r.Sources)
			cond(where+" reset "+r.Rule, r.When)
		}
		for _, n := range m.NotFor {
			if n.When == nil || n.Text == "" {
				bad("%s: not_for needs when and text", where)
			}
			srcs(where+" not_for", n.Sources)
			cond(where+" not_for", n.When)
		}
		if m.TradeOff.Text == "" {
			bad("%s: no trade_off", where)
		}
		srcs(where+" trade_off", m.TradeOff.Sources)
		seen := map[string]bool{}
		if len(m.AdminSteps) == 0 {
			bad("%s: no admin steps", where)
		}
		steps(where, m.AdminSteps, seen)
		steps(where, m.UserSteps, seen)
		for _, w := range m.Warnings {
			if !contains([]string{SevInfo, SevWarning, SevBlocker}, w.Severity) {
				bad("%s warning %s: severity %q", where, w.ID, w.Severity)
			}
			if w.ID == "" || w.Text == "" || seen[w.ID] {
				bad("%s warning %q: needs a unique id and text", where, w.ID)
			}
			seen[w.ID] = true
			srcs(where+" warning "+w.ID, w.Sources)
			cond(where+" warning "+w.ID, w.When)
		}
	}
	for _, id := range ContractMethods {
		if complete && c.methods[id] == nil {
			bad("method %s (CONTRACT §4) is missing", id)
		}
	}
	for id := range c.methods {
		if !contains(ContractMethods, id) {
			bad("method %s is not a contract id", id)
		}
	}

	c.platform = map[string]*PlatformDef{}
	for _, p := range c.Platforms {
		c.platform[p.ID] = p
		where := "platform " + p.ID
		if !contains(Platforms, p.ID) {
			bad("%s: not a contract platform", where)
		}
		n := len(p.Recommendations)
		if n == 0 || p.Recommendations[n-1].When != nil {
			bad("%s: recommendations must end with one that has no condition", where)
		}
		for _, r := range p.Recommendations {
			w := where + " recommendation " + r.ID
			m := c.methods[r.Method]
			if m == nil {
				bad("%s: unknown method %q", w, r.Method)
			} else if !contains(m.Platforms, p.ID) {
				bad("%s: method %s is not for %s", w, r.Method, p.ID)
			}
			if r.Why == "" {
				bad("%s: no why", w)
			}
			srcs(w, r.Sources)
			cond(w, r.When)
			if r.Warning != nil {
				srcs(w+" warning", r.Warning.Sources)
			}
			for _, o := range r.Over {
				if c.methods[o.Method] == nil {
					bad("%s: over: unknown method %q", w, o.Method)
				}
				srcs(w+" over "+o.Method, o.Sources)
			}
		}
	}
	for _, p := range Platforms {
		if complete && c.platform[p] == nil {
			bad("platform %s has no recommendations", p)
		}
	}
	for _, b := range c.Baseline {
		srcs("baseline "+b.ID, b.Sources)
		for _, e := range b.Except {
			if complete && c.methods[e.ID] == nil {
				bad("baseline %s: except: unknown method %q", b.ID, e.ID)
			}
			srcs("baseline "+b.ID+" except "+e.ID, e.Sources)
		}
	}
	for _, id := range BaselineIDs {
		if c.baseline(id) == nil {
			bad("baseline %s is missing", id)
		}
	}
	if c.baseline("custom") == nil {
		bad("baseline custom (for free-text items) is missing")
	}
	for _, r := range c.ResetOverview {
		srcs("reset_overview "+r.Mode, r.Sources)
	}
	if len(c.ResetOverview) == 0 {
		bad("reset_overview is empty")
	}
	steps("unenroll", c.Unenroll.Steps, map[string]bool{})
	srcs("unenroll warning", c.Unenroll.Warning.Sources)
	srcs("dem", c.DEM.Sources)
	if c.DEM.MaxDevices <= 0 {
		bad("dem: max_devices not set")
	}
	steps("rollout", c.Rollout.Steps, map[string]bool{})
	steps("rollout wave", []StepDef{c.Rollout.WaveStep}, map[string]bool{})
	steps("reset_step", []StepDef{c.ResetStep}, map[string]bool{})
	srcs("settings_stay", c.SettingsStay.Sources)
	return errors.Join(errs...)
}

func (c *Catalog) baseline(id string) *BaselineDef {
	for _, b := range c.Baseline {
		if b.ID == id {
			return b
		}
	}
	return nil
}

// Method returns a method definition, or nil.
func (c *Catalog) Method(id string) *MethodDef { return c.methods[id] }

// Prerequisite returns a prerequisite definition, or nil.
func (c *Catalog) Prerequisite(id string) *PrereqDef { return c.prereqs[id] }

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

// SourceURLs resolves source tags to URLs, keeping order and dropping repeats.
func (c *Catalog) SourceURLs(ids ...[]string) []string {
	var out []string
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
