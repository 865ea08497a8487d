package emu

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned (wrapped) when a record or field does not exist.
var ErrNotFound = errors.New("emu: not found")

// ErrFieldExists is returned (wrapped) by DefineField when the name is taken.
var ErrFieldExists = errors.New("emu: field already exists")

// ErrRecordExists is returned (wrapped) by Insert when the id is taken.
var ErrRecordExists = errors.New("emu: record already exists")

// UniqueError reports a write that would give a unique field a value another
// record already holds. Nothing of the write is applied.
type UniqueError struct {
	Object     string // object written
	Field      string // unique field
	Value      string // the conflicting value, as indexed
	ExistingID string // the record that already holds it
}

// Error implements error.
func (e *UniqueError) Error() string {
	return fmt.Sprintf("emu: %s.%s value %q already held by record %s", e.Object, e.Field, e.Value, e.ExistingID)
}

// Record is one stored CRM record. Field values are the CRM's own JSON
// values (string, json.Number or float64, bool, or nested maps/slices; never
// nil, which Patch uses to remove a field); treat them as
// immutable once stored.
type Record struct {
	// ID is the record's id in the CRM's id format.
	ID string `json:"id"`
	// Object is the CRM's object name ("contacts", "Contact", "persons").
	Object string `json:"object"`
	// Fields are the record's field values by field name.
	Fields map[string]any `json:"fields"`
	// Links are associations from this record to others (activity → contact).
	Links []Link `json:"links,omitempty"`
	// CreatedAt is when the record was created.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the record was last written.
	UpdatedAt time.Time `json:"updated_at"`
}

// String returns field name as a string ("" when absent or nil).
func (r Record) String(name string) string {
	switch v := r.Fields[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return valueString(v)
	}
}

// IsBlank reports whether a field value counts as not given, as a CRM's
// required-field check sees it: nil, a string of only white space, or an
// empty list.
func IsBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// Link is an association from one record to another.
type Link struct {
	// Object is the target record's object.
	Object string `json:"object"`
	// ID is the target record's id.
	ID string `json:"id"`
	// Type is the CRM's name or number for the association ("194").
	Type string `json:"type,omitempty"`
}

// Field is the definition of one field (property) of an object.
type Field struct {
	// Name is the API name.
	Name string `json:"name"`
	// Label is the display label.
	Label string `json:"label"`
	// Type is the CRM's own type name ("string", "email", "text").
	Type string `json:"type"`
	// Required means a create without a value is rejected.
	Required bool `json:"required"`
	// Unique means no two records may hold the same value; the store enforces it.
	Unique bool `json:"unique"`
	// CaseInsensitive makes the unique index (and lookups) ignore case.
	CaseInsensitive bool `json:"case_insensitive,omitempty"`
	// MaxLength is the longest accepted string value; 0 means no limit.
	MaxLength int `json:"max_length,omitempty"`
	// Custom marks a field created through the API rather than built in.
	Custom bool `json:"custom"`
	// Archived marks a deleted (archived) field definition.
	Archived bool `json:"archived,omitempty"`
	// CreatedAt is when the field was defined.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the definition last changed.
	UpdatedAt time.Time `json:"updated_at"`
	// Extra holds CRM-specific attributes (HubSpot fieldType, groupName, …).
	Extra map[string]any `json:"extra,omitempty"`
}

// Store is an in-memory, concurrency-safe record store: records per object
// with an id map, creation order, field definitions and secondary indexes
// (unique or not) so lookups by value never scan.
type Store struct {
	mu     sync.RWMutex
	clock  *Clock
	newID  func(object string, n int64) string
	tables map[string]*table
	// backlinks maps "object/id" of a link target to the records linking to it.
	backlinks map[string][]Link
}

type table struct {
	seq        int64
	records    map[string]*Record
	order      []string
	fields     map[string]*Field
	fieldOrder []string
	indexes    map[string]*index
	required   map[string]bool
}

type index struct {
	unique bool
	fold   bool
	ids    map[string]map[string]struct{}
}

// NewStore returns an empty store. newID makes the id of the n-th record
// of an object (decimal n when nil).
func NewStore(clock *Clock, newID func(object string, n int64) string) *Store {
	if newID == nil {
		newID = func(_ string, n int64) string { return strconv.FormatInt(n, 10) }
	}
	return &Store{clock: clock, newID: newID, tables: map[string]*table{}, backlinks: map[string][]Link{}}
}

// Reset removes every record, field, index and required-field override.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables = map[string]*table{}
	s.backlinks = map[string][]Link{}
}

func (s *Store) table(object string) *table {
	t := s.tables[object]
	if t == nil {
		t = &table{records: map[string]*Record{}, fields: map[string]*Field{}, indexes: map[string]*index{}, required: map[string]bool{}}
		s.tables[object] = t
	}
	return t
}

// DefineField adds a field definition to object. A unique field gets a
// unique index (built from existing records). A name already defined
// (archived or not) is ErrFieldExists.
func (s *Store) DefineField(object string, f Field) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(object)
	if _, ok := t.fields[f.Name]; ok {
		return fmt.Errorf("define field %s.%s: %w", object, f.Name, ErrFieldExists)
	}
	now := s.clock.Now()
	if f.CreatedAt.IsZero() {
		f.CreatedAt = now
	}
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = f.CreatedAt
	}
	f.Extra = maps.Clone(f.Extra)
	t.fields[f.Name] = &f
	t.fieldOrder = append(t.fieldOrder, f.Name)
	if f.Unique {
		t.addIndex(f.Name, true, f.CaseInsensitive)
	}
	return nil
}

// UpdateField changes a field definition in place with fn. Turning Unique
// on builds a unique index; turning it off drops it.
func (s *Store) UpdateField(object, name string, fn func(f *Field)) (Field, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(object)
	f, ok := t.fields[name]
	if !ok {
		return Field{}, fmt.Errorf("update field %s.%s: %w", object, name, ErrNotFound)
	}
	wasUnique := f.Unique
	fn(f)
	f.UpdatedAt = s.clock.Now()
	switch {
	case f.Unique && !wasUnique:
		t.addIndex(name, true, f.CaseInsensitive)
	case !f.Unique && wasUnique:
		delete(t.indexes, name)
	}
	return cloneField(f), nil
}

// Field returns one field definition.
func (s *Store) Field(object, name string) (Field, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.field(object, name)
}

func (s *Store) field(object, name string) (Field, bool) {
	t := s.tables[object]
	if t == nil {
		return Field{}, false
	}
	f, ok := t.fields[name]
	if !ok {
		return Field{}, false
	}
	return cloneField(f), true
}

// Fields returns the field definitions of object in definition order,
// archived ones included.
func (s *Store) Fields(object string) []Field {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[object]
	if t == nil {
		return nil
	}
	out := make([]Field, 0, len(t.fieldOrder))
	for _, n := range t.fieldOrder {
		out = append(out, cloneField(t.fields[n]))
	}
	return out
}

func cloneField(f *Field) Field {
	c := *f
	c.Extra = maps.Clone(f.Extra)
	return c
}

// SetRequired makes field of object required (on) or lifts that
// (off), on top of the field's own Required flag. The control API's
// "required fields" fault uses it; CRMs read RequiredFields when validating.
func (s *Store) SetRequired(object, field string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(object)
	if on {
		t.required[field] = true
	} else {
		delete(t.required, field)
	}
}

// RequiredFields lists the required fields of object: those defined
// Required (not archived) plus those set with SetRequired, sorted.
func (s *Store) RequiredFields(object string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.requiredFields(object)
}

func (s *Store) requiredFields(object string) []string {
	t := s.tables[object]
	if t == nil {
		return nil
	}
	set := map[string]bool{}
	for n, f := range t.fields {
		if f.Required && !f.Archived {
			set[n] = true
		}
	}
	for n := range t.required {
		set[n] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// AddIndex adds a non-unique lookup index on field so FindAll and Count
// by that field do not scan. fold makes it case-insensitive.
func (s *Store) AddIndex(object, field string, fold bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(object)
	if _, ok := t.indexes[field]; ok {
		return
	}
	t.addIndex(field, false, fold)
}

func (t *table) addIndex(field string, unique, fold bool) {
	ix := &index{unique: unique, fold: fold, ids: map[string]map[string]struct{}{}}
	for _, id := range t.order {
		ix.add(t.records[id].Fields[field], id)
	}
	t.indexes[field] = ix
}

func (ix *index) key(v any) string {
	k := valueString(v)
	if ix.fold {
		k = strings.ToLower(k)
	}
	return k
}

func (ix *index) add(v any, id string) {
	k := ix.key(v)
	if k == "" {
		return
	}
	set := ix.ids[k]
	if set == nil {
		set = map[string]struct{}{}
		ix.ids[k] = set
	}
	set[id] = struct{}{}
}

func (ix *index) remove(v any, id string) {
	k := ix.key(v)
	if set := ix.ids[k]; set != nil {
		delete(set, id)
		if len(set) == 0 {
			delete(ix.ids, k)
		}
	}
}

// holder returns a record other than self holding v, if any.
func (ix *index) holder(v any, self string) (string, bool) {
	for id := range ix.ids[ix.key(v)] {
		if id != self {
			return id, true
		}
	}
	return "", false
}

// valueString is the canonical text of a field value for indexes and pages.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// Tx is an all-or-nothing unit of writes, valid only inside Store.Atomic.
type Tx struct {
	s    *Store
	undo []func()
	now  time.Time
}

// Atomic runs fn with the store locked. If fn returns an error, every write
// it made is undone, so other readers never see part of a failed batch.
// Inside fn use only the Tx's methods: calling the Store's own methods
// there deadlocks (its lock is held).
func (s *Store) Atomic(fn func(tx *Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &Tx{s: s, now: s.clock.Now()}
	if err := fn(tx); err != nil {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
		return err
	}
	return nil
}

// Create adds a record with a new id. See Insert.
func (tx *Tx) Create(object string, fields map[string]any) (Record, error) {
	return tx.Insert(object, "", fields)
}

// Insert adds a record with the given id ("" for a new one). A unique-field
// conflict is a *UniqueError and nothing is written.
func (tx *Tx) Insert(object, id string, fields map[string]any) (Record, error) {
	t := tx.s.table(object)
	if id == "" {
		for taken := true; taken; _, taken = t.records[id] {
			t.seq++
			id = tx.s.newID(object, t.seq)
		}
	} else if _, ok := t.records[id]; ok {
		return Record{}, fmt.Errorf("insert %s %s: %w", object, id, ErrRecordExists)
	}
	fields = withoutNil(fields)
	if err := t.checkUnique(object, id, fields); err != nil {
		return Record{}, err
	}
	rec := &Record{ID: id, Object: object, Fields: fields, CreatedAt: tx.now, UpdatedAt: tx.now}
	t.records[id] = rec
	t.order = append(t.order, id)
	t.indexAll(rec, true)
	tx.undo = append(tx.undo, func() {
		t.indexAll(rec, false)
		delete(t.records, id)
		t.order = t.order[:len(t.order)-1]
	})
	return cloneRecord(rec), nil
}

// Patch merges fields into record id: a nil value removes the field. A
// unique-field conflict is a *UniqueError; a missing record is ErrNotFound.
func (tx *Tx) Patch(object, id string, fields map[string]any) (Record, error) {
	t := tx.s.table(object)
	rec, ok := t.records[id]
	if !ok {
		return Record{}, fmt.Errorf("patch %s %s: %w", object, id, ErrNotFound)
	}
	merged := maps.Clone(rec.Fields)
	for k, v := range fields {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	if err := t.checkUnique(object, id, merged); err != nil {
		return Record{}, err
	}
	old := *rec
	t.indexAll(rec, false)
	rec.Fields = merged
	rec.UpdatedAt = tx.now
	t.indexAll(rec, true)
	tx.undo = append(tx.undo, func() {
		t.indexAll(rec, false)
		*rec = old
		t.indexAll(rec, true)
	})
	return cloneRecord(rec), nil
}

// Link adds an association from record (object, id) to l.
func (tx *Tx) Link(object, id string, l Link) error {
	t := tx.s.table(object)
	rec, ok := t.records[id]
	if !ok {
		return fmt.Errorf("link %s %s: %w", object, id, ErrNotFound)
	}
	oldLinks := rec.Links
	rec.Links = append(slices.Clip(rec.Links), l)
	key := l.Object + "/" + l.ID
	oldBack := tx.s.backlinks[key]
	tx.s.backlinks[key] = append(slices.Clip(oldBack), Link{Object: object, ID: id, Type: l.Type})
	tx.undo = append(tx.undo, func() {
		rec.Links = oldLinks
		if oldBack == nil {
			delete(tx.s.backlinks, key)
		} else {
			tx.s.backlinks[key] = oldBack
		}
	})
	return nil
}

// Get returns a record inside the transaction.
func (tx *Tx) Get(object, id string) (Record, bool) { return tx.s.get(object, id) }

// FindUnique returns the record whose indexed field holds value.
func (tx *Tx) FindUnique(object, field string, value any) (Record, bool) {
	return tx.s.findUnique(object, field, value)
}

// FindAll is Store.FindAll inside the transaction.
func (tx *Tx) FindAll(object, field string, value any) []Record {
	return tx.s.findAll(object, field, value)
}

// Field is Store.Field inside the transaction.
func (tx *Tx) Field(object, name string) (Field, bool) { return tx.s.field(object, name) }

// RequiredFields is Store.RequiredFields inside the transaction.
func (tx *Tx) RequiredFields(object string) []string { return tx.s.requiredFields(object) }

func withoutNil(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

func (t *table) checkUnique(object, id string, fields map[string]any) error {
	for name, ix := range t.indexes {
		if !ix.unique {
			continue
		}
		v, ok := fields[name]
		if !ok || ix.key(v) == "" {
			continue
		}
		if other, taken := ix.holder(v, id); taken {
			return &UniqueError{Object: object, Field: name, Value: ix.key(v), ExistingID: other}
		}
	}
	return nil
}

func (t *table) indexAll(rec *Record, add bool) {
	for name, ix := range t.indexes {
		v, ok := rec.Fields[name]
		if !ok {
			continue
		}
		if add {
			ix.add(v, rec.ID)
		} else {
			ix.remove(v, rec.ID)
		}
	}
}

func cloneRecord(r *Record) Record {
	c := *r
	c.Fields = maps.Clone(r.Fields)
	c.Links = slices.Clone(r.Links)
	return c
}

// Create adds one record outside any larger transaction.
func (s *Store) Create(object string, fields map[string]any) (Record, error) {
	var rec Record
	err := s.Atomic(func(tx *Tx) (err error) {
		rec, err = tx.Create(object, fields)
		return err
	})
	return rec, err
}

// Patch merges fields into one record outside any larger transaction.
func (s *Store) Patch(object, id string, fields map[string]any) (Record, error) {
	var rec Record
	err := s.Atomic(func(tx *Tx) (err error) {
		rec, err = tx.Patch(object, id, fields)
		return err
	})
	return rec, err
}

// Get returns record id of object.
func (s *Store) Get(object, id string) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.get(object, id)
}

func (s *Store) get(object, id string) (Record, bool) {
	t := s.tables[object]
	if t == nil {
		return Record{}, false
	}
	r, ok := t.records[id]
	if !ok {
		return Record{}, false
	}
	return cloneRecord(r), true
}

// FindUnique returns the record whose field holds value, through that
// field's index (unique or not; the first match when not unique). Without an
// index on field it reports false: define the field Unique or AddIndex first.
func (s *Store) FindUnique(object, field string, value any) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.findUnique(object, field, value)
}

func (s *Store) findUnique(object, field string, value any) (Record, bool) {
	t := s.tables[object]
	if t == nil {
		return Record{}, false
	}
	ix := t.indexes[field]
	if ix == nil {
		return Record{}, false
	}
	k := ix.key(value)
	if k == "" {
		return Record{}, false
	}
	ids := slices.Sorted(maps.Keys(ix.ids[k]))
	if len(ids) == 0 {
		return Record{}, false
	}
	return cloneRecord(t.records[ids[0]]), true
}

// FindAll returns every record of object whose field holds value (compared
// as text), in creation order. It uses the field's index when there is one
// and scans otherwise (fine for the control API, not for hot paths).
func (s *Store) FindAll(object, field string, value any) []Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.findAll(object, field, value)
}

func (s *Store) findAll(object, field string, value any) []Record {
	t := s.tables[object]
	if t == nil {
		return nil
	}
	var out []Record
	if ix := t.indexes[field]; ix != nil {
		for id := range ix.ids[ix.key(value)] {
			out = append(out, cloneRecord(t.records[id]))
		}
		sort.Slice(out, func(i, j int) bool { return before(out[i], out[j]) })
		return out
	}
	want := valueString(value)
	for _, id := range t.order {
		r := t.records[id]
		if v, ok := r.Fields[field]; ok && valueString(v) == want {
			out = append(out, cloneRecord(r))
		}
	}
	return out
}

func before(a, b Record) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	if len(a.ID) != len(b.ID) {
		return len(a.ID) < len(b.ID)
	}
	return a.ID < b.ID
}

// Count is how many records of object hold value in field (the duplicate check).
func (s *Store) Count(object, field string, value any) int {
	return len(s.FindAll(object, field, value))
}

// Len is the number of records of object.
func (s *Store) Len(object string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.tables[object]; t != nil {
		return len(t.order)
	}
	return 0
}

// List returns up to limit records of object from offset, in creation
// order, and the total count. limit <= 0 means all.
func (s *Store) List(object string, offset, limit int) ([]Record, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[object]
	if t == nil {
		return nil, 0
	}
	total := len(t.order)
	offset = max(0, min(offset, total))
	end := total
	if limit > 0 {
		end = min(total, offset+limit)
	}
	out := make([]Record, 0, end-offset)
	for _, id := range t.order[offset:end] {
		out = append(out, cloneRecord(t.records[id]))
	}
	return out, total
}

// Objects lists the objects that have records or fields, sorted.
func (s *Store) Objects() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.tables))
}

// LinkedFrom returns the records that link to (object, id), each with the
// link type, in link order.
func (s *Store) LinkedFrom(object, id string) []Link {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.backlinks[object+"/"+id])
}
