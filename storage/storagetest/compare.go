package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// diff compares an object read from the store (got) with what was written
// (want) and describes every difference, one per line. It applies the
// Storage rules rather than plain equality:
//   - times are equal when they are the same instant, and a time read back
//     must be in UTC;
//   - a nil pointer must read back nil, a set one set;
//   - maps and slices read back must not be nil (a nil one written reads
//     back empty); byte slices compare by content, nil equal to empty.
func diff(got, want any) string {
	var out []string
	diffValue(&out, "", reflect.ValueOf(got), reflect.ValueOf(want))
	return strings.Join(out, "\n")
}

func diffValue(out *[]string, path string, got, want reflect.Value) {
	report := func(format string, args ...any) {
		p := path
		if p == "" {
			p = "(value)"
		}
		*out = append(*out, p+": "+fmt.Sprintf(format, args...))
	}
	if got.Type() != want.Type() {
		report("type %s, want %s", got.Type(), want.Type())
		return
	}
	if got.Type() == timeType {
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) {
			report("got %s, want %s", g.Format(time.RFC3339Nano), w.UTC().Format(time.RFC3339Nano))
		} else if g.Location() != time.UTC {
			report("got %s in location %q, want it in UTC", g.Format(time.RFC3339Nano), g.Location())
		}
		return
	}
	switch got.Kind() {
	case reflect.Pointer:
		switch {
		case got.IsNil() && want.IsNil():
		case got.IsNil():
			report("got nil, want %v", want.Elem().Interface())
		case want.IsNil():
			report("got %v, want nil", got.Elem().Interface())
		default:
			diffValue(out, path, got.Elem(), want.Elem())
		}
	case reflect.Struct:
		for i := range got.NumField() {
			f := got.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			diffValue(out, join(path, f.Name), got.Field(i), want.Field(i))
		}
	case reflect.Slice:
		if got.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				report("got bytes %x, want %x", got.Bytes(), want.Bytes())
			}
			return
		}
		if got.IsNil() {
			report("got a nil slice, want a non-nil one (slices read back are never nil)")
			return
		}
		if got.Len() != want.Len() {
			report("got %d elements, want %d", got.Len(), want.Len())
			return
		}
		for i := range got.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))
		}
	case reflect.Map:
		if got.IsNil() {
			report("got a nil map, want a non-nil one (maps read back are never nil)")
			return
		}
		if got.Len() != want.Len() {
			report("got %v, want %v", got.Interface(), want.Interface())
			return
		}
		for _, k := range want.MapKeys() {
			g := got.MapIndex(k)
			if !g.IsValid() {
				report("missing key %v (got %v)", k.Interface(), got.Interface())
				continue
			}
			diffValue(out, fmt.Sprintf("%s[%v]", path, k.Interface()), g, want.MapIndex(k))
		}
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			report("got %#v, want %#v", got.Interface(), want.Interface())
		}
	}
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// mustEqual fails the test when got (read from the store) does not match want.
func mustEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Errorf("%s differs from what was stored:\n%s", what, d)
	}
}

// eachTime calls fn for every time.Time inside v (a pointer to a struct):
// plain fields, set pointers and the elements of slices.
func eachTime(v any, fn func(*time.Time)) {
	walkTimes(reflect.ValueOf(v), func(tv reflect.Value) {
		fn(tv.Addr().Interface().(*time.Time))
	}, nil)
}

// eachTimePointer calls fn for every *time.Time field inside v (a pointer to a
// struct), nil or not.
func eachTimePointer(v any, fn func(**time.Time)) {
	walkTimes(reflect.ValueOf(v), nil, func(pv reflect.Value) {
		fn(pv.Addr().Interface().(**time.Time))
	})
}

func walkTimes(v reflect.Value, onTime, onPtr func(reflect.Value)) {
	switch {
	case v.Type() == timeType:
		if onTime != nil {
			onTime(v)
		}
	case v.Kind() == reflect.Pointer && v.Type().Elem() == timeType:
		if onPtr != nil {
			onPtr(v)
		}
		if !v.IsNil() {
			walkTimes(v.Elem(), onTime, onPtr)
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			walkTimes(v.Elem(), onTime, onPtr)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkTimes(v.Field(i), onTime, onPtr)
			}
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8:
		for i := range v.Len() {
			walkTimes(v.Index(i), onTime, onPtr)
		}
	}
}

// wantErr fails the test unless err wraps target. A bare sentinel (no
// operation named) fails too: the Storage rules ask for wrapped errors.
func wantErr(t testing.TB, err, target error, what string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: got no error, want %v", what, target)
	case !errors.Is(err, target):
		t.Errorf("%s: got error %q, want one wrapping %v", what, err, target)
	case err.Error() == target.Error():
		t.Errorf("%s: got the bare sentinel %q; wrap it naming the operation (fmt.Errorf(\"...: %%w\", err))", what, err)
	}
}

// noErr fails the test now when err is not nil.
func noErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// clone returns a deep copy of v: maps, slices and pointers are copied too.
func clone[T any](v *T) *T {
	return deepCopy(reflect.ValueOf(v)).Interface().(*T)
}

func deepCopy(v reflect.Value) reflect.Value {
	if v.Type() == timeType {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v) // unexported fields, if any, by value
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			c.SetMapIndex(iter.Key(), deepCopy(iter.Value()))
		}
		return c
	}
	return v
}
