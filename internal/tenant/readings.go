package tenant

import (
	"context"
	"encoding/json"
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

// maxPages bounds how far a collection is paged.
const maxPages = 50

var readings = []reading{
	{Reading{"organization", "GET /v1.0/organization", "MDM authority",
		"User.Read", "Organization.Read.All", []string{idMDMAuthority}}, readOrganization},
	{Reading{"subscribed-skus", "GET /v1.0/subscribedSkus", "Intune and Entra ID P1/P2 service plans, seats used",
		"Organization.Read.All", "Organization.Read.All", []string{idLicenses, idEntraPremium}}, readSubscribedSkus},
	{Reading{"apple-push-certificate", "GET /v1.0/deviceManagement/applePushNotificationCertificate", "Apple MDM push certificate, expiry, Apple ID",
		"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.Read.All", []string{idApplePush}}, readApplePush},
	{Reading{"dep-onboarding-settings", "GET /beta/deviceManagement/depOnboardingSettings", "Automatic Device Enrollment tokens, expiry, last sync",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.Read.All", []string{idADE}}, readDEPTokens},
	{Reading{"managed-google-play", "GET /beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings", "managed Google Play binding (bindStatus)",
		"DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.Read.All", []string{idManagedGooglePlay}}, readGooglePlay},
	{Reading{"autopilot-devices", "GET /v1.0/deviceManagement/windowsAutopilotDeviceIdentities", "Windows Autopilot devices (count)",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.Read.All", []string{idAutopilot}}, readAutopilot},
	{Reading{"enrollment-configurations", "GET /v1.0/deviceManagement/deviceEnrollmentConfigurations", "device limit, platform and personal-device restrictions",
		"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.Read.All", []string{idDeviceLimit, idRestrictions}}, readEnrollmentConfigurations},
	{Reading{"device-registration-policy", "GET /v1.0/policies/deviceRegistrationPolicy", "who may join devices to Microsoft Entra ID",
		"Policy.Read.DeviceConfiguration", "Policy.Read.DeviceConfiguration", []string{idDeviceJoin}}, readDeviceRegistration},
	{Reading{"mdm-policies", "GET /beta/policies/mobileDeviceManagementPolicies", "automatic MDM enrollment scope",
		"Policy.Read.All", "", []string{idAutoEnrollment}}, readMDMPolicies},
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
	u, err := url.Parse(s.root.String() + "/beta" + pathAndQuery)
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

// nextPage follows an @odata.nextLink on Graph's own host only.
func (s *session) nextPage(link *string) (*url.URL, bool) {
	if link == nil || *link == "" {
		return nil, false
	}
	u, err := url.Parse(*link)
	if err != nil || !sameHost(u, s.root.Host) {
		return nil, false
	}
	return u, true
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
	resp, err := s.client.Organization().Get(ctx, &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "mobileDeviceManagementAuthority"},
		},
	})
	if err != nil {
		return outcome{}, err
	}
	var authority string
	for _, org := range resp.GetValue() {
		if a := org.GetMobileDeviceManagementAuthority(); a != nil {
			authority = a.String()
		}
	}
	return mapMDMAuthority(authority), nil
}

func readSubscribedSkus(ctx context.Context, s *session) (outcome, error) {
	resp, err := s.client.SubscribedSkus().Get(ctx, nil)
	if err != nil {
		return outcome{}, err
	}
	var skus []sku
	for page := 0; ; page++ {
		for _, v := range resp.GetValue() {
			k := sku{part: str(v.GetSkuPartNumber()), status: str(v.GetCapabilityStatus()), consumed: num(v.GetConsumedUnits())}
			if pu := v.GetPrepaidUnits(); pu != nil {
				k.enabled = num(pu.GetEnabled())
			}
			for _, p := range v.GetServicePlans() {
				k.plans = append(k.plans, servicePlan{name: str(p.GetServicePlanName()), status: str(p.GetProvisioningStatus())})
			}
			skus = append(skus, k)
		}
		next, ok := s.nextPage(resp.GetOdataNextLink())
		if !ok || page >= maxPages {
			break
		}
		if resp, err = s.client.SubscribedSkus().WithUrl(next.String()).Get(ctx, nil); err != nil {
			return outcome{}, err
		}
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
	NextLink *string `json:"@odata.nextLink"`
}

func readDEPTokens(ctx context.Context, s *session) (outcome, error) {
	var tokens []depToken
	var page depOnboardingSettings
	if err := s.getBeta(ctx, "/deviceManagement/depOnboardingSettings", &page); err != nil {
		return outcome{}, err
	}
	for n := 0; ; n++ {
		for _, v := range page.Value {
			tokens = append(tokens, depToken{name: v.TokenName, appleID: v.AppleIdentifier, tokenType: v.TokenType,
				expires: v.TokenExpirationDateTime, lastSync: v.LastSuccessfulSyncDateTime, syncError: v.LastSyncErrorCode, devices: v.SyncedDeviceCount})
		}
		next, ok := s.nextPage(page.NextLink)
		if !ok || n >= maxPages {
			break
		}
		page = depOnboardingSettings{}
		if err := s.getRaw(ctx, next, &page); err != nil {
			return outcome{}, err
		}
	}
	return mapADETokens(tokens, s.now), nil
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
	return mapGooglePlay(googlePlay{bindStatus: f.BindStatus, lastAppSync: f.LastAppSyncStatus, ownerOrgName: f.OwnerOrganizationName}), nil
}

func readAutopilot(ctx context.Context, s *session) (outcome, error) {
	b := s.client.DeviceManagement().WindowsAutopilotDeviceIdentities()
	resp, err := b.Get(ctx, nil)
	if err != nil {
		return outcome{}, err
	}
	n := 0
	for page := 0; ; page++ {
		n += len(resp.GetValue())
		next, ok := s.nextPage(resp.GetOdataNextLink())
		if !ok {
			return mapAutopilot(n, false), nil
		}
		if page >= maxPages {
			return mapAutopilot(n, true), nil
		}
		if resp, err = b.WithUrl(next.String()).Get(ctx, nil); err != nil {
			return outcome{}, err
		}
	}
}

func readEnrollmentConfigurations(ctx context.Context, s *session) (outcome, error) {
	b := s.client.DeviceManagement().DeviceEnrollmentConfigurations()
	resp, err := b.Get(ctx, nil)
	if err != nil {
		return outcome{}, err
	}
	var c enrollmentConfig
	var limitPriority, restrictionPriority int = 1 << 30, 1 << 30
	for page := 0; ; page++ {
		for _, v := range resp.GetValue() {
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
		next, ok := s.nextPage(resp.GetOdataNextLink())
		if !ok || page >= maxPages {
			break
		}
		if resp, err = b.WithUrl(next.String()).Get(ctx, nil); err != nil {
			return outcome{}, err
		}
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
	return mapDeviceJoin(j), nil
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
}

func readMDMPolicies(ctx context.Context, s *session) (outcome, error) {
	var v mobilityPolicies
	if err := s.getBeta(ctx, "/policies/mobileDeviceManagementPolicies?$expand=includedGroups", &v); err != nil {
		return outcome{}, err
	}
	var p mdmPolicy
	for _, pol := range v.Value {
		if pol.ID == intuneAppID || strings.EqualFold(pol.DisplayName, "Microsoft Intune") {
			p = mdmPolicy{found: true, appliesTo: pol.AppliesTo}
			for _, g := range pol.IncludedGroups {
				if g.DisplayName != "" {
					p.groups = append(p.groups, g.DisplayName)
				}
			}
			break
		}
	}
	return mapAutoEnrollment(p), nil
}
