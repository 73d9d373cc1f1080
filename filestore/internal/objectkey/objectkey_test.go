package objectkey

import (
	"errors"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func TestNewSpace(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a", "a/"},
		{"a/", "a/"},
		{"a/b", "a/b/"},
		{"a/b/", "a/b/"},
	} {
		s, err := NewSpace(tc.in)
		if err != nil || s.Prefix() != tc.want {
			t.Errorf("NewSpace(%q) = %q, %v; want %q", tc.in, s.Prefix(), err, tc.want)
		}
	}
	for _, bad := range []string{"/", "/a", "../a", "a//b", "a/./b", "a\\b", "a//", "\x00"} {
		if _, err := NewSpace(bad); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("NewSpace(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestSpace(t *testing.T) {
	s, _ := NewSpace("team/a")
	if k, err := s.Key("x/y"); err != nil || k != "team/a/x/y" {
		t.Errorf("Key = %q, %v", k, err)
	}
	if _, err := s.Key("../b/x"); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("Key(../b/x) = %v, want ErrInvalidArgument", err)
	}
	if p, err := s.ListPrefix(""); err != nil || p != "team/a/" {
		t.Errorf("ListPrefix(\"\") = %q, %v", p, err)
	}
	if p, err := s.ListPrefix("bu"); err != nil || p != "team/a/bu" {
		t.Errorf("ListPrefix(bu) = %q, %v", p, err)
	}
	for key, want := range map[string]string{
		"team/a/x":      "x",
		"team/a/x/y":    "x/y",
		"team/ab/x":     "", // another store's
		"team/a/":       "", // the folder marker itself
		"team/a/dir/":   "", // a folder marker
		"team/a//x":     "", // an empty segment
		"team/a/../x":   "",
		"other/team/a/": "",
	} {
		p, ok := s.Path(key)
		if p != want || ok != (want != "") {
			t.Errorf("Path(%q) = %q, %v; want %q", key, p, ok, want)
		}
	}
}
