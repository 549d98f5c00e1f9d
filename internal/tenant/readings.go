package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
)

// Reading is one request check-tenant makes, with the least-privileged
// read-only permissions that allow it (Microsoft Graph API reference).
type Reading struct {
	ID          string
	Endpoint    string   // e.g. GET /v1.0/organization
	What        string   // what it reads
	Delegated   string   // least-privileged delegated permission
	Application string   // least-privileged application permission; "" when app-only sign-in cannot make it
	Findings    []string // the finding IDs it produces
}

// reading is a Reading and the code that makes it.
type reading struct {
	Reading
	read func(ctx context.Context, s *session) (outcome, error)
}

// session is what the readings of one check share.
type session struct {
	client  *msgraph.GraphServiceClient
	adapter abs.RequestAdapter
	root    *url.URL
	now     time.Time
}

// maxPages bounds how many pages of one collection a reading follows:
// far more than the lists of tokens, policies and configurations a tenant
// holds. A longer list is read as far as that, and says so where it counts.
const maxPages = 50

// maxDevicePages bounds the paging of managed devices: Graph answers about
// a thousand to a page, so about 100,000 devices are counted; a larger
// fleet is counted as "at least" that many.
const maxDevicePages = 100

var readings = []reading{
	{Reading{"organization", "GET /v1.0/organization", "MDM authority",
		"User.Read", "Organization.Read.All", []string{idMDMAuthority}}, readOrganization},
	{Reading{"subscribed-skus", "GET /v1.0/subscribedSkus", "Intune and Entra ID P1/P2 service plans, seats used",
		"Organization.Read.All", "Organization.Read.All", []string{idLicenses, idEntraPremium}}, readSubscribedSkus},
	{Reading{"apple-push-certificate", "GET /v1.0/deviceManagement/applePushNotificationCertificate", "Apple MDM push certificate, expiry, Apple ID",
		"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.Read.All", []string{idApplePush}}, readApplePush},
	{Reading{"dep-onboarding-settings", "GET /beta/deviceManagement/depOnboardingSettings", "Automatic Device Enrollment tokens, expiry, last sync",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.Read.All", []string{idADE}}, readDEPTokens},
	{Reading{"vpp-tokens", "GET /v1.0/deviceAppManagement/vppTokens", "Apple Apps and Books (VPP) location tokens, expiry, state",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.Read.All", []string{idVPP}}, readVPPTokens},
	{Reading{"managed-google-play", "GET /beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings", "managed Google Play binding (bindStatus), fully managed enrollment allowed",
		"DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.Read.All", []string{idManagedGooglePlay, idFullyManaged}}, readGooglePlay},
	{Reading{"autopilot-devices", "GET /v1.0/deviceManagement/windowsAutopilotDeviceIdentities", "Windows Autopilot devices (count)",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.Read.All", []string{idAutopilot}}, readAutopilot},
	{Reading{"enrollment-configurations", "GET /v1.0/deviceManagement/deviceEnrollmentConfigurations", "device limit, platform and personal-device restrictions",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.Read.All", []string{idDeviceLimit, idRestrictions}}, readEnrollmentConfigurations},
	{Reading{"device-registration-policy", "GET /v1.0/policies/deviceRegistrationPolicy", "who may join devices to Microsoft Entra ID, devices per user",
		"Policy.Read.DeviceConfiguration", "Policy.Read.DeviceConfiguration", []string{idDeviceJoin}}, readDeviceRegistration},
	{Reading{"mdm-policies", "GET /beta/policies/mobileDeviceManagementPolicies", "automatic MDM enrollment scope",
		"Policy.Read.All", "", []string{idAutoEnrollment}}, readMDMPolicies},
	{Reading{"managed-devices", "GET /v1.0/deviceManagement/managedDevices", "devices Intune manages, counted per platform and ownership (counts only)",
		"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.Read.All", []string{idDevices}}, readManagedDevices},
}

// Readings lists every reading check-tenant makes, in order.
func Readings() []Reading {
	out := make([]Reading, len(readings))
	for i, r := range readings {
		out[i] = r.Reading
	}
	return out
}

// impliedBy names, for a permission, a higher one that the reference lists
// for the same readings, so a set holding both needs only the higher one.
var impliedBy = map[string]string{
	"User.Read":                       "Organization.Read.All", // GET /organization
	"Policy.Read.DeviceConfiguration": "Policy.Read.All",       // GET /policies/deviceRegistrationPolicy
}

// Permissions is the smallest set of read-only permissions that lets a
// sign-in of this kind make every reading it can make.
func Permissions(kind SignInKind) []string {
	var all []string
	for _, r := range readings {
		p := r.Delegated
		if kind == SignInApp {
			p = r.Application
		}
		if p != "" && !slices.Contains(all, p) {
			all = append(all, p)
		}
	}
	var out []string
	for _, p := range all {
		if higher, ok := impliedBy[p]; !ok || !slices.Contains(all, higher) {
			out = append(out, p)
		}
	}
	return out
}

// permissionFor names the permission a 403 on r means is missing.
func permissionFor(r Reading, kind SignInKind) string {
	switch {
	case kind == SignInApp || r.Delegated == r.Application:
		if r.Application != "" {
			return r.Application
		}
		return r.Delegated
	case kind == SignInDelegated || r.Application == "":
		return r.Delegated
	}
	return r.Delegated + " (delegated) or " + r.Application + " (application)"
}

// errorMappings decode Graph's error body on every failure of a raw request.
var errorMappings = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// getBeta makes a raw GET on Graph's beta endpoint through the SDK's request
// adapter (and so its sign-in, middleware and retries) and decodes the
// answer into v. v holds only the fields the check needs: anything else
// Graph sends, secrets included, is dropped here, and the raw bytes are
// cleared once decoded.
func (s *session) getBeta(ctx context.Context, pathAndQuery string, v any) error {
	u, err := s.graphURL("/beta" + pathAndQuery)
	if err != nil {
		return err
	}
	return s.getRaw(ctx, u, v)
}

func (s *session) getRaw(ctx context.Context, u *url.URL, v any) error {
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	res, err := s.adapter.SendPrimitive(ctx, ri, "[]byte", errorMappings)
	if err != nil {
		return err
	}
	raw, _ := res.([]byte)
	defer clear(raw)
	if len(raw) == 0 {
		return fmt.Errorf("empty answer")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// errForeignPage is an @odata.nextLink to another host: the check does not
// follow it (the token would not go there, but the reading would take what
// that host answers).
var errForeignPage = errors.New("Graph's next page is on another host")

// pageURL checks an @odata.nextLink: on Graph's own host only.
func (s *session) pageURL(link string) (*url.URL, error) {
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() {
		return nil, errors.New("Graph's next page has an address that could not be read")
	}
	if !sameHost(u, s.root.Host) {
		return nil, errForeignPage
	}
	return u, nil
}

// pager is a page of a collection: the SDK's collection responses, and the
// raw pages below (through rawPage).
type pager interface{ GetOdataNextLink() *string }

// rawPage is the paging part of a collection decoded as raw JSON.
type rawPage struct {
	NextLink *string `json:"@odata.nextLink"`
}

func (p *rawPage) GetOdataNextLink() *string { return p.NextLink }

// follow hands first and each page after it to each, following
// @odata.nextLink on Graph's own host, max pages in all. more says pages
// were left unread; a next page on another host is an error, since what
// was read would look complete.
func follow[P pager](s *session, first P, max int, get func(*url.URL) (P, error), each func(P)) (more bool, err error) {
	page := first
	for n := 1; ; n++ {
		each(page)
		link := page.GetOdataNextLink()
		if link == nil || *link == "" {
			return false, nil
		}
		u, err := s.pageURL(*link)
		if err != nil {
			return false, err
		}
		if n >= max {
			return true, nil
		}
		if page, err = get(u); err != nil {
			return false, err
		}
	}
}

// rawPages reads a collection as raw JSON, page by page, into fresh values
// of newPage.
func rawPages[P pager](ctx context.Context, s *session, first *url.URL, max int, newPage func() P, each func(P)) (bool, error) {
	get := func(u *url.URL) (P, error) {
		p := newPage()
		return p, s.getRaw(ctx, u, p)
	}
	p, err := get(first)
	if err != nil {
		return false, err
	}
	return follow(s, p, max, get, each)
}

// graphURL is a path and query on Graph's root, e.g. /beta/policies/….
func (s *session) graphURL(pathAndQuery string) (*url.URL, error) {
	return url.Parse(s.root.String() + pathAndQuery)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num[T ~int32 | ~int64](p *T) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func readOrganization(ctx context.Context, s *session) (outcome, error) {
	b := s.client.Organization()
	resp, err := b.Get(ctx, &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "mobileDeviceManagementAuthority"},
		},
	})
	if err != nil {
		return outcome{}, err
	}
	var authority string
	_, err = follow(s, resp, maxPages, func(u *url.URL) (models.OrganizationCollectionResponseable, error) {
		return b.WithUrl(u.String()).Get(ctx, nil)
	}, func(page models.OrganizationCollectionResponseable) {
		for _, org := range page.GetValue() {
			if a := org.GetMobileDeviceManagementAuthority(); a != nil {
				authority = a.String()
			}
		}
	})
	if err != nil {
		return outcome{}, err
	}
	return mapMDMAuthority(authority), nil
}

func readSubscribedSkus(ctx context.Context, s *session) (outcome, error) {
	b := s.client.SubscribedSkus()
	resp, err := b.Get(ctx, nil)
	if err != nil {
		return outcome{}, err
	}
	var skus []sku
	_, err = follow(s, resp, maxPages, func(u *url.URL) (models.SubscribedSkuCollectionResponseable, error) {
		return b.WithUrl(u.String()).Get(ctx, nil)
	}, func(page models.SubscribedSkuCollectionResponseable) {
		for _, v := range page.GetValue() {
			k := sku{part: str(v.GetSkuPartNumber()), status: str(v.GetCapabilityStatus()), consumed: num(v.GetConsumedUnits())}
			if pu := v.GetPrepaidUnits(); pu != nil {
				k.enabled = num(pu.GetEnabled())
			}
			for _, p := range v.GetServicePlans() {
				k.plans = append(k.plans, servicePlan{name: str(p.GetServicePlanName()), status: str(p.GetProvisioningStatus())})
			}
			skus = append(skus, k)
		}
	})
	if err != nil {
		return outcome{}, err
	}
	return mapLicences(skus), nil
}

func readApplePush(ctx context.Context, s *session) (outcome, error) {
	cert, err := s.client.DeviceManagement().ApplePushNotificationCertificate().Get(ctx, nil)
	if statusOf(err) == 404 {
		return mapApplePush(applePush{found: false}, s.now), nil
	}
	if err != nil {
		return outcome{}, err
	}
	if cert == nil {
		return mapApplePush(applePush{found: false}, s.now), nil
	}
	return mapApplePush(applePush{found: true, appleID: str(cert.GetAppleIdentifier()), expires: cert.GetExpirationDateTime()}, s.now), nil
}

// depOnboardingSettings is the part of the beta depOnboardingSetting
// collection the check keeps.
type depOnboardingSettings struct {
	Value []struct {
		TokenName                  string     `json:"tokenName"`
		AppleIdentifier            string     `json:"appleIdentifier"`
		TokenType                  string     `json:"tokenType"`
		TokenExpirationDateTime    *time.Time `json:"tokenExpirationDateTime"`
		LastSuccessfulSyncDateTime *time.Time `json:"lastSuccessfulSyncDateTime"`
		LastSyncErrorCode          int        `json:"lastSyncErrorCode"`
		SyncedDeviceCount          int        `json:"syncedDeviceCount"`
	} `json:"value"`
	rawPage
}

func readDEPTokens(ctx context.Context, s *session) (outcome, error) {
	first, err := s.graphURL("/beta/deviceManagement/depOnboardingSettings")
	if err != nil {
		return outcome{}, err
	}
	var tokens []depToken
	_, err = rawPages(ctx, s, first, maxPages, func() *depOnboardingSettings { return &depOnboardingSettings{} }, func(page *depOnboardingSettings) {
		for _, v := range page.Value {
			tokens = append(tokens, depToken{name: v.TokenName, appleID: v.AppleIdentifier, tokenType: v.TokenType,
				expires: v.TokenExpirationDateTime, lastSync: v.LastSuccessfulSyncDateTime, syncError: v.LastSyncErrorCode, devices: v.SyncedDeviceCount})
		}
	})
	if err != nil {
		return outcome{}, err
	}
	return mapADETokens(tokens, s.now), nil
}

// vppTokens is the part of the vppToken collection the check keeps. The
// token itself has no field here, so it is dropped as the answer is decoded.
type vppTokens struct {
	Value []struct {
		OrganizationName   string     `json:"organizationName"`
		AppleID            string     `json:"appleId"`
		AccountType        string     `json:"vppTokenAccountType"`
		ExpirationDateTime *time.Time `json:"expirationDateTime"`
		State              string     `json:"state"`
	} `json:"value"`
	rawPage
}

func readVPPTokens(ctx context.Context, s *session) (outcome, error) {
	first, err := s.graphURL("/v1.0/deviceAppManagement/vppTokens")
	if err != nil {
		return outcome{}, err
	}
	var tokens []vppToken
	_, err = rawPages(ctx, s, first, maxPages, func() *vppTokens { return &vppTokens{} }, func(page *vppTokens) {
		for _, v := range page.Value {
			tokens = append(tokens, vppToken{organization: v.OrganizationName, appleID: v.AppleID, education: v.AccountType == "education",
				expires: v.ExpirationDateTime, state: v.State})
		}
	})
	if err != nil {
		return outcome{}, err
	}
	return mapVPPTokens(tokens, s.now), nil
}

// androidManagedStoreSettings is the part of the beta
// androidManagedStoreAccountEnterpriseSettings the check keeps. Its
// companyCodes (Android enrollment tokens, QR codes and their images) have
// no field here, so they are dropped as the answer is decoded. Value
// accepts the reference's example shape, which wraps the entity in "value".
type androidManagedStoreSettings struct {
	androidManagedStoreFields
	Value *androidManagedStoreFields `json:"value"`
}

type androidManagedStoreFields struct {
	BindStatus            string `json:"bindStatus"`
	LastAppSyncStatus     string `json:"lastAppSyncStatus"`
	OwnerOrganizationName string `json:"ownerOrganizationName"`
	FullyManagedEnabled   *bool  `json:"androidDeviceOwnerFullyManagedEnrollmentEnabled"`
}

func readGooglePlay(ctx context.Context, s *session) (outcome, error) {
	var v androidManagedStoreSettings
	if err := s.getBeta(ctx, "/deviceManagement/androidManagedStoreAccountEnterpriseSettings", &v); err != nil {
		return outcome{}, err
	}
	f := v.androidManagedStoreFields
	if f.BindStatus == "" && v.Value != nil {
		f = *v.Value
	}
	return mapGooglePlay(googlePlay{bindStatus: f.BindStatus, lastAppSync: f.LastAppSyncStatus, ownerOrgName: f.OwnerOrganizationName,
		fullyManaged: f.FullyManagedEnabled}), nil
}

func readAutopilot(ctx context.Context, s *session) (outcome, error) {
	b := s.client.DeviceManagement().WindowsAutopilotDeviceIdentities()
	resp, err := b.Get(ctx, nil)
	if err != nil {
		return outcome{}, err
	}
	n := 0
	more, err := follow(s, resp, maxPages, func(u *url.URL) (models.WindowsAutopilotDeviceIdentityCollectionResponseable, error) {
		return b.WithUrl(u.String()).Get(ctx, nil)
	}, func(page models.WindowsAutopilotDeviceIdentityCollectionResponseable) { n += len(page.GetValue()) })
	if err != nil {
		return outcome{}, err
	}
	return mapAutopilot(n, more), nil
}

func readEnrollmentConfigurations(ctx context.Context, s *session) (outcome, error) {
	b := s.client.DeviceManagement().DeviceEnrollmentConfigurations()
	resp, err := b.Get(ctx, nil)
	if err != nil {
		return outcome{}, err
	}
	var c enrollmentConfig
	var limitPriority, restrictionPriority int = 1 << 30, 1 << 30
	_, err = follow(s, resp, maxPages, func(u *url.URL) (models.DeviceEnrollmentConfigurationCollectionResponseable, error) {
		return b.WithUrl(u.String()).Get(ctx, nil)
	}, func(page models.DeviceEnrollmentConfigurationCollectionResponseable) {
		for _, v := range page.GetValue() {
			prio := num(v.GetPriority())
			switch cfg := v.(type) {
			case models.DeviceEnrollmentLimitConfigurationable:
				c.limits++
				if l := cfg.GetLimit(); l != nil && prio < limitPriority {
					limitPriority = prio
					c.defaultLimit = ptr(int(*l))
				}
			case models.DeviceEnrollmentPlatformRestrictionsConfigurationable:
				c.restrictionSets++
				if prio < restrictionPriority {
					restrictionPriority = prio
					c.restrictions = map[string]restriction{
						"android": restrictionOf(cfg.GetAndroidRestriction()),
						"ios":     restrictionOf(cfg.GetIosRestriction()),
						"macos":   restrictionOf(cfg.GetMacOSRestriction()),
						"windows": restrictionOf(cfg.GetWindowsRestriction()),
					}
				}
			default:
				// Per-platform restriction policies come back as the base type in v1.0.
				if strings.Contains(strings.ToLower(str(v.GetOdataType())), "platformrestrictionconfiguration") {
					c.perPlatform++
				}
			}
		}
	})
	if err != nil {
		return outcome{}, err
	}
	return mapEnrollmentConfig(c), nil
}

func restrictionOf(r models.DeviceEnrollmentPlatformRestrictionable) restriction {
	if r == nil {
		return restriction{}
	}
	return restriction{blocked: deref(r.GetPlatformBlocked()), personalBlocked: deref(r.GetPersonalDeviceEnrollmentBlocked())}
}

func deref(p *bool) bool { return p != nil && *p }

func readDeviceRegistration(ctx context.Context, s *session) (outcome, error) {
	p, err := s.client.Policies().DeviceRegistrationPolicy().Get(ctx, nil)
	if err != nil {
		return outcome{}, err
	}
	var j deviceJoin
	if q := p.GetUserDeviceQuota(); q != nil {
		j.quota = ptr(int(*q))
	}
	if join := p.GetAzureADJoin(); join != nil {
		switch m := join.GetAllowedToJoin().(type) {
		case models.AllDeviceRegistrationMembershipable:
			j.allowed = "all"
		case models.EnumeratedDeviceRegistrationMembershipable:
			j.allowed, j.users, j.groups = "selected", len(m.GetUsers()), len(m.GetGroups())
		case models.NoDeviceRegistrationMembershipable:
			j.allowed = "none"
		}
	}
	o := mapDeviceJoin(j)
	o.facts.deviceQuota = j.quota
	return o, nil
}

// intuneAppID identifies Microsoft Intune among the mobility applications.
const intuneAppID = "0000000a-0000-0000-c000-000000000000"

// mobilityPolicies is the part of the beta mobilityManagementPolicy
// collection the check keeps.
type mobilityPolicies struct {
	Value []struct {
		ID             string `json:"id"`
		DisplayName    string `json:"displayName"`
		AppliesTo      string `json:"appliesTo"`
		IncludedGroups []struct {
			DisplayName string `json:"displayName"`
		} `json:"includedGroups"`
	} `json:"value"`
	rawPage
}

func readMDMPolicies(ctx context.Context, s *session) (outcome, error) {
	first, err := s.graphURL("/beta/policies/mobileDeviceManagementPolicies?$expand=includedGroups")
	if err != nil {
		return outcome{}, err
	}
	var p mdmPolicy
	_, err = rawPages(ctx, s, first, maxPages, func() *mobilityPolicies { return &mobilityPolicies{} }, func(page *mobilityPolicies) {
		for _, pol := range page.Value {
			if p.found || pol.ID != intuneAppID && !strings.EqualFold(pol.DisplayName, "Microsoft Intune") {
				continue
			}
			p = mdmPolicy{found: true, appliesTo: pol.AppliesTo}
			for _, g := range pol.IncludedGroups {
				if g.DisplayName != "" {
					p.groups = append(p.groups, g.DisplayName)
				}
			}
		}
	})
	if err != nil {
		return outcome{}, err
	}
	return mapAutoEnrollment(p), nil
}

// managedDevices is a page of managed devices with the two fields the
// count needs; $select asks Graph for no more (no names, serials or users).
type managedDevices struct {
	Value []struct {
		OperatingSystem string `json:"operatingSystem"`
		OwnerType       string `json:"managedDeviceOwnerType"`
	} `json:"value"`
	rawPage
}

func readManagedDevices(ctx context.Context, s *session) (outcome, error) {
	first, err := s.graphURL("/v1.0/deviceManagement/managedDevices?$select=operatingSystem,managedDeviceOwnerType")
	if err != nil {
		return outcome{}, err
	}
	counts := map[[2]string]int{}
	more, err := rawPages(ctx, s, first, maxDevicePages, func() *managedDevices { return &managedDevices{} }, func(page *managedDevices) {
		for _, d := range page.Value {
			counts[[2]string{devicePlatform(d.OperatingSystem), deviceOwnership(d.OwnerType)}]++
		}
	})
	if err != nil {
		return outcome{}, err
	}
	return mapManagedDevices(counts, more), nil
}
