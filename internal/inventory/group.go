package inventory

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// Group is a proposed population: devices alike in platform, ownership,
// use, what manages them today and (for Android) maker. Its Population is
// what the answers get; InIntune groups hold devices already enrolled in
// Intune, which Answers leaves out.
type Group struct {
	plan.Population
	// Reason says in a few words what the group's devices share.
	Reason string `json:"reason"`
	// InIntune marks devices already enrolled in Intune: nothing to plan.
	InIntune bool `json:"in_intune,omitempty"`
}

// groupKey is what makes two devices one population.
type groupKey struct {
	platform, kind, ownership, usage, managed, maker string
}

func keyOf(c class) groupKey {
	return groupKey{c.platform, c.kind, c.ownership, c.usage, c.managed, c.makerKey()}
}

// newGroup names a group as a person would ("Shared iPads", "Zebra Android
// kiosks", "Windows PCs managed by Configuration Manager").
func newGroup(k groupKey, devices int, format string) Group {
	inUse := true // they are in an inventory, so in use
	g := Group{
		Population: plan.Population{
			Platform:     k.platform,
			Ownership:    k.ownership,
			Usage:        k.usage,
			Devices:      devices,
			InUse:        &inUse,
			Manufacturer: k.maker,
		},
		InIntune: k.managed == managedIntune,
	}
	if !g.InIntune {
		g.ManagedBy = k.managed
	}
	if k.platform == "ios" || k.platform == "macos" {
		g.Manufacturer = "Apple"
	}
	noun, dedicatedNoun := nouns(k.platform, k.kind)
	var words []string
	switch {
	case k.ownership == plan.OwnPersonal:
		words = append(words, "Personal")
	case k.usage == plan.UsageShared:
		words = append(words, "Shared")
	}
	if k.maker != "" {
		words = append(words, k.maker)
	}
	if k.usage == plan.UsageDedicated {
		words = append(words, dedicatedNoun)
	} else {
		words = append(words, noun)
	}
	name := strings.Join(words, " ")
	if len(words) > 1 {
		name = words[0] + " " + lowerFirst(strings.Join(words[1:], " "))
	}
	name += managedSuffix(k.managed, format)
	g.Name = name
	g.ID = groupID(k)
	g.Reason = reason(k, format)
	return g
}

// nouns are what people call a platform's devices, and its kiosks.
func nouns(platform, kind string) (noun, dedicated string) {
	switch platform {
	case "windows":
		return "Windows PCs", "Windows kiosks"
	case "macos":
		return "Macs", "Dedicated Macs"
	case "linux":
		return "Linux PCs", "Dedicated Linux PCs"
	case "android":
		return "Android devices", "Android kiosks"
	case "ios":
		switch kind {
		case "iphone":
			return "iPhones", "Dedicated iPhones"
		case "ipad":
			return "iPads", "iPad kiosks"
		}
		return "iPhones and iPads", "Dedicated iPhones and iPads"
	}
	return platform + " devices", "Dedicated " + platform + " devices"
}

// lowerFirst lowers "Dedicated" after an adjective, keeping brand names
// ("Windows", "iPads", "Android", "Zebra") as they are.
func lowerFirst(s string) string {
	if rest, ok := strings.CutPrefix(s, "Dedicated "); ok {
		return "dedicated " + rest
	}
	return s
}

func managedSuffix(managed, format string) string {
	switch managed {
	case plan.ManagedConfigMgr:
		return " managed by Configuration Manager"
	case plan.ManagedOtherMDM:
		if format == FormatJamf || format == FormatWorkspaceONE {
			return " managed by " + format
		}
		return " managed by another MDM"
	case managedIntune:
		return " already in Intune"
	}
	return ""
}

// groupID is a short, stable slug of the key (at most 40 characters).
func groupID(k groupKey) string {
	var parts []string
	switch {
	case k.ownership == plan.OwnPersonal:
		parts = append(parts, "personal")
	case k.usage == plan.UsageShared:
		parts = append(parts, "shared")
	}
	if k.maker != "" {
		parts = append(parts, k.maker)
	}
	noun := map[string]string{"windows": "windows-pcs", "macos": "macs", "linux": "linux-pcs", "android": "android"}[k.platform]
	if k.platform == "ios" {
		noun = map[string]string{"iphone": "iphones", "ipad": "ipads", "": "ios"}[k.kind]
	}
	parts = append(parts, noun)
	if k.usage == plan.UsageDedicated {
		parts = append(parts, "kiosks")
	}
	switch k.managed {
	case plan.ManagedConfigMgr:
		parts = append(parts, "configmgr")
	case plan.ManagedOtherMDM:
		parts = append(parts, "other-mdm")
	case managedIntune:
		parts = append(parts, "in-intune")
	}
	return slug(strings.Join(parts, "-"))
}

// reason lists what the group's devices share.
func reason(k groupKey, format string) string {
	platform := map[string]string{"windows": "Windows", "macos": "macOS", "linux": "Linux", "android": "Android", "ios": "iOS/iPadOS"}[k.platform]
	parts := []string{platform, k.ownership}
	switch k.usage {
	case plan.UsageShared:
		parts = append(parts, "shared (no primary user)")
	case plan.UsageDedicated:
		parts = append(parts, "dedicated (kiosk or single purpose)")
	default:
		parts = append(parts, "one primary user each")
	}
	if k.maker != "" {
		parts = append(parts, "made by "+k.maker)
	}
	switch k.managed {
	case plan.ManagedConfigMgr:
		parts = append(parts, "Configuration Manager clients today")
	case plan.ManagedOtherMDM:
		parts = append(parts, strings.TrimPrefix(managedSuffix(k.managed, format), " ")+" today")
	case plan.ManagedNone:
		parts = append(parts, "not managed by an MDM today")
	case managedIntune:
		parts = append(parts, "already enrolled in Intune")
	default:
		parts = append(parts, "the file does not say what manages them today")
	}
	return strings.Join(parts, ", ")
}

// slug makes a group's id with the answers' id rule (plan.Slug), and
// "devices" for a name with no ASCII letter or digit.
func slug(s string) string {
	if id := plan.Slug(s); id != "" {
		return id
	}
	return "devices"
}

// uniqueID returns base, or base-2, base-3… (within 40 characters), the
// first not in taken, and takes it.
func uniqueID(base string, taken map[string]bool) string {
	id := base
	for n := 2; taken[id]; n++ {
		suffix := "-" + strconv.Itoa(n)
		id = strings.TrimRight(base[:min(len(base), 40-len(suffix))], "-") + suffix
	}
	taken[id] = true
	return id
}

// compareGroups puts the biggest groups first, then by name, and groups
// already in Intune last, so proposals read in the order a planner cares
// about.
func compareGroups(a, b Group) int {
	if a.InIntune != b.InIntune {
		if a.InIntune {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(b.Devices, a.Devices), cmp.Compare(a.Name, b.Name))
}

// groupByID finds a group's index, or says in words that there is none.
func groupByID(groups []Group, id string) (int, error) {
	for i, g := range groups {
		if g.ID == id {
			return i, nil
		}
	}
	return -1, &Error{Msg: fmt.Sprintf("There is no group with the id %s; it may have been merged or split already.", quote(id))}
}
