package admin

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// slugRule is the documented slug rule, written out without the regexp:
// 1-63 bytes of a-z, 0-9 and '-', starting and ending with a letter or
// digit, no "--".
func slugRule(s string) bool {
	if s == "" || len(s) > MaxSlugLength || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// wantValidation fails unless err is a *ValidationError naming field and
// wrapping ErrInvalidArgument.
func wantValidation(t *testing.T, err error, field string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != field || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("err = %#v, want a *ValidationError for %q wrapping ErrInvalidArgument", err, field)
	}
}

// FuzzValidateSlug: ValidateSlug accepts exactly the strings of the
// documented rule, and refuses the rest with a ValidationError naming the
// field.
func FuzzValidateSlug(f *testing.F) {
	for _, s := range []string{"a", "my-team", "a--b", "-a", "a-", "A", strings.Repeat("a", 63), strings.Repeat("a", 64), "é", "a\x00", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateSlug("slug", s)
		if ok := slugRule(s); ok != (err == nil) {
			t.Fatalf("ValidateSlug(%q) = %v, but the documented rule says valid=%v", s, err, ok)
		}
		if err != nil {
			wantValidation(t, err, "slug")
		}
	})
}

// FuzzSlugify: a slug derived from any name follows the slug rule and is
// short enough that every "-N" suffix createWithSlug tries still does;
// createWithSlug never asks to store anything else, with or without a
// requested slug.
func FuzzSlugify(f *testing.F) {
	for _, s := range []string{"My Team", "", "---", "Ünïcödé Çafé", "İstanbul", "a/b/c", strings.Repeat("ab ", 40), "ＡＢＣ", "\u212a", "x\x00y", "\xff\xfe"} {
		f.Add(s, "", uint8(0))
	}
	f.Add("Team", "my-team", uint8(3))
	f.Add("Team", "Bad--Slug", uint8(0))
	f.Fuzz(func(t *testing.T, name, requested string, taken uint8) {
		s := Slugify(name, "team")
		if !slugRule(s) || len(s) > maxGeneratedSlug {
			t.Fatalf("Slugify(%q) = %q, not a slug of at most %d bytes", name, s, maxGeneratedSlug)
		}
		n := 0
		err := createWithSlug(requested, name, "team", func(slug string) error {
			if !slugRule(slug) {
				t.Fatalf("createWithSlug(%q, %q) tried to store slug %q", requested, name, slug)
			}
			if n < int(taken)%60 {
				n++
				return fmt.Errorf("taken: %w", ErrAlreadyExists)
			}
			return nil
		})
		switch {
		case err == nil:
		case requested != "" && ValidateSlug("slug", requested) != nil:
			wantValidation(t, err, "slug")
		case !errors.Is(err, ErrAlreadyExists):
			t.Fatalf("createWithSlug(%q, %q): %v", requested, name, err)
		}
	})
}

// FuzzValidateName: an accepted name comes back trimmed, valid UTF-8, 1-100
// characters and without control characters; a refused one is a
// ValidationError naming the field.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"Team", "  padded  ", "", " ", "tab\there", "\xff", strings.Repeat("é", 100), strings.Repeat("é", 101), "\u2028", "a\u0085b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := validateName("name", s)
		if err != nil {
			wantValidation(t, err, "name")
			if got != "" {
				t.Fatalf("refused %q but returned %q", s, got)
			}
			return
		}
		n := utf8.RuneCountInString(got)
		if got != strings.TrimSpace(got) || !utf8.ValidString(got) || n < 1 || n > MaxNameLength ||
			strings.IndexFunc(got, unicode.IsControl) >= 0 || got != strings.TrimSpace(s) {
			t.Fatalf("validateName(%q) accepted %q", s, got)
		}
	})
}

// FuzzValidateInput covers the other validators of user input: e-mail,
// branch, env var name and value. Each refuses with a ValidationError naming
// its field, and what it accepts keeps its documented shape.
func FuzzValidateInput(f *testing.F) {
	for _, s := range []string{"a@example.com", "A@Example.COM ", "Name <a@b.c>", "main", "feature/x", "a..b", "-x", "x.lock", "/x", "PATH", "1A", "a\x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, err := validateEmail(s); err != nil {
			wantValidation(t, err, "email")
		} else if e == "" || e != strings.ToLower(e) || len(e) > MaxEmailLength || !strings.Contains(e, "@") || strings.ContainsAny(e, " <>\x00") {
			t.Fatalf("validateEmail(%q) accepted %q", s, e)
		}
		if err := validateBranch(s); err != nil {
			wantValidation(t, err, "branch")
		} else if len(s) > MaxBranchLength || strings.Contains(s, "..") || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "/") ||
			strings.ContainsAny(s, " \x00~^:?*[\\") {
			t.Fatalf("validateBranch accepted %q", s)
		}
		if err := ValidateEnvVarName(s); err != nil {
			wantValidation(t, err, "name")
		} else if s == "" || s[0] >= '0' && s[0] <= '9' || strings.ContainsAny(s, "= \x00") {
			t.Fatalf("ValidateEnvVarName accepted %q", s)
		}
		if err := validateEnvVarValue("X", s); err != nil {
			wantValidation(t, err, "value")
		} else if strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("validateEnvVarValue accepted %q", s)
		}
	})
}

// FuzzCheckBuildID: an accepted build id is one path segment that stays one
// segment under path.Join, so BuildLogPath and build folders cannot leave
// their parent; refusals name buildId.
func FuzzCheckBuildID(f *testing.F) {
	for _, s := range []string{"b_01J", ".", "..", "...", "a/b", "a\\b", "", strings.Repeat("a", MaxIDLength+1), "a\x00", ".hidden"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if err := CheckBuildID(id); err != nil {
			wantValidation(t, err, "buildId")
			return
		}
		if j := path.Join("builds", id); path.Dir(j) != "builds" || path.Base(j) != id {
			t.Fatalf("accepted build id %q leaves its folder: %q", id, j)
		}
	})
}

// FuzzCheckFilePath: an accepted key is relative, clean and has no "."
// or ".." segment, so joining it under any root stays there; refusals name
// path. (filestore/local fuzzes the real store with these keys.)
func FuzzCheckFilePath(f *testing.F) {
	for _, s := range []string{"a/b.txt", "../x", "a/../b", "/etc/passwd", "a//b", "a/./b", "a\\b", "a\x00b", "a/", strings.Repeat("a/", 600), "\xff", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := CheckFilePath(p)
		if err != nil {
			wantValidation(t, err, "path")
		} else if path.Clean(p) != p || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") ||
			!strings.HasPrefix(path.Join("root", p), "root/") || strings.ContainsAny(p, "\x00\\") || len(p) > 1024 {
			t.Fatalf("CheckFilePath accepted %q", p)
		}
		if perr := CheckFilePrefix(p); err == nil && perr != nil {
			t.Fatalf("CheckFilePrefix refused the valid path %q: %v", p, perr)
		} else if perr != nil {
			wantValidation(t, perr, "path")
		}
	})
}

// TestSlugifyLength: found by FuzzSlugify, a '-' written at 29 bytes let a
// generated slug reach 31 bytes, one more than the room left for the
// "{deployment}--{project}" host label.
func TestSlugifyLength(t *testing.T) {
	for _, name := range []string{strings.Repeat("ab ", 40), strings.Repeat("a", 29) + " bcd", strings.Repeat("a", 28) + " bcd"} {
		if s := Slugify(name, "team"); len(s) > maxGeneratedSlug || !slugRule(s) {
			t.Errorf("Slugify(%q) = %q (%d bytes), want a slug of at most %d", name, s, len(s), maxGeneratedSlug)
		}
	}
	if got, want := Slugify(strings.Repeat("a", 28)+" bcd", "team"), strings.Repeat("a", 28)+"-b"; got != want {
		t.Errorf("Slugify = %q, want %q", got, want)
	}
}
