package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("B")},
		"m/0001_init.sql": {Data: []byte("A")},
		"m/README.md":     {Data: []byte("not a migration")},
	}
	files, err := Load(fsys, "m", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0] != (File{1, "0001_init", "A"}) || files[1] != (File{2, "0002_more", "B"}) {
		t.Fatalf("Load = %+v", files)
	}
	for _, tc := range []struct {
		name       string
		files      fstest.MapFS
		contiguous bool
		want       string
	}{
		{"no number", fstest.MapFS{"m/init.sql": {}}, false, "must start with a positive number"},
		{"zero", fstest.MapFS{"m/0000_init.sql": {}}, false, "must start with a positive number"},
		{"shared version", fstest.MapFS{"m/0001_a.sql": {}, "m/01_b.sql": {}}, false, "share version 1"},
		{"gap", fstest.MapFS{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, true, "want version 2"},
	} {
		if _, err := Load(tc.files, "m", tc.contiguous); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Load = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if files, err := Load(fstest.MapFS{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, "m", false); err != nil || len(files) != 2 {
		t.Errorf("gaps allowed: %+v, %v", files, err)
	}
}
