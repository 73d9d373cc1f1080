package s3_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/mastra-admin/mastra-admin-go/filestore/s3"
)

func ExampleNew() {
	// An in-process S3 server stands in for AWS; with real S3, build the
	// client from config.LoadDefaultConfig instead.
	server := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer server.Close()
	client := awss3.New(awss3.Options{
		BaseEndpoint: aws.String(server.URL),
		UsePathStyle: true,
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("key", "secret", ""),
	})
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("mastra")}); err != nil {
		fmt.Println(err)
		return
	}

	store, err := s3.New(client, "mastra", &s3.Options{Prefix: "admin"})
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

	// The object's key carries the prefix.
	_, err = client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("mastra"), Key: aws.String("admin/builds/b1/build.log")})
	fmt.Println("stored under admin/:", err == nil)
	// Output:
	// builds/b1/build.log 20
	// installing
	// building
	// stored under admin/: true
}
