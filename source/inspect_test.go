package source_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestInspect(t *testing.T) {
	fsys := fstest.MapFS{
		"package.json":         file(`{"name": "@acme/agent", "packageManager": "pnpm@9.0.0", "dependencies": {"@mastra/core": "^1.71.0"}, "devDependencies": {"@mastra/core": "0.1.0"}}`),
		"src/mastra/index.ts":  file("x"),
		"src/mastra/index.mjs": file("x"),
		"yarn.lock":            file(""),
	}
	m, err := source.Inspect(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := source.Manifest{Name: "@acme/agent", CoreRange: "^1.71.0", PackageManager: "pnpm", Entry: "src/mastra/index.ts"}
	if *m != want {
		t.Errorf("Inspect = %+v, want %+v", *m, want)
	}
}

func TestInspectErrors(t *testing.T) {
	entry := file("x")
	for _, c := range []struct {
		name      string
		fsys      fstest.MapFS
		reason    string
		malformed bool
	}{
		{"empty", fstest.MapFS{}, "no package.json", false},
		{"no core", fstest.MapFS{"package.json": file(`{"dependencies": {"@mastra/cor": "1"}}`), "src/mastra/index.ts": entry},
			"package.json does not depend on @mastra/core", false},
		{"core in peerDependencies only", fstest.MapFS{"package.json": file(`{"peerDependencies": {"@mastra/core": "1"}}`), "src/mastra/index.ts": entry},
			"package.json does not depend on @mastra/core", false},
		{"no entry", fstest.MapFS{"package.json": file(`{"dependencies": {"@mastra/core": "1"}}`), "src/mastra/index.cjs": entry},
			"no src/mastra/index.ts|js|mjs", false},
		{"syntax", fstest.MapFS{"package.json": file(`{`), "src/mastra/index.ts": entry}, "package.json is not valid", true},
		{"wrong type", fstest.MapFS{"package.json": file(`{"name": 7}`), "src/mastra/index.ts": entry}, "package.json is not valid", true},
		{"too large", fstest.MapFS{"package.json": file(strings.Repeat(" ", source.MaxPackageJSONSize+1) + "{}")}, "package.json is larger than", true},
		{"directory", fstest.MapFS{"package.json/x": entry}, "package.json is not a regular file", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := source.Inspect(c.fsys)
			npe, ok := errors.AsType[*source.NotProjectError](err)
			if !ok || m != nil {
				t.Fatalf("Inspect = %+v, %v; want a *NotProjectError", m, err)
			}
			if !strings.HasPrefix(npe.Reason, c.reason) {
				t.Errorf("reason %q, want %q", npe.Reason, c.reason)
			}
			if !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("%v does not wrap admin.ErrInvalidArgument", err)
			}
			if (npe.Err != nil) != c.malformed {
				t.Errorf("Err = %v; want a cause: %v", npe.Err, c.malformed)
			}
		})
	}
	_, err := source.Inspect(fstest.MapFS{"package.json": file(`{`)})
	if _, ok := errors.AsType[*json.SyntaxError](err); !ok {
		t.Errorf("%v does not expose the JSON syntax error", err)
	}
}

func ExampleInspect() {
	project := fstest.MapFS{
		"package.json":        {Data: []byte(`{"name": "support-agent", "dependencies": {"@mastra/core": "^1.71.0"}}`)},
		"bun.lock":            {Data: []byte("{}")},
		"src/mastra/index.ts": {Data: []byte("export const mastra = new Mastra({});")},
	}
	m, err := source.Inspect(project)
	fmt.Println(m.Name, m.CoreRange, m.PackageManager, m.Entry, err)

	_, err = source.Inspect(fstest.MapFS{"package.json": {Data: []byte(`{"name": "website"}`)}})
	fmt.Println(err)
	// Output:
	// support-agent ^1.71.0 bun src/mastra/index.ts <nil>
	// not a Mastra project: package.json does not depend on @mastra/core
}
