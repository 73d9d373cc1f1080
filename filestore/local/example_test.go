package local_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/filestore/local"
)

func ExampleNew() {
	dir, err := os.MkdirTemp("", "filestore-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	store, err := local.New(dir, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	ctx := context.Background()
	_ = store.Write(ctx, "builds/b1/build.log", strings.NewReader("installing\nbuilding\n"))
	_ = store.Write(ctx, "builds/b2/build.log", strings.NewReader("installing\n"))
	_ = store.Move(ctx, "builds/b2/build.log", "archive/b2/build.log")

	files, _ := store.List(ctx, "builds/")
	for _, f := range files {
		fmt.Println(f.Path, f.Size)
	}
	rc, err := store.Read(ctx, "builds/b1/build.log")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rc.Close()
	log, _ := io.ReadAll(rc)
	fmt.Print(string(log))

	err = store.Write(ctx, "../etc/passwd", strings.NewReader("x"))
	fmt.Println(err)
	// Output:
	// builds/b1/build.log 20
	// installing
	// building
	// local: write "../etc/passwd": invalid path: "../etc/passwd" must not contain empty, "." or ".." segments
}
