// Unit tests of the rollout reading and of names; no cluster.

package kubernetes

import (
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestRolloutStatus(t *testing.T) {
	two := int32(2)
	dep := func(gen, observed int64, st appsv1.DeploymentStatus) *appsv1.Deployment {
		st.ObservedGeneration = observed
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "n", Generation: gen},
			Spec: appsv1.DeploymentSpec{Replicas: &two}, Status: st}
	}
	for _, tc := range []struct {
		name string
		d    *appsv1.Deployment
		msg  string
		done bool
		err  string
	}{
		{"not observed", dep(3, 2, appsv1.DeploymentStatus{}), "spec update to be observed", false, ""},
		{"updating", dep(2, 2, appsv1.DeploymentStatus{UpdatedReplicas: 1, Replicas: 3}), "1 of 2 new replicas updated", false, ""},
		{"old pending", dep(2, 2, appsv1.DeploymentStatus{UpdatedReplicas: 2, Replicas: 3}), "1 old replicas pending termination", false, ""},
		{"unavailable", dep(2, 2, appsv1.DeploymentStatus{UpdatedReplicas: 2, Replicas: 2, AvailableReplicas: 1}), "1 of 2 updated replicas available", false, ""},
		{"done", dep(2, 2, appsv1.DeploymentStatus{UpdatedReplicas: 2, Replicas: 2, AvailableReplicas: 2}), "", true, ""},
		{"deadline", dep(2, 2, appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing,
			Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "d-1" has timed out progressing.`}}}), "", false, "ProgressDeadlineExceeded"},
	} {
		msg, done, err := rolloutStatus(tc.d)
		if !strings.Contains(msg, tc.msg) || done != tc.done {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, msg, done, tc.msg, tc.done)
		}
		var re *RolloutError
		if tc.err == "" && err != nil || tc.err != "" && (!errors.As(err, &re) || re.Reason != tc.err) {
			t.Errorf("%s: error %v, want reason %q", tc.name, err, tc.err)
		}
	}
}

func TestDNSName(t *testing.T) {
	seen := map[string]string{}
	for _, s := range []string{"d_01JXYZ", "D_01jxyz", "abc", "a--b", strings.Repeat("x", 100), strings.Repeat("x", 101), "___", "é"} {
		got := dnsName(s, 40)
		if len(got) > 40 || len(validation.IsDNS1123Label(got)) > 0 {
			t.Errorf("dnsName(%q) = %q: not a DNS label of at most 40", s, got)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("dnsName(%q) = dnsName(%q) = %q", s, prev, got)
		}
		seen[got] = s
	}
	if got := dnsName("abc", 40); got != "abc" {
		t.Errorf("dnsName(abc) = %q", got)
	}
}
