package emu_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func newStore(t testing.TB) *emu.Store {
	t.Helper()
	s := emu.NewStore(emu.NewClock(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }), nil)
	if err := s.DefineField("contacts", emu.Field{Name: "email", Unique: true, CaseInsensitive: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.DefineField("contacts", emu.Field{Name: "ext", Unique: true}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore_UniqueAndPatch(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	a, err := s.Create("contacts", map[string]any{"email": "Ada@Example.com", "ext": "A"})
	if err != nil || a.ID != "1" {
		t.Fatalf("create = %+v, %v", a, err)
	}
	_, err = s.Create("contacts", map[string]any{"email": "ada@example.COM"})
	var ue *emu.UniqueError
	if !errors.As(err, &ue) || ue.Field != "email" || ue.ExistingID != "1" {
		t.Fatalf("case-insensitive duplicate: %v", err)
	}
	if _, err := s.Create("contacts", map[string]any{"ext": "a"}); err != nil {
		t.Fatalf("ext is case-sensitive, got %v", err)
	}
	// Patching frees the old unique value and takes the new one.
	if _, err := s.Patch("contacts", "1", map[string]any{"ext": "B", "email": nil}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.FindUnique("contacts", "ext", "A"); ok {
		t.Fatal("old value still indexed")
	}
	if r, ok := s.FindUnique("contacts", "ext", "B"); !ok || r.ID != "1" || r.Fields["email"] != nil {
		t.Fatalf("after patch = %+v", r)
	}
	if _, err := s.Create("contacts", map[string]any{"email": "ada@example.com"}); err != nil {
		t.Fatalf("removed email is free again: %v", err)
	}
	if _, err := s.Patch("contacts", "99", nil); !errors.Is(err, emu.ErrNotFound) {
		t.Fatalf("patch missing = %v", err)
	}
}

func TestStore_AtomicRollsBack(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	base, _ := s.Create("contacts", map[string]any{"ext": "KEEP", "name": "old"})
	err := s.Atomic(func(tx *emu.Tx) error {
		c, err := tx.Create("contacts", map[string]any{"ext": "NEW"})
		if err != nil {
			return err
		}
		if _, err := tx.Patch("contacts", base.ID, map[string]any{"name": "new", "ext": "CHANGED"}); err != nil {
			return err
		}
		if err := tx.Link("contacts", c.ID, emu.Link{Object: "contacts", ID: base.ID, Type: "x"}); err != nil {
			return err
		}
		_, err = tx.Create("contacts", map[string]any{"ext": "NEW"}) // conflicts with the first create
		return err
	})
	if _, ok := errors.AsType[*emu.UniqueError](err); !ok {
		t.Fatalf("err = %v", err)
	}
	if s.Len("contacts") != 1 {
		t.Fatalf("len = %d after rollback", s.Len("contacts"))
	}
	got, _ := s.Get("contacts", base.ID)
	if got.Fields["name"] != "old" || got.Fields["ext"] != "KEEP" {
		t.Fatalf("patched record not restored: %+v", got)
	}
	if _, ok := s.FindUnique("contacts", "ext", "NEW"); ok {
		t.Fatal("rolled-back value still indexed")
	}
	if _, ok := s.FindUnique("contacts", "ext", "KEEP"); !ok {
		t.Fatal("restored value not indexed")
	}
	if len(s.LinkedFrom("contacts", base.ID)) != 0 {
		t.Fatal("rolled-back link kept")
	}
	// The next id is not reused in a way that collides.
	c, err := s.Create("contacts", map[string]any{"ext": "NEW"})
	if err != nil || c.ID == base.ID {
		t.Fatalf("create after rollback = %+v, %v", c, err)
	}
}

func TestStore_QueriesAndFields(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for i := range 5 {
		if _, err := s.Create("contacts", map[string]any{"ext": fmt.Sprint(i), "city": []string{"Paris", "Rome"}[i%2]}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Count("contacts", "city", "Paris"); got != 3 {
		t.Fatalf("scan count = %d", got)
	}
	s.AddIndex("contacts", "city", true)
	if got := s.FindAll("contacts", "city", "ROME"); len(got) != 2 || got[0].ID != "2" || got[1].ID != "4" {
		t.Fatalf("indexed FindAll = %+v", got)
	}
	page, total := s.List("contacts", 3, 10)
	if total != 5 || len(page) != 2 || page[0].ID != "4" {
		t.Fatalf("list = %d %+v", total, page)
	}
	if err := s.DefineField("contacts", emu.Field{Name: "email"}); !errors.Is(err, emu.ErrFieldExists) {
		t.Fatalf("redefine = %v", err)
	}
	s.SetRequired("contacts", "city", true)
	if _, err := s.UpdateField("contacts", "ext", func(f *emu.Field) { f.Required = true }); err != nil {
		t.Fatal(err)
	}
	if got := s.RequiredFields("contacts"); fmt.Sprint(got) != "[city ext]" {
		t.Fatalf("required = %v", got)
	}
	// Turning Unique off drops the index; on again rebuilds it from the records.
	if _, err := s.UpdateField("contacts", "ext", func(f *emu.Field) { f.Unique = false }); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.FindUnique("contacts", "ext", "3"); ok {
		t.Fatal("index kept after Unique off")
	}
	if _, err := s.UpdateField("contacts", "ext", func(f *emu.Field) { f.Unique = true }); err != nil {
		t.Fatal(err)
	}
	if r, ok := s.FindUnique("contacts", "ext", "3"); !ok || r.ID != "4" {
		t.Fatalf("rebuilt index lookup = %+v", r)
	}
	s.Reset()
	if s.Len("contacts") != 0 || len(s.Fields("contacts")) != 0 {
		t.Fatal("reset kept data")
	}
}

func TestStore_ManyRecords(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("100,000 records")
	}
	s := newStore(t)
	const n = 100_000
	for i := range n {
		if _, err := s.Create("contacts", map[string]any{"ext": fmt.Sprintf("SH-%d", i), "email": fmt.Sprintf("u%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if r, ok := s.FindUnique("contacts", "email", "U99999@example.com"); !ok || r.Fields["ext"] != "SH-99999" {
		t.Fatalf("lookup in %d records = %+v", n, r)
	}
	if got := s.Count("contacts", "ext", "SH-5"); got != 1 {
		t.Fatalf("count = %d", got)
	}
}

func BenchmarkStore_UpsertBy100kIndex(b *testing.B) {
	s := newStore(b)
	for i := range 100_000 {
		_, _ = s.Create("contacts", map[string]any{"ext": fmt.Sprintf("SH-%d", i)})
	}
	b.ResetTimer()
	for i := range b.N {
		key := fmt.Sprintf("SH-%d", i%100_000)
		err := s.Atomic(func(tx *emu.Tx) error {
			r, ok := tx.FindUnique("contacts", "ext", key)
			if !ok {
				return fmt.Errorf("missing %s", key)
			}
			_, err := tx.Patch("contacts", r.ID, map[string]any{"n": i})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
