package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenPrefix starts every API token secret, so secret scanners can find
// leaked tokens.
const TokenPrefix = "mat_"

// MaxTokenLifetime bounds how long an API token may live.
const MaxTokenLifetime = 2 * 365 * 24 * time.Hour

// NewToken is the input of CreateToken.
type NewToken struct {
	Name string `json:"name"`
	// TeamID limits the token to the user's rights in one team (for a
	// platform admin, owner rights there and nothing platform-wide); empty
	// gives the token all of the user's access.
	TeamID string `json:"teamId,omitempty"`
	// TTL is how long the token lives; 0 means 90 days.
	TTL time.Duration `json:"ttl,omitempty"`
}

// CreateToken creates an API token for the acting user. The secret is
// returned once and only its SHA-256 hash is stored.
func (a *Admin) CreateToken(ctx context.Context, in NewToken) (tok *APIToken, secret string, err error) {
	o := a.begin("token.create", "token", "", in.TeamID)
	defer func() { o.end(ctx, err) }()
	ac, err := a.whoami(ctx)
	if err != nil {
		return nil, "", err
	}
	if ac.user == nil {
		return nil, "", invalid("principal", "tokens belong to users, not to the system principal")
	}
	if ac.TeamID != "" && in.TeamID != ac.TeamID {
		return nil, "", fmt.Errorf("a team-scoped token may only create tokens for team %s: %w", ac.TeamID, ErrForbidden)
	}
	name, err := validateName("name", in.Name)
	if err != nil {
		return nil, "", err
	}
	switch {
	case in.TTL == 0:
		in.TTL = 90 * 24 * time.Hour
	case in.TTL < time.Minute || in.TTL > MaxTokenLifetime:
		return nil, "", invalid("ttl", "must be between 1 minute and %v", MaxTokenLifetime)
	}
	if in.TeamID != "" {
		if _, _, err := a.authorize(ctx, in.TeamID, PermTeamRead); err != nil {
			return nil, "", err
		}
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	secret = TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	now := a.clock()
	exp := now.Add(in.TTL)
	tok = &APIToken{ID: NewID(prefixToken, now), UserID: ac.UserID, TeamID: in.TeamID, Name: name,
		Hash: hashToken(secret), Prefix: secret[:len(TokenPrefix)+6], ExpiresAt: &exp, CreatedAt: now, Version: 1}
	o.ev.TargetID = tok.ID
	if err := a.store.CreateToken(ctx, tok); err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// errBadToken is the one answer to every unusable token, so that callers
// cannot tell unknown, expired and revoked tokens apart.
var errBadToken = fmt.Errorf("invalid, expired or revoked API token: %w", ErrUnauthenticated)

// AuthenticateToken returns the principal of an API token secret. Unknown,
// malformed, expired and revoked tokens all give the same ErrUnauthenticated.
func (a *Admin) AuthenticateToken(ctx context.Context, secret string) (Principal, error) {
	if err := a.checkOpen(); err != nil {
		return Principal{}, err
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Principal{}, errBadToken
	}
	hash := hashToken(secret)
	tok, err := a.store.GetTokenByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Principal{}, errBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	now := a.clock()
	if subtle.ConstantTimeCompare([]byte(tok.Hash), []byte(hash)) != 1 ||
		tok.RevokedAt != nil || (tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt)) {
		return Principal{}, errBadToken
	}
	// Record use at most once a minute per token, best effort.
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > time.Minute {
		tok.LastUsedAt = &now
		if err := a.store.UpdateToken(ctx, tok); err != nil && !errors.Is(err, ErrConflict) {
			a.logger.WarnContext(ctx, "record token use", "token", tok.ID, "err", err)
		}
	}
	return Principal{UserID: tok.UserID, TeamID: tok.TeamID}, nil
}

// ListTokens lists the acting user's tokens (hashes never leave the Admin);
// the system principal, no user, has none.
func (a *Admin) ListTokens(ctx context.Context, page Page) (List[*APIToken], error) {
	ac, err := a.whoami(ctx)
	if err != nil {
		return List[*APIToken]{}, err
	}
	if ac.UserID == "" { // the store would list every user's
		return List[*APIToken]{Items: []*APIToken{}}, nil
	}
	return paginate(page, func(p Page) ([]*APIToken, error) { return a.store.ListTokens(ctx, ac.UserID, p) },
		func(t *APIToken) string { return t.ID })
}

// RevokeToken revokes a token of the acting user (platform admins: anyone's).
// Revoking twice is not an error.
func (a *Admin) RevokeToken(ctx context.Context, id string) (err error) {
	o := a.begin("token.revoke", "token", id, "")
	defer func() { o.end(ctx, err) }()
	ac, err := a.whoami(ctx)
	if err != nil {
		return err
	}
	return retryConflict(ctx, func() error {
		tok, err := a.store.GetToken(ctx, id)
		if err != nil {
			return err
		}
		if tok.UserID != ac.UserID && !ac.platformAdmin() {
			return fmt.Errorf("token %s belongs to another user: %w", id, ErrForbidden)
		}
		if tok.RevokedAt != nil {
			return nil
		}
		now := a.clock()
		tok.RevokedAt = &now
		return a.store.UpdateToken(ctx, tok)
	})
}
