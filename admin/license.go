package admin

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Tier is a license level. Tiers are ordered: development < base <
// enterprise < enterprise-plus; a tier includes every feature of the tiers
// below it.
type Tier string

// The license tiers, lowest first.
const (
	// TierDevelopment is the free mode an Admin runs in without a license
	// key: small limits, for trying the platform out (see DevelopmentLicense).
	TierDevelopment Tier = "development"
	// TierBase is the entry paid tier.
	TierBase Tier = "base"
	// TierEnterprise adds single sign-on and audit export.
	TierEnterprise Tier = "enterprise"
	// TierEnterprisePlus adds the Kubernetes runner.
	TierEnterprisePlus Tier = "enterprise-plus"
)

// Features a license can allow. A tier includes some by default (see
// Tier.Features); License.Features grants further ones and
// License.ExcludedFeatures withholds some of the tier's.
const (
	// FeaturePreviewDeployments: per-branch and per-PR preview deployments
	// (base and above, and the development mode).
	FeaturePreviewDeployments = "preview-deployments"
	// FeatureSSO: single sign-on (enterprise and above).
	FeatureSSO = "sso"
	// FeatureAuditExport: exporting the audit log (enterprise and above).
	FeatureAuditExport = "audit-export"
	// FeatureKubernetesRunner: the Kubernetes runner (enterprise-plus).
	FeatureKubernetesRunner = "kubernetes-runner"
)

type tierInfo struct {
	tier     Tier
	features []string
}

// tiers is the one table of tiers, lowest first, and of the features each
// includes by default. Its order defines Tier.AtLeast.
var tiers = []tierInfo{
	{TierDevelopment, []string{FeaturePreviewDeployments}},
	{TierBase, []string{FeaturePreviewDeployments}},
	{TierEnterprise, []string{FeaturePreviewDeployments, FeatureSSO, FeatureAuditExport}},
	{TierEnterprisePlus, []string{FeaturePreviewDeployments, FeatureSSO, FeatureAuditExport, FeatureKubernetesRunner}},
}

// rank returns the tier's position in tiers, or -1 for an unknown tier.
func (t Tier) rank() int {
	return slices.IndexFunc(tiers, func(e tierInfo) bool { return e.tier == t })
}

// Valid reports whether t is one of the known tiers.
func (t Tier) Valid() bool { return t.rank() >= 0 }

// AtLeast reports whether t is other or a higher tier. It is false when
// either tier is unknown.
func (t Tier) AtLeast(other Tier) bool {
	r, o := t.rank(), other.rank()
	return r >= 0 && o >= 0 && r >= o
}

// Features returns the features the tier includes by default (nil for an
// unknown tier). The caller may modify the slice.
func (t Tier) Features() []string {
	if r := t.rank(); r >= 0 {
		return slices.Clone(tiers[r].features)
	}
	return nil
}

// lowestTierWith returns the lowest tier that includes feature by default.
func lowestTierWith(feature string) (Tier, bool) {
	for _, e := range tiers {
		if slices.Contains(e.features, feature) {
			return e.tier, true
		}
	}
	return "", false
}

// Limits caps how many objects the platform may hold. Zero means unlimited.
type Limits struct {
	Teams          int `json:"teams"`
	Projects       int `json:"projects"`
	RunningServers int `json:"runningServers"`
	Users          int `json:"users"`
}

// The kinds of limit CheckLimit knows, as they appear in its messages.
const (
	LimitTeams          = "teams"
	LimitProjects       = "projects"
	LimitRunningServers = "running servers"
	LimitUsers          = "users"
)

// License is what a license key grants. A zero ExpiresAt never expires (only
// DevelopmentLicense has one: SignLicense requires an expiry).
type License struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Tier     Tier   `json:"tier"`
	Limits   Limits `json:"limits"`
	// Features are granted on top of those the tier includes.
	Features []string `json:"features,omitempty"`
	// ExcludedFeatures are features of the tier this license does not
	// grant, for contracts that leave one out (say, a base license without
	// preview deployments). A program too old to know this field refuses
	// the license rather than grant them.
	ExcludedFeatures []string  `json:"excludedFeatures,omitempty"`
	IssuedAt         time.Time `json:"issuedAt"`
	ExpiresAt        time.Time `json:"expiresAt"`
}

// DevelopmentLicense returns the license an Admin runs under when no license
// key is configured, so the quickstart works without one: tier development,
// customer "development", at most 3 teams, 5 projects, 3 running servers and
// 10 users, preview deployments included, no expiry. It returns a new value
// on every call.
func DevelopmentLicense() *License {
	return &License{
		ID:       "development",
		Customer: "development",
		Tier:     TierDevelopment,
		Limits:   Limits{Teams: 3, Projects: 5, RunningServers: 3, Users: 10},
	}
}

// clockSkew is how far in the future IssuedAt may be before Check refuses a
// license, to tolerate clocks that disagree a little.
const clockSkew = 5 * time.Minute

// Check reports whether the license is in force at now: a *LicenseError if
// it has expired or is not valid yet (issued more than 5 minutes after now).
func (l *License) Check(now time.Time) error {
	if l == nil {
		return &LicenseError{Reason: "no license"}
	}
	if !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt) {
		return &LicenseError{Reason: fmt.Sprintf("expired on %s (license %q for %q, tier %s); renew it, or remove it to run in development mode",
			l.ExpiresAt.UTC().Format(time.DateOnly), l.ID, l.Customer, l.Tier)}
	}
	if l.IssuedAt.After(now.Add(clockSkew)) {
		return &LicenseError{Reason: fmt.Sprintf("not valid before %s (license %q for %q); check this machine's clock",
			l.IssuedAt.UTC().Format(time.RFC3339), l.ID, l.Customer)}
	}
	return nil
}

// Allows reports whether the license includes feature, through its tier or
// its extra Features and not among its ExcludedFeatures: nil, or a
// *LicenseError naming the feature and why it is refused (excluded, or the
// lowest tier that includes it).
func (l *License) Allows(feature string) error {
	if l == nil {
		return &LicenseError{Reason: fmt.Sprintf("feature %q needs a license", feature)}
	}
	if slices.Contains(l.ExcludedFeatures, feature) {
		return &LicenseError{Reason: fmt.Sprintf("feature %q is excluded by this license (license %q for %q, tier %s)",
			feature, l.ID, l.Customer, l.Tier)}
	}
	if slices.Contains(l.Tier.Features(), feature) || slices.Contains(l.Features, feature) {
		return nil
	}
	if need, ok := lowestTierWith(feature); ok {
		return &LicenseError{Reason: fmt.Sprintf("feature %q needs tier %s or higher (this license: tier %s)", feature, need, l.Tier)}
	}
	return &LicenseError{Reason: fmt.Sprintf("feature %q is not included in this license (tier %s)", feature, l.Tier)}
}

// CheckLimit reports whether one more object of kind (LimitTeams,
// LimitProjects, LimitRunningServers or LimitUsers) may be created while
// current exist: call it before creating. It returns a *LicenseError such as
// "license: allows at most 3 teams (tier base); 3 in use" when current has
// reached the limit, and an error wrapping ErrInvalidArgument for an unknown
// kind.
func (l *License) CheckLimit(kind string, current int) error {
	if l == nil {
		return &LicenseError{Reason: "no license"}
	}
	var limit int
	switch kind {
	case LimitTeams:
		limit = l.Limits.Teams
	case LimitProjects:
		limit = l.Limits.Projects
	case LimitRunningServers:
		limit = l.Limits.RunningServers
	case LimitUsers:
		limit = l.Limits.Users
	default:
		return invalid("limit kind", "%q is unknown (want %q, %q, %q or %q)", kind,
			LimitTeams, LimitProjects, LimitRunningServers, LimitUsers)
	}
	if limit > 0 && current >= limit {
		return &LicenseError{Reason: fmt.Sprintf("allows at most %d %s (tier %s); %d in use", limit, kind, l.Tier, current)}
	}
	return nil
}

// validate checks what every signed license must satisfy.
func (l *License) validate() error {
	switch {
	case !l.Tier.Valid():
		return invalid("tier", "%q is unknown (want %s)", l.Tier, tierNames())
	case strings.TrimSpace(l.Customer) == "":
		return invalid("customer", "must not be empty")
	case l.IssuedAt.IsZero():
		return invalid("issuedAt", "must be set")
	case !l.ExpiresAt.After(l.IssuedAt):
		return invalid("expiresAt", "must be after issuedAt (%s)", l.IssuedAt.UTC().Format(time.RFC3339))
	case l.Limits.Teams < 0, l.Limits.Projects < 0, l.Limits.RunningServers < 0, l.Limits.Users < 0:
		return invalid("limits", "must not be negative (0 means unlimited), got %+v", l.Limits)
	}
	for _, f := range l.Features {
		if f == "" {
			return invalid("features", "must not contain an empty name")
		}
	}
	for _, f := range l.ExcludedFeatures {
		switch {
		case f == "":
			return invalid("excludedFeatures", "must not contain an empty name")
		case slices.Contains(l.Features, f):
			return invalid("excludedFeatures", "%q is also granted in features", f)
		}
	}
	return nil
}

func tierNames() string {
	names := make([]string, len(tiers))
	for i, e := range tiers {
		names[i] = string(e.tier)
	}
	return strings.Join(names, ", ")
}

// License key format: "mlic1." + base64url(payload) + "." + base64url(sig),
// base64 without padding, sig an Ed25519 signature over licenseDomain +
// payload. The domain prefix keeps a license signature from being valid for
// any other message signed with the same key, and the reverse.
const (
	licensePrefix    = "mlic1."
	licenseDomain    = "mastra-admin-license-v1\n"
	publicKeyPrefix  = "mlpk1."
	maxLicenseKeyLen = 16 << 10
)

// decodeB64 decodes unpadded base64url strictly, so that every key has
// exactly one text form: no padding, no other alphabet, no non-zero
// trailing bits, and none of the line breaks encoding/base64 skips.
func decodeB64(s string) ([]byte, error) {
	if i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}); i >= 0 {
		return nil, fmt.Errorf("unexpected %q at offset %d", s[i], i)
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// SignLicense validates l and returns it as a license key signed with priv.
// An empty ID gets a new one. Validation requires a known tier, a customer,
// an IssuedAt, an ExpiresAt after it, non-negative limits, known feature
// names, and excluded features that the tier includes and Features does not
// grant; failures wrap ErrInvalidArgument.
func SignLicense(priv ed25519.PrivateKey, l License) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", invalid("license private key", "must be %d bytes, got %d", ed25519.PrivateKeySize, len(priv))
	}
	l.IssuedAt, l.ExpiresAt = l.IssuedAt.UTC(), l.ExpiresAt.UTC()
	if l.ID == "" {
		l.ID = NewID("lic", l.IssuedAt)
	}
	if err := l.validate(); err != nil {
		return "", fmt.Errorf("sign license: %w", err)
	}
	for _, f := range l.Features {
		if _, ok := lowestTierWith(f); !ok {
			return "", fmt.Errorf("sign license: %w", invalid("features", "%q is unknown (want one of %s)", f,
				// The top tier includes every feature.
				strings.Join(tiers[len(tiers)-1].features, ", ")))
		}
	}
	for _, f := range l.ExcludedFeatures {
		if !slices.Contains(l.Tier.Features(), f) {
			return "", fmt.Errorf("sign license: %w", invalid("excludedFeatures", "%q is not a feature of tier %s (it includes %s)",
				f, l.Tier, strings.Join(l.Tier.Features(), ", ")))
		}
	}
	payload, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("sign license: %w", err)
	}
	sig := ed25519.Sign(priv, append([]byte(licenseDomain), payload...))
	return licensePrefix + base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// ParseLicense verifies key against pub and returns the license it grants.
// Surrounding white space is ignored. Every failure is a *LicenseError saying
// why: a malformed key, a signature that does not verify, or a payload that
// is not a valid license (unknown fields or tier included). ParseLicense
// does not look at the clock: call Check.
//
// Feature names the program does not know are kept, so a license issued for
// a newer version still parses; this version never asks for them.
func ParseLicense(key string, pub ed25519.PublicKey) (*License, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, &LicenseError{Reason: fmt.Sprintf("public key must be %d bytes, got %d", ed25519.PublicKeySize, len(pub))}
	}
	key = strings.TrimSpace(key)
	malformed := func(why string) error {
		return &LicenseError{Reason: "malformed license key: " + why}
	}
	switch {
	case key == "":
		return nil, malformed("empty")
	case len(key) > maxLicenseKeyLen:
		return nil, malformed(fmt.Sprintf("%d bytes is longer than any license (at most %d)", len(key), maxLicenseKeyLen))
	case !strings.HasPrefix(key, licensePrefix):
		return nil, malformed(fmt.Sprintf("must start with %q", licensePrefix))
	}
	parts := strings.Split(strings.TrimPrefix(key, licensePrefix), ".")
	if len(parts) != 2 {
		return nil, malformed(fmt.Sprintf("want %q followed by 2 dot-separated parts, got %d", licensePrefix, len(parts)))
	}
	payload, err := decodeB64(parts[0])
	if err != nil {
		return nil, malformed("payload is not unpadded base64url: " + err.Error())
	}
	sig, err := decodeB64(parts[1])
	if err != nil {
		return nil, malformed("signature is not unpadded base64url: " + err.Error())
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, append([]byte(licenseDomain), payload...), sig) {
		return nil, &LicenseError{Reason: "signature does not verify: tampered or signed with another key"}
	}
	// Signed by the issuer from here on; still checked, so that a bad
	// issuing tool cannot produce a license this program misreads.
	var l License
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, &LicenseError{Reason: "invalid license payload: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &LicenseError{Reason: "invalid license payload: data after the JSON object"}
	}
	if err := l.validate(); err != nil {
		return nil, &LicenseError{Reason: "invalid license payload: " + err.Error()}
	}
	return &l, nil
}

// GenerateLicenseKeyPair returns a new Ed25519 key pair for signing licenses.
func GenerateLicenseKeyPair() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate license key pair: %w", err)
	}
	return pub, priv, nil
}

// FormatLicensePublicKey returns the text form of a license public key,
// "mlpk1." followed by the key in unpadded base64url, for environment
// variables and configuration files.
func FormatLicensePublicKey(pub ed25519.PublicKey) string {
	return publicKeyPrefix + base64.RawURLEncoding.EncodeToString(pub)
}

// ParseLicensePublicKey parses the text form written by
// FormatLicensePublicKey. Surrounding white space is ignored. Errors wrap
// ErrInvalidArgument.
func ParseLicensePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, publicKeyPrefix) {
		return nil, invalid("license public key", "must start with %q", publicKeyPrefix)
	}
	b, err := decodeB64(strings.TrimPrefix(s, publicKeyPrefix))
	if err != nil {
		return nil, invalid("license public key", "is not unpadded base64url after %q", publicKeyPrefix)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, invalid("license public key", "must be %d bytes, got %d", ed25519.PublicKeySize, len(b))
	}
	return ed25519.PublicKey(b), nil
}
