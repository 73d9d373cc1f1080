package storagetest

import (
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// kind describes one kind of stored object with an id, a version and
// Create/Get/Update (and maybe Delete), so that the rules shared by every kind
// are tested once, for each kind alike.
type kind[T any] struct {
	name   string
	prefix string
	// make returns a valid unsaved object whose parents are stored.
	make   func(f *fixture) *T
	create func(f *fixture, v *T) error
	get    func(f *fixture, id string) (*T, error)
	update func(f *fixture, v *T) error
	// remove is nil for kinds that cannot be deleted.
	remove func(f *fixture, id string) error
	// list lists a listing that includes v, unpaged.
	list    func(f *fixture, v *T) ([]*T, error)
	id      func(v *T) *string
	version func(v *T) *int64
	// mutate changes every field Update must write.
	mutate func(v *T)
	// tamper changes the fields Update must not write: parents, CreatedAt.
	tamper func(v *T)
	// scribble changes v in place, including what it reaches through maps,
	// slices and pointers.
	scribble func(v *T)
}

func (k kind[T]) tests() []test {
	ts := []test{
		{"CreateGet", k.testCreateGet},
		{"CreateDuplicateID", k.testCreateDuplicateID},
		{"GetMissing", k.testGetMissing},
		{"Update", k.testUpdate},
		{"UpdateStaleVersion", k.testUpdateStale},
		{"UpdateMissing", k.testUpdateMissing},
		{"ReturnedObjectsAreCopies", k.testCopies},
		{"TimesInOtherZones", k.testTimesInOtherZones},
		{"ExtremeTimes", k.testExtremeTimes},
	}
	var probe T
	pointers := 0
	eachTimePointer(&probe, func(**time.Time) { pointers++ })
	if pointers > 0 {
		ts = append(ts, test{"TimePointersSetAndCleared", k.testTimePointers})
	}
	if k.remove != nil {
		ts = append(ts, test{"Delete", k.testDelete})
	}
	return ts
}

// stored makes and stores a new object.
func (k kind[T]) stored(f *fixture) *T {
	f.t.Helper()
	v := k.make(f)
	noErr(f.t, k.create(f, v), "Create"+k.name)
	return v
}

// mustGet reads the object back and stops the test when that fails.
func (k kind[T]) mustGet(f *fixture, id string) *T {
	f.t.Helper()
	v, err := k.get(f, id)
	noErr(f.t, err, "Get"+k.name)
	if v == nil {
		f.t.Fatalf("Get%s(%q) returned nil and no error", k.name, id)
	}
	return v
}

func (k kind[T]) testCreateGet(t *testing.T, f *fixture) {
	v := k.stored(f)
	mustEqual(t, "Get"+k.name, k.mustGet(f, *k.id(v)), v)
}

func (k kind[T]) testCreateDuplicateID(t *testing.T, f *fixture) {
	v := k.stored(f)
	dup := k.make(f)
	*k.id(dup) = *k.id(v)
	wantErr(t, k.create(f, dup), admin.ErrAlreadyExists, "Create"+k.name+" with a taken id")
	mustEqual(t, "Get"+k.name+" after the refused duplicate", k.mustGet(f, *k.id(v)), v)
}

func (k kind[T]) testGetMissing(t *testing.T, f *fixture) {
	id := newID(k.prefix)
	got, err := k.get(f, id)
	wantErr(t, err, admin.ErrNotFound, "Get"+k.name+" of a missing id")
	if got != nil {
		t.Errorf("Get%s of a missing id returned an object with the error", k.name)
	}
	if err != nil && !strings.Contains(err.Error(), id) {
		t.Errorf("Get%s error %q does not name the id %q", k.name, err, id)
	}
	if _, err := k.get(f, ""); err == nil {
		t.Errorf("Get%s(\"\") returned no error", k.name)
	}
}

func (k kind[T]) testUpdate(t *testing.T, f *fixture) {
	v := k.stored(f)
	want := k.mustGet(f, *k.id(v))
	k.mutate(want)
	u := clone(want)
	k.tamper(u)
	noErr(t, k.update(f, u), "Update"+k.name)
	if got, wantV := *k.version(u), *k.version(v)+1; got != wantV {
		t.Errorf("after Update%s, obj.Version = %d, want %d (stored version + 1)", k.name, got, wantV)
	}
	*k.version(want) = *k.version(v) + 1
	mustEqual(t, "Get"+k.name+" after Update (ids, parents and CreatedAt must not change)", k.mustGet(f, *k.id(v)), want)

	// A second update from the new version works too.
	again := k.mustGet(f, *k.id(v))
	noErr(t, k.update(f, again), "Update"+k.name+" from the new version")
	if got := *k.version(again); got != *k.version(v)+2 {
		t.Errorf("after a second Update%s, Version = %d, want %d", k.name, got, *k.version(v)+2)
	}
}

func (k kind[T]) testUpdateStale(t *testing.T, f *fixture) {
	v := k.stored(f)
	id := *k.id(v)
	stale := k.mustGet(f, id)
	fresh := k.mustGet(f, id)
	k.mutate(fresh)
	noErr(t, k.update(f, fresh), "Update"+k.name)
	after := k.mustGet(f, id)

	staleVersion := *k.version(stale)
	wantErr(t, k.update(f, stale), admin.ErrConflict, "Update"+k.name+" with a stale version")
	if *k.version(stale) != staleVersion {
		t.Errorf("a refused Update%s changed obj.Version from %d to %d", k.name, staleVersion, *k.version(stale))
	}
	mustEqual(t, "Get"+k.name+" after a refused stale update", k.mustGet(f, id), after)

	ahead := k.mustGet(f, id)
	*k.version(ahead) += 5
	wantErr(t, k.update(f, ahead), admin.ErrConflict, "Update"+k.name+" with a version from the future")
	mustEqual(t, "Get"+k.name+" after a refused update", k.mustGet(f, id), after)
}

func (k kind[T]) testUpdateMissing(t *testing.T, f *fixture) {
	v := k.make(f)
	wantErr(t, k.update(f, v), admin.ErrNotFound, "Update"+k.name+" of an object never created")
	if _, err := k.get(f, *k.id(v)); err == nil {
		t.Errorf("Update%s of a missing object created it", k.name)
	}
}

func (k kind[T]) testDelete(t *testing.T, f *fixture) {
	v := k.stored(f)
	other := k.stored(f)
	noErr(t, k.remove(f, *k.id(v)), "Delete"+k.name)
	_, err := k.get(f, *k.id(v))
	wantErr(t, err, admin.ErrNotFound, "Get"+k.name+" after Delete")
	wantErr(t, k.remove(f, *k.id(v)), admin.ErrNotFound, "Delete"+k.name+" a second time")
	wantErr(t, k.remove(f, newID(k.prefix)), admin.ErrNotFound, "Delete"+k.name+" of a missing id")
	wantErr(t, k.update(f, v), admin.ErrNotFound, "Update"+k.name+" of a deleted object")
	if _, err := k.get(f, *k.id(v)); err == nil {
		t.Errorf("Update%s of a deleted object brought it back", k.name)
	}
	mustEqual(t, "Get"+k.name+" of another object after Delete", k.mustGet(f, *k.id(other)), other)
}

func (k kind[T]) testCopies(t *testing.T, f *fixture) {
	v := k.stored(f)
	id := *k.id(v)
	want := clone(v)

	k.scribble(v)
	mustEqual(t, "Get"+k.name+" after changing the object passed to Create", k.mustGet(f, id), want)

	got := k.mustGet(f, id)
	k.scribble(got)
	mustEqual(t, "Get"+k.name+" after changing an object Get returned", k.mustGet(f, id), want)

	u := k.mustGet(f, id)
	noErr(t, k.update(f, u), "Update"+k.name)
	*k.version(want)++
	k.scribble(u)
	mustEqual(t, "Get"+k.name+" after changing the object passed to Update", k.mustGet(f, id), want)

	list, err := k.list(f, v)
	noErr(t, err, "List (containing the "+k.name+")")
	found := false
	for _, item := range list {
		if *k.id(item) == id {
			found = true
			k.scribble(item)
		}
	}
	if !found {
		t.Fatalf("the listing does not contain %s %s", k.name, id)
	}
	mustEqual(t, "Get"+k.name+" after changing an object a List returned", k.mustGet(f, id), want)
}

// zones are the non-UTC locations times are written in.
var zones = []*time.Location{
	time.FixedZone("IST", 5*3600+30*60),
	time.FixedZone("PDT", -7*3600),
}

func (k kind[T]) testTimesInOtherZones(t *testing.T, f *fixture) {
	for _, zone := range zones {
		v := k.make(f)
		eachTimePointer(v, func(p **time.Time) {
			if *p == nil {
				*p = f.ptr()
			}
		})
		eachTime(v, func(tm *time.Time) { *tm = tm.In(zone) })
		noErr(t, k.create(f, v), "Create"+k.name+" with times in "+zone.String())
		mustEqual(t, "Get"+k.name+" of times written in "+zone.String(), k.mustGet(f, *k.id(v)), v)
	}
}

// extremes are times an encoding can get wrong: before 1970 (negative Unix
// times), after 2262 (past int64 nanoseconds), a leap day at a second's last
// microsecond.
var extremes = []time.Time{
	time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
	time.Date(1900, 1, 1, 0, 0, 0, 1000, time.UTC),
	time.Date(2500, 6, 30, 12, 0, 0, 123456000, time.UTC),
	time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC),
}

func (k kind[T]) testExtremeTimes(t *testing.T, f *fixture) {
	for _, at := range extremes {
		v := k.make(f)
		eachTimePointer(v, func(p **time.Time) {
			if *p == nil {
				*p = f.ptr()
			}
		})
		eachTime(v, func(tm *time.Time) { *tm = at })
		noErr(t, k.create(f, v), "Create"+k.name+" with times at "+at.Format(time.RFC3339Nano))
		mustEqual(t, "Get"+k.name+" of times at "+at.Format(time.RFC3339Nano), k.mustGet(f, *k.id(v)), v)
	}
}

func (k kind[T]) testTimePointers(t *testing.T, f *fixture) {
	v := k.make(f)
	eachTimePointer(v, func(p **time.Time) { *p = f.ptr() })
	noErr(t, k.create(f, v), "Create"+k.name+" with every time pointer set")
	mustEqual(t, "Get"+k.name+" with every time pointer set", k.mustGet(f, *k.id(v)), v)

	u := k.mustGet(f, *k.id(v))
	eachTimePointer(u, func(p **time.Time) { *p = nil })
	noErr(t, k.update(f, u), "Update"+k.name+" clearing every time pointer")
	mustEqual(t, "Get"+k.name+" after clearing every time pointer", k.mustGet(f, *k.id(v)), u)

	w := k.mustGet(f, *k.id(v))
	eachTimePointer(w, func(p **time.Time) { *p = f.ptr() })
	noErr(t, k.update(f, w), "Update"+k.name+" setting every time pointer")
	mustEqual(t, "Get"+k.name+" after setting every time pointer", k.mustGet(f, *k.id(v)), w)
}
