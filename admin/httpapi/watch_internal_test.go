package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// TestEncodedLinesOnce: followers of a build share one encoding per line,
// and a different line under the same sequence number (a log cleared and
// written again, a drop marker) is encoded anew.
func TestEncodedLinesOnce(t *testing.T) {
	var e encodedLines
	encodes := 0
	msg := func(l admin.LogLine) string {
		t.Helper()
		data, err := e.message(&l, func() ([]byte, error) {
			encodes++
			return json.Marshal(StreamMessage{Type: MessageLog, LogLine: &l})
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	now := time.Now()
	first := admin.LogLine{Seq: 7, Time: now, Phase: "build", Text: "compiling"}
	a := msg(first)
	for range 999 {
		if b := msg(first); b != a {
			t.Fatalf("cached message %s, want %s", b, a)
		}
	}
	if encodes != 1 {
		t.Errorf("1000 followers of one line: %d encodings, want 1", encodes)
	}
	for _, other := range []admin.LogLine{
		{Seq: 7, Time: now, Phase: "build", Text: "another text"},
		{Seq: 7, Time: now, Phase: "build", Text: "compiling", Dropped: 3},
		{Seq: 7 + encodedRing, Time: now, Phase: "build", Text: "compiling"},
	} {
		before := encodes
		var got StreamMessage
		if err := json.Unmarshal([]byte(msg(other)), &got); err != nil {
			t.Fatal(err)
		}
		if encodes != before+1 || got.Seq != other.Seq || got.Text != other.Text || got.Dropped != other.Dropped {
			t.Errorf("line %+v: message %+v from %d encodings; want its own", other, got.LogLine, encodes-before)
		}
	}
}

// TestBuildStateEncodedOnce: the streams sending a polled state's status
// or end message share one encoding of each, which carries the state.
func TestBuildStateEncodedOnce(t *testing.T) {
	st := &buildState{build: &admin.Build{ID: "bld_1", DeploymentID: "dep_1", Status: admin.BuildSucceeded},
		dep: &admin.Deployment{ID: "dep_1"}}
	for _, typ := range []string{MessageStatus, MessageEnd} {
		first, err := st.encoded(typ)
		if err != nil {
			t.Fatal(err)
		}
		for range 999 {
			if again, _ := st.encoded(typ); &again[0] != &first[0] {
				t.Fatalf("%s message encoded again", typ)
			}
		}
		var m StreamMessage
		if err := json.Unmarshal(first, &m); err != nil || m.Type != typ || m.Build.ID != "bld_1" || m.Deployment.ID != "dep_1" {
			t.Errorf("%s message %s: %v", typ, first, err)
		}
	}
}
