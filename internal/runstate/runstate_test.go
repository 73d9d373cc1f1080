package runstate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/runstate"
)

func TestCheckAndClose(t *testing.T) {
	s := runstate.New("kubernetes")
	if err := s.Check("start"); err != nil || s.Closed() {
		t.Fatalf("open state: Check = %v, Closed = %v", err, s.Closed())
	}
	if !s.Close() {
		t.Error("first Close reported it was closed already")
	}
	if s.Close() {
		t.Error("second Close reported it closed the state")
	}
	err := s.Check("start")
	if !errors.Is(err, admin.ErrClosed) || !strings.HasPrefix(err.Error(), "kubernetes: start: ") {
		t.Errorf("Check after Close = %v; want kubernetes: start: … ErrClosed", err)
	}
}

func TestExited(t *testing.T) {
	s := runstate.New("local")
	if s.Notifying() {
		t.Error("Notifying before any NotifyExits")
	}
	s.NotifyExits(nil)
	var got []admin.ServerExit
	s.NotifyExits(func(ex admin.ServerExit) { got = append(got, ex) })
	s.NotifyExits(func(ex admin.ServerExit) { got = append(got, ex) })
	if !s.Notifying() {
		t.Error("not Notifying after NotifyExits")
	}
	firstRan := false
	if !s.Exited(admin.ServerExit{ExitCode: 3}, func() { firstRan = len(got) == 0 }) {
		t.Error("Exited on an open state returned false")
	}
	if len(got) != 2 || got[0].ExitCode != 3 || !firstRan {
		t.Errorf("callbacks got %+v, first ran before them: %v", got, firstRan)
	}

	// Close waits for a callback in flight, and none runs after it.
	s = runstate.New("local")
	entered, release, closed := make(chan struct{}), make(chan struct{}), make(chan struct{})
	s.NotifyExits(func(admin.ServerExit) {
		close(entered)
		<-release
	})
	go s.Exited(admin.ServerExit{}, nil)
	<-entered
	go func() {
		s.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a callback was running")
	default:
	}
	close(release)
	<-closed
	if s.Exited(admin.ServerExit{}, func() { t.Error("first ran after Close") }) {
		t.Error("Exited after Close returned true")
	}
}
