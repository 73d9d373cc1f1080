package admin

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on user input.
const (
	MaxNameLength        = 100
	MaxSlugLength        = 63 // a DNS label
	MaxEmailLength       = 254
	MaxEnvVarNameLength  = 256
	MaxEnvVarValueLength = 64 << 10 // 64 KiB per value
	MaxEnvVars           = 500      // per project or deployment
	MaxBranchLength      = 255
	MaxSourceConfigKeys  = 32
	MaxSourceConfigValue = 4096
	// Slug lengths leave room for the "{deployment}--{project}" host label.
	maxGeneratedSlug = 30
)

var (
	slugRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	branchRE  = regexp.MustCompile(`^[A-Za-z0-9._/\-]+$`)
)

// ValidateSlug reports whether s is a valid slug: a lowercase DNS label
// (RFC 1123: 1-63 characters of a-z, 0-9 and '-', starting and ending with a
// letter or digit) that does not contain "--", which separates the deployment
// from the project in host names.
func ValidateSlug(field, s string) error {
	switch {
	case s == "":
		return invalid(field, "must not be empty")
	case len(s) > MaxSlugLength:
		return invalid(field, "must be at most %d characters, got %d", MaxSlugLength, len(s))
	case !slugRE.MatchString(s):
		return invalid(field, "%q must be a lowercase DNS label (a-z, 0-9 and '-', starting and ending with a letter or digit)", s)
	case strings.Contains(s, "--"):
		return invalid(field, "%q must not contain \"--\" (it separates deployment and project in host names)", s)
	}
	return nil
}

// ValidateHostLabel reports whether a deployment's host label,
// "{deployment}--{project}", fits one DNS label (63 characters).
func ValidateHostLabel(deploymentSlug, projectSlug string) error {
	if n := len(deploymentSlug) + 2 + len(projectSlug); n > MaxSlugLength {
		return invalid("slug", "%q--%q makes a %d-character host label; at most %d fit in DNS", deploymentSlug, projectSlug, n, MaxSlugLength)
	}
	return nil
}

// Slugify derives a slug from a display name: lower case, runs of anything
// that is not a-z or 0-9 folded to one '-', trimmed to a short DNS label.
// Letters with diacritics lose them where they decompose simply; a name with
// nothing usable yields fallback.
func Slugify(name, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		r = foldRune(r)
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				if b.Len()+1 >= maxGeneratedSlug { // no room for '-' and a character
					break
				}
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= maxGeneratedSlug {
				break
			}
			continue
		}
		dash = true
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return fallback
	}
	return s
}

// foldRune maps common Latin letters with diacritics to their base letter.
func foldRune(r rune) rune {
	const from, to = "àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ", "aaaaaaceeeeiiiinoooooouuuuyy"
	if i := strings.IndexRune(from, r); i >= 0 {
		return []rune(to)[utf8.RuneCountInString(from[:i])]
	}
	return r
}

// validateName checks a display name: 1-100 characters after trimming, no
// control characters.
func validateName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid(field, "must not be empty")
	}
	if !utf8.ValidString(s) {
		return "", invalid(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return "", invalid(field, "must be at most %d characters, got %d", MaxNameLength, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", invalid(field, "must not contain control characters")
		}
	}
	return s, nil
}

// validateEmail checks and normalises an e-mail address (lower case).
func validateEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", invalid("email", "must not be empty")
	}
	if len(s) > MaxEmailLength {
		return "", invalid("email", "must be at most %d characters", MaxEmailLength)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", invalid("email", "%q is not an e-mail address", s)
	}
	return s, nil
}

// ValidateEnvVarName reports whether name is a valid environment variable
// name: a C identifier of at most 256 characters.
func ValidateEnvVarName(name string) error {
	if name == "" {
		return invalid("name", "env var name must not be empty")
	}
	if len(name) > MaxEnvVarNameLength {
		return invalid("name", "env var name must be at most %d characters", MaxEnvVarNameLength)
	}
	if !envNameRE.MatchString(name) {
		return invalid("name", "env var name %q must match [A-Za-z_][A-Za-z0-9_]*", name)
	}
	return nil
}

func validateEnvVarValue(name, value string) error {
	if len(value) > MaxEnvVarValueLength {
		return invalid("value", "env var %s is %d bytes; at most %d are allowed", name, len(value), MaxEnvVarValueLength)
	}
	if strings.IndexByte(value, 0) >= 0 {
		return invalid("value", "env var %s must not contain NUL bytes", name)
	}
	return nil
}

// validateBranch checks a git branch or ref name.
func validateBranch(s string) error {
	switch {
	case s == "":
		return invalid("branch", "must not be empty")
	case len(s) > MaxBranchLength:
		return invalid("branch", "must be at most %d characters", MaxBranchLength)
	case !branchRE.MatchString(s), strings.Contains(s, ".."), strings.HasPrefix(s, "-"),
		strings.HasPrefix(s, "/"), strings.HasSuffix(s, "/"), strings.HasSuffix(s, ".lock"):
		return invalid("branch", "%q is not a valid branch name", s)
	}
	return nil
}

// CheckFilePath validates a FileStorage key: a relative, slash-separated path
// with no empty, "." or ".." segments, no backslashes and no NUL bytes, at
// most 1024 bytes. Every FileStorage adapter calls it before touching its
// backend, so a key can never address anything outside the store.
func CheckFilePath(p string) error {
	switch {
	case p == "":
		return invalid("path", "must not be empty")
	case len(p) > 1024:
		return invalid("path", "must be at most 1024 bytes")
	case !utf8.ValidString(p):
		return invalid("path", "must be valid UTF-8")
	case strings.ContainsAny(p, "\x00\\"):
		return invalid("path", "%q must not contain NUL or backslash", p)
	case strings.HasPrefix(p, "/"):
		return invalid("path", "%q must be relative", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return invalid("path", "%q must not contain empty, \".\" or \"..\" segments", p)
		}
	}
	return nil
}

// CheckFilePrefix validates a FileStorage listing prefix: empty (everything),
// or a path as for CheckFilePath that may end in "/".
func CheckFilePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return CheckFilePath(strings.TrimSuffix(prefix, "/"))
}

// MaxIDLength bounds ids accepted from callers.
const MaxIDLength = 128

// CheckBuildID reports whether id can name a build in keys and paths: 1 to
// MaxIDLength bytes of ASCII letters, digits, '.', '_' and '-', other than
// "." and ".." (every id NewID makes qualifies). Anything else could escape
// the build's folder in BuildLogPath or collide with another key.
func CheckBuildID(id string) error {
	switch {
	case id == "":
		return invalid("buildId", "must not be empty")
	case len(id) > MaxIDLength:
		return invalid("buildId", "must be at most %d bytes, got %d", MaxIDLength, len(id))
	case id == "." || id == "..":
		return invalid("buildId", "%q is not a build id", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return invalid("buildId", "%q may hold only letters, digits, '.', '_' and '-'", id)
		}
	}
	return nil
}
