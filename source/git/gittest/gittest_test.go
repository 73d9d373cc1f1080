package gittest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/source/git/gittest"
)

// TestLFSAPI speaks the server's LFS API as git-lfs does: an upload
// batch, the PUT it points to (a body that does not match its oid is
// refused), then a download batch and the GET it points to; nothing
// without the Basic auth.
func TestLFSAPI(t *testing.T) {
	srv := gittest.NewServer(t, "s3cret")
	srv.NewRepo(t, "weights")
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(gittest.Username+":s3cret"))
	data := []byte("uploaded weights")
	sum := sha256.Sum256(data)
	oid := hex.EncodeToString(sum[:])
	do := func(method, url, auth string, body []byte) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", "application/vnd.git-lfs+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	batch := func(op string) string {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"operation": op, "transfers": []string{"basic"},
			"objects": []map[string]any{{"oid": oid, "size": len(data)}}})
		code, out := do("POST", srv.URL+"/weights.git/info/lfs/objects/batch", auth, body)
		var res struct {
			Objects []struct {
				Actions map[string]struct{ Href string }
			}
		}
		if code != http.StatusOK || json.Unmarshal(out, &res) != nil || len(res.Objects) != 1 {
			t.Fatalf("%s batch: %d %s", op, code, out)
		}
		return res.Objects[0].Actions[op].Href
	}
	if code, _ := do("POST", srv.URL+"/weights.git/info/lfs/objects/batch", "", []byte(`{"operation":"download","objects":[]}`)); code != http.StatusUnauthorized {
		t.Errorf("a batch without auth: %d, want 401", code)
	}
	href := batch("upload")
	if code, _ := do("PUT", href, auth, []byte("something else")); code != http.StatusUnprocessableEntity {
		t.Errorf("an upload that does not match its oid: %d, want 422", code)
	}
	if code, out := do("PUT", href, auth, data); code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, out)
	}
	if got, ok := srv.LFSObject(oid); !ok || !bytes.Equal(got, data) {
		t.Fatalf("the server holds %q after the upload", got)
	}
	if href := batch("download"); !strings.HasSuffix(href, oid) {
		t.Fatalf("download href %q", href)
	} else if code, out := do("GET", href, auth, nil); code != http.StatusOK || !bytes.Equal(out, data) {
		t.Errorf("download: %d %q", code, out)
	}
}
