// Package migrations reads the numbered schema migrations the project's
// stores embed (storage/sqlite, storage/postgres, observability/sqlite,
// observability/clickhouse): one file per change, named NNNN_name.sql,
// applied in version order. Each store applies them its own way.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// File is one migration.
type File struct {
	// Version is the number the file name starts with.
	Version int64
	// Name is the file name without ".sql", e.g. "0001_init".
	Name string
	Body string
}

// Load reads the *.sql files of dir in fsys in version order. Every name
// must start with a positive number and '_', and no two may share a
// version; with contiguous set, the versions must run 1, 2, 3, … without
// gaps.
func Load(fsys fs.FS, dir string, contiguous bool) ([]File, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var files []File
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s.sql: its name must start with a positive number and '_'", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Version: version, Name: base, Body: string(body)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Version < files[j].Version })
	for i, f := range files {
		if i > 0 && f.Version == files[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", files[i-1].Name, f.Name, f.Version)
		}
		if contiguous && f.Version != int64(i+1) {
			return nil, fmt.Errorf("migration %s: want version %d (versions run 1, 2, 3, ... without gaps)", f.Name, i+1)
		}
	}
	return files, nil
}
