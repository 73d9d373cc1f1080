package testenv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

func TestFigure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "figures")
	t.Setenv(testenv.EnvFigures, path)
	testenv.Figure(t, "%d kills, %s", 3, "0 lost")
	testenv.Figure(t, "second line")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "TestFigure: 3 kills, 0 lost\nTestFigure: second line\n"
	if string(b) != want {
		t.Fatalf("figures file:\n%s\nwant:\n%s", b, want)
	}
	t.Setenv(testenv.EnvFigures, "")
	testenv.Figure(t, "not recorded")
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "not recorded") {
		t.Fatal("a figure was recorded without the variable set")
	}
}
