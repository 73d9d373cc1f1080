package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

var contextTests = []test{
	{"CanceledContextIsNotMisreported", func(t *testing.T, f *fixture) {
		// A store may finish an operation whose context is already
		// canceled, or refuse it; it must not report the cancellation as
		// something else: a missing user is not the same as an unanswered
		// question.
		u := f.addUser()
		_, _, d := f.addChain()
		f.addBuild(d, admin.BuildQueued)
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		fresh := f.newUser()
		stale := clone(u)
		_, getErr := f.s.GetUser(ctx, u.ID)
		_, listErr := f.s.ListUsers(ctx, admin.Page{})
		createErr := f.s.CreateUser(ctx, fresh)
		updateErr := f.s.UpdateUser(ctx, stale)
		_, claimErr := f.s.ClaimBuild(ctx, "w", f.now())
		for _, c := range []struct {
			op  string
			err error
		}{
			{"GetUser", getErr}, {"ListUsers", listErr}, {"CreateUser", createErr},
			{"UpdateUser", updateErr}, {"ClaimBuild", claimErr},
		} {
			if c.err != nil && !errors.Is(c.err, context.Canceled) {
				t.Errorf("%s with a canceled context: got %v, want success or an error wrapping context.Canceled", c.op, c.err)
			}
		}
		if _, err := f.s.GetUser(f.ctx, fresh.ID); createErr != nil && err == nil {
			t.Errorf("CreateUser with a canceled context failed (%v) but stored the user", createErr)
		}
	}},
}
