package gcs_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"

	"github.com/mastra-admin/mastra-admin-go/filestore/gcs"
)

func ExampleNew() {
	// An in-process GCS server stands in for Google; with real GCS, use
	// storage.NewClient(ctx) with the default credentials instead.
	server := httptest.NewUnstartedServer(nil)
	host := server.Listener.Addr().String()
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		NoListener: true, Scheme: "http", ExternalURL: "http://" + host, PublicHost: host,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	server.Config.Handler = fake.HTTPHandler()
	server.Start()
	defer server.Close()

	ctx := context.Background()
	client, err := storage.NewClient(ctx, option.WithEndpoint(server.URL+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	if err := client.Bucket("mastra").Create(ctx, "my-project", nil); err != nil {
		fmt.Println(err)
		return
	}

	store, err := gcs.New(client, "mastra", &gcs.Options{Prefix: "admin"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	_ = store.Write(ctx, "builds/b1/build.log", strings.NewReader("installing\nbuilding\n"))
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

	// The object's name carries the prefix.
	_, err = client.Bucket("mastra").Object("admin/builds/b1/build.log").Attrs(ctx)
	fmt.Println("stored under admin/:", err == nil)
	// Output:
	// builds/b1/build.log 20
	// installing
	// building
	// stored under admin/: true
}
