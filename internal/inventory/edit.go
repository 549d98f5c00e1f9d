package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// What SplitGroup can split a group by.
const (
	ByMaker      = "maker"
	ByModel      = "model"
	ByOSVersion  = "os_version"
	ByNamePrefix = "name_prefix" // the letters before the first digit or separator: "NURSE-0123" → "NURSE"
	ByUser       = "user"        // with or without a primary user
)

// SplitBys lists the values of SplitGroup's by.
var SplitBys = []string{ByMaker, ByModel, ByOSVersion, ByNamePrefix, ByUser}

// maxParts bounds one split: the biggest parts, and the rest together.
const maxParts = 8

// The grouping page's operations are pure: each returns a new Result and
// leaves res as it was.

// RenameGroup gives a group the name a planner chose; its id stays.
func RenameGroup(res *Result, id, name string) (*Result, error) {
	i, err := groupByID(res.Groups, id)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case name == "":
		return nil, &Error{Msg: "Give the group a name, for example “Ward iPads”."}
	case n > plan.MaxText:
		return nil, &Error{Msg: fmt.Sprintf("The name is %d characters long; keep it to %d.", n, plan.MaxText)}
	case strings.ContainsFunc(name, unicode.IsControl):
		return nil, &Error{Msg: "Write the group's name on one line."}
	}
	out := *res
	out.Groups = slices.Clone(res.Groups)
	out.Groups[i].Name = name
	return &out, nil
}

// MergeGroups moves the devices of group from into group into, which keeps
// its name, id and answers (ownership, use, what manages them). Groups of
// two platforms cannot merge: a population has one platform.
func MergeGroups(res *Result, into, from string) (*Result, error) {
	if into == from {
		return nil, &Error{Msg: "Choose two different groups to merge."}
	}
	i, err := groupByID(res.Groups, into)
	if err != nil {
		return nil, err
	}
	j, err := groupByID(res.Groups, from)
	if err != nil {
		return nil, err
	}
	a, b := res.Groups[i], res.Groups[j]
	switch {
	case a.Platform != b.Platform:
		return nil, &Error{Msg: fmt.Sprintf("%s and %s are devices of two platforms; a group holds devices of one platform, which enroll the same way.", quote(a.Name), quote(b.Name))}
	case a.InIntune != b.InIntune:
		return nil, &Error{Msg: fmt.Sprintf("Only one of %s and %s is already enrolled in Intune; keep devices to enroll apart from those already enrolled.", quote(a.Name), quote(b.Name))}
	}
	a.Devices += b.Devices
	if a.Manufacturer != b.Manufacturer {
		a.Manufacturer = ""
	}
	a.Reason += "; merged with " + quote(b.Name)
	out := *res
	out.Groups = slices.Clone(res.Groups)
	out.Groups[i] = a
	out.Groups = slices.Delete(out.Groups, j, j+1)
	out.Devices = slices.Clone(res.Devices)
	for k := range out.Devices {
		if out.Devices[k].Population == from {
			out.Devices[k].Population = into
		}
	}
	return &out, nil
}

// SplitGroup splits a group by one of SplitBys into groups named after
// the part ("Windows PCs managed by Configuration Manager (names starting
// DOC)"). At most maxParts groups come of it: the biggest parts, and the
// rest together.
func SplitGroup(res *Result, id, by string) (*Result, error) {
	i, err := groupByID(res.Groups, id)
	if err != nil {
		return nil, err
	}
	parent := res.Groups[i]
	label, other, what := splitter(by, parent.Platform)
	if label == nil {
		return nil, &Error{Msg: fmt.Sprintf("%s is not a way to split a group; use one of %s.", quote(by), strings.Join(SplitBys, ", "))}
	}
	counts := map[string]int{}
	for _, d := range res.Devices {
		if d.Population == id {
			counts[label(d)]++
		}
	}
	labels := make([]string, 0, len(counts))
	for l := range counts {
		labels = append(labels, l)
	}
	slices.SortFunc(labels, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b)) })
	if len(labels) < 2 {
		only := ""
		if len(labels) == 1 {
			only = " (" + labels[0] + ")"
		}
		return nil, &Error{Msg: fmt.Sprintf("All devices of %s have the same %s%s; there is nothing to split.", quote(parent.Name), what, only)}
	}
	partOf := map[string]string{} // label → the label of its part
	partCounts := map[string]int{}
	var parts []string
	for n, l := range labels {
		p := l
		if len(labels) > maxParts && n >= maxParts-1 {
			p = other
		}
		if _, seen := partCounts[p]; !seen {
			parts = append(parts, p)
		}
		partOf[l] = p
		partCounts[p] += counts[l]
	}
	labels, counts = parts, partCounts
	if n := len(res.Groups) - 1 + len(labels); n > plan.MaxPopulations {
		return nil, &Error{Msg: fmt.Sprintf("Splitting would make %d groups, more than the %d a plan holds; merge some groups first.", n, plan.MaxPopulations)}
	}
	taken := map[string]bool{}
	for _, g := range res.Groups {
		if g.ID != id {
			taken[g.ID] = true
		}
	}
	groups := make([]Group, len(labels))
	idOf := map[string]string{}
	for n, l := range labels {
		g := parent
		phrase := splitPhrase(by, l)
		g.Name = truncateRunes(parent.Name+" ("+phrase+")", plan.MaxText)
		g.ID = uniqueID(slug(parent.ID+"-"+slug(phrase)), taken)
		g.Devices = counts[l]
		g.Reason = parent.Reason + "; " + phrase
		switch {
		case by == ByMaker && l != other && l != noMaker:
			g.Manufacturer = truncateRunes(l, plan.MaxManufacturer)
		case by == ByUser && g.Ownership == plan.OwnCorporate && g.Usage != plan.UsageDedicated:
			g.Usage = map[bool]string{true: plan.UsageUser, false: plan.UsageShared}[l == withUser]
		}
		groups[n] = g
		idOf[l] = g.ID
	}
	out := *res
	out.Groups = slices.Concat(res.Groups[:i], groups, res.Groups[i+1:])
	out.Devices = slices.Clone(res.Devices)
	for k, d := range out.Devices {
		if d.Population == id {
			out.Devices[k].Population = idOf[partOf[label(d)]]
		}
	}
	return &out, nil
}

const (
	noMaker     = "maker not given"
	withUser    = "with a primary user"
	withoutUser = "without a primary user"
)

// splitter returns how a device is labelled for a split, the label of the
// rest, and what the split is by, in words.
func splitter(by, platform string) (label func(Device) string, other, what string) {
	orNot := func(s, none string) string {
		if s == "" {
			return none
		}
		return s
	}
	switch by {
	case ByMaker:
		return func(d Device) string { return orNot(d.Maker, noMaker) }, "other makers", "maker"
	case ByModel:
		return func(d Device) string { return orNot(d.Model, "model not given") }, "other models", "model"
	case ByOSVersion:
		return func(d Device) string { return osRelease(platform, d) }, "other versions", "OS version"
	case ByNamePrefix:
		return func(d Device) string { return namePrefix(d.Name) }, "", "start of the name"
	case ByUser:
		return func(d Device) string {
			if d.User != "" {
				return withUser
			}
			return withoutUser
		}, "", "primary user"
	}
	return nil, "", ""
}

func splitPhrase(by, label string) string {
	if by == ByNamePrefix {
		if label == "" {
			return "other names"
		}
		return "names starting " + label
	}
	return label
}

// namePrefix is the letters before the first digit or separator of a
// device name, in capitals: "NURSE-0123" → "NURSE", "doclap0042" → "DOCLAP".
func namePrefix(name string) string {
	end := strings.IndexFunc(name, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(name)
	}
	return strings.ToUpper(name[:end])
}

// osRelease groups OS versions by release: Windows 10 or 11 (from the
// build), else the major version ("iOS 17", "Android 14").
func osRelease(platform string, d Device) string {
	v := strings.TrimSpace(d.OSVersion)
	if platform == "windows" {
		for _, t := range []string{d.OS, v} {
			if strings.Contains(t, "Windows 11") {
				return "Windows 11"
			}
			if strings.Contains(t, "Windows 10") {
				return "Windows 10"
			}
		}
		parts := strings.Split(v, ".")
		if len(parts) >= 3 && parts[0] == "10" {
			if build, err := strconv.Atoi(parts[2]); err == nil {
				if build >= 22000 {
					return "Windows 11"
				}
				return "Windows 10"
			}
		}
	}
	major := strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsDigit(r) })
	if len(major) == 0 {
		if v == "" {
			return "version not given"
		}
		return truncateRunes(v, 40)
	}
	word := map[string]string{"ios": "iOS", "macos": "macOS", "android": "Android", "windows": "Windows", "linux": "Linux"}[platform]
	n, _ := strconv.Atoi(major[0])
	return word + " " + strconv.Itoa(n)
}
