package telnyxfake

import "time"

// The demo data set loaded by Options.Seed. Ids are fixed so documentation, snapshots and tests
// can name them; timestamps are relative to the clock (Options.Now) at New.
const (
	// BillingClientID is "Billing dashboard": a verified confidential client_credentials client.
	BillingClientID = "5eed0001-0000-4000-8000-00000000c001"
	// MobileClientID is "Mobile app": a verified public client using authorization_code with
	// PKCE and refresh tokens, redirecting to MobileRedirectURI.
	MobileClientID    = "5eed0002-0000-4000-8000-00000000c002"
	MobileRedirectURI = "https://app.example.com/callback"
	// DemoClientID is "Sandbox demo client": a confidential client allowed every grant type
	// and every supported scope, redirecting to DemoRedirectURI (a loopback callback a local
	// tool can listen on).
	DemoClientID    = "5eed0003-0000-4000-8000-00000000c003"
	DemoRedirectURI = "http://127.0.0.1:8976/callback"
	// DemoClientSecret is the secret of DemoClientID. It is published on purpose: it only
	// works against this fake (tests and --sandbox mode) and grants nothing anywhere else.
	DemoClientSecret = "sandbox-only-demo-secret-0123456789abcdef"

	// MobileActiveGrantID is a grant of Mobile app, last used two hours before start.
	MobileActiveGrantID = "5eed0101-0000-4000-8000-00000000a001"
	// MobileUnusedGrantID is a grant of Mobile app that was never used (last_used_at null).
	MobileUnusedGrantID = "5eed0102-0000-4000-8000-00000000a002"
	// DemoStaleGrantID is a grant of the demo client last used about ten months ago.
	DemoStaleGrantID = "5eed0103-0000-4000-8000-00000000a003"
)

// seed loads the demo data set.
func (f *Fake) seed() {
	now := f.now().UTC().Truncate(time.Second)
	day := 24 * time.Hour
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	ptr := func(t time.Time) *time.Time { return &t }

	f.mu.Lock()
	defer f.mu.Unlock()
	f.addClientLocked(Client{
		ClientID:          BillingClientID,
		Name:              "Billing dashboard",
		ClientType:        ClientTypeConfidential,
		AllowedGrantTypes: []string{GrantClientCredentials},
		AllowedScopes:     []string{"numbers.read", "messaging.read"},
		LogoURI:           "https://billing.example.com/logo.png",
		PolicyURI:         "https://billing.example.com/privacy",
		CreatedAt:         at(120 * day),
		UpdatedAt:         at(14 * day),
		Verified:          true,
	})
	f.addClientLocked(Client{
		ClientID:          MobileClientID,
		Name:              "Mobile app",
		ClientType:        ClientTypePublic,
		RequirePKCE:       true,
		AllowedGrantTypes: []string{GrantAuthorizationCode, GrantRefreshToken},
		AllowedScopes:     []string{"numbers.read", "messaging.read", "messaging.write"},
		RedirectURIs:      []string{MobileRedirectURI},
		LogoURI:           "https://app.example.com/icon.png",
		PolicyURI:         "https://app.example.com/privacy",
		TOSURI:            "https://app.example.com/terms",
		CreatedAt:         at(90 * day),
		UpdatedAt:         at(90 * day),
		Verified:          true,
	})
	f.addClientLocked(Client{
		ClientID:          DemoClientID,
		Name:              "Sandbox demo client",
		ClientType:        ClientTypeConfidential,
		AllowedGrantTypes: []string{GrantClientCredentials, GrantAuthorizationCode, GrantRefreshToken},
		AllowedScopes:     SupportedScopes(),
		RedirectURIs:      []string{DemoRedirectURI},
		ClientSecret:      DemoClientSecret,
		CreatedAt:         at(400 * day),
		UpdatedAt:         at(400 * day),
	})
	f.addGrantLocked(Grant{ID: MobileActiveGrantID, ClientID: MobileClientID,
		Scopes: []string{"numbers.read", "messaging.read"}, CreatedAt: at(30 * day), LastUsedAt: ptr(at(2 * time.Hour))})
	f.addGrantLocked(Grant{ID: MobileUnusedGrantID, ClientID: MobileClientID,
		Scopes: []string{"numbers.read"}, CreatedAt: at(3 * day)})
	f.addGrantLocked(Grant{ID: DemoStaleGrantID, ClientID: DemoClientID,
		Scopes: []string{"voice.read"}, CreatedAt: at(380 * day), LastUsedAt: ptr(at(300 * day))})
}
