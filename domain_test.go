package crmsync_test

import (
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
)

func fieldsOf(err error) map[string]bool {
	m := map[string]bool{}
	for _, f := range crmsync.ErrorFields(err) {
		m[f.Field] = true
	}
	return m
}

func TestContact_Validate(t *testing.T) {
	ok := crmsync.Contact{SourceID: "c1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}
	tests := []struct {
		name   string
		edit   func(c *crmsync.Contact)
		fields []string // invalid fields expected; nil means valid
	}{
		{"OK", func(c *crmsync.Contact) {}, nil},
		{"EmailOnly", func(c *crmsync.Contact) { c.FirstName, c.LastName = "", "" }, nil},
		{"Unicode", func(c *crmsync.Contact) { c.LastName = "Ångström 山田" }, nil},
		{"MissingSourceID", func(c *crmsync.Contact) { c.SourceID = " " }, []string{"source_id"}},
		{"NoNameNoEmail", func(c *crmsync.Contact) { c.FirstName, c.LastName, c.Email = "", "", "" }, []string{"last_name"}},
		{"BadEmail", func(c *crmsync.Contact) { c.Email = "ada@" }, []string{"email"}},
		{"DisplayNameEmail", func(c *crmsync.Contact) { c.Email = "Ada <ada@example.com>" }, []string{"email"}},
		{"LongName", func(c *crmsync.Contact) { c.LastName = strings.Repeat("x", 81) }, []string{"last_name"}},
		{"BadCustomKey", func(c *crmsync.Contact) { c.CustomFields = map[string]string{"Bad Key": "v"} }, []string{"custom_fields.Bad Key"}},
		{"Several", func(c *crmsync.Contact) { c.SourceID = ""; c.Email = "nope" }, []string{"source_id", "email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if crmsync.ErrorCode(err) != crmsync.EINVALID {
				t.Fatalf("Validate() code = %q, want invalid", crmsync.ErrorCode(err))
			}
			got := fieldsOf(err)
			for _, f := range tt.fields {
				if !got[f] {
					t.Errorf("field %q not reported; got %v", f, crmsync.ErrorFields(err))
				}
			}
			if len(got) != len(tt.fields) {
				t.Errorf("reported %v, want exactly %v", crmsync.ErrorFields(err), tt.fields)
			}
		})
	}
}

func TestActivity_Validate(t *testing.T) {
	at := time.Date(2026, 7, 2, 15, 0, 0, 0, time.UTC)
	end := at.Add(-time.Hour)
	ok := crmsync.Activity{SourceID: "a1", ContactSourceID: "c1", Kind: crmsync.ActivityCall, OccurredAt: at, DurationSeconds: 60}
	tests := []struct {
		name   string
		edit   func(a *crmsync.Activity)
		fields []string
	}{
		{"OK", func(a *crmsync.Activity) {}, nil},
		{"MeetingWithAttendees", func(a *crmsync.Activity) {
			a.Kind = crmsync.ActivityMeeting
			a.Attendees = []string{"ada@example.com"}
		}, nil},
		{"UnknownKind", func(a *crmsync.Activity) { a.Kind = "sms" }, []string{"kind"}},
		{"NoTime", func(a *crmsync.Activity) { a.OccurredAt = time.Time{} }, []string{"occurred_at"}},
		{"NegativeDuration", func(a *crmsync.Activity) { a.DurationSeconds = -1 }, []string{"duration_seconds"}},
		{"BadDirection", func(a *crmsync.Activity) { a.Direction = "sideways" }, []string{"direction"}},
		{"EndsBeforeStart", func(a *crmsync.Activity) { a.Kind = crmsync.ActivityMeeting; a.EndsAt = &end }, []string{"ends_at"}},
		{"AttendeesOnCall", func(a *crmsync.Activity) { a.Attendees = []string{"ada@example.com"} }, []string{"attendees"}},
		{"BadAttendee", func(a *crmsync.Activity) { a.Kind = crmsync.ActivityMeeting; a.Attendees = []string{"x"} }, []string{"attendees[0]"}},
		{"MissingContact", func(a *crmsync.Activity) { a.ContactSourceID = "" }, []string{"contact_source_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok
			tt.edit(&a)
			err := a.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			got := fieldsOf(err)
			for _, f := range tt.fields {
				if !got[f] {
					t.Errorf("field %q not reported; got %v", f, crmsync.ErrorFields(err))
				}
			}
		})
	}
}

func TestFieldMapping_Validate(t *testing.T) {
	tests := []struct {
		name  string
		m     crmsync.FieldMapping
		field string // "" means valid
	}{
		{"SourceField", crmsync.FieldMapping{SourceField: "email", CRMField: "Email"}, ""},
		{"CustomSource", crmsync.FieldMapping{SourceField: "custom.industry", CRMField: "Industry"}, ""},
		{"FixedValue", crmsync.FieldMapping{FixedValue: "SalesHive", CRMField: "LeadSource"}, ""},
		{"EmptyFixedValue", crmsync.FieldMapping{CRMField: "LeadSource"}, "fixed_value"},
		{"Both", crmsync.FieldMapping{SourceField: "email", FixedValue: "x", CRMField: "Email"}, "source_field"},
		{"UnknownSource", crmsync.FieldMapping{SourceField: "shoe_size", CRMField: "Email"}, "source_field"},
		{"NoCRMField", crmsync.FieldMapping{SourceField: "email"}, "crm_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if !fieldsOf(err)[tt.field] {
				t.Errorf("Validate() = %v, want field %q reported", err, tt.field)
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	if got := crmsync.ErrorMessage(errString("db password leaked")); got != "Internal error." {
		t.Errorf("ErrorMessage of a plain error = %q; internals must not leak", got)
	}
	if got := crmsync.ErrorCode(crmsync.Errorf(crmsync.ENOTFOUND, "No connection.")); got != crmsync.ENOTFOUND {
		t.Errorf("ErrorCode = %q", got)
	}
	for _, p := range crmsync.Problems {
		info := p.Info()
		if info.Title == "" || info.Meaning == "" || info.Fix == "" {
			t.Errorf("problem %s lacks card text: %+v", p, info)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestFieldMappingValueFor writes a fixed value as is, and a source field
// (standard or custom) from the contact; a field the contact lacks is "".
func TestFieldMappingValueFor(t *testing.T) {
	c := &crmsync.Contact{Email: "ada@example.com", CustomFields: map[string]string{"tier": "gold"}}
	tests := []struct {
		m    crmsync.FieldMapping
		want string
	}{
		{crmsync.FieldMapping{FixedValue: "SalesHive", CRMField: "LeadSource"}, "SalesHive"},
		{crmsync.FieldMapping{SourceField: "email", CRMField: "Email"}, "ada@example.com"},
		{crmsync.FieldMapping{SourceField: "custom.tier", CRMField: "Tier__c"}, "gold"},
		{crmsync.FieldMapping{SourceField: "phone", CRMField: "Phone"}, ""},
		{crmsync.FieldMapping{SourceField: "custom.missing", CRMField: "X__c"}, ""},
	}
	for _, tt := range tests {
		if got := tt.m.ValueFor(c); got != tt.want {
			t.Errorf("%+v.ValueFor = %q, want %q", tt.m, got, tt.want)
		}
	}
}
