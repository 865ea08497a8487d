package salesforce

import (
	"slices"
	"strings"
)

// Field types as Salesforce's describe names them.
const (
	TypeID        = "id"
	TypeString    = "string"
	TypeTextArea  = "textarea"
	TypeEmail     = "email"
	TypePhone     = "phone"
	TypePicklist  = "picklist"
	TypeCombobox  = "combobox"
	TypeReference = "reference"
	TypeBoolean   = "boolean"
	TypeDateTime  = "datetime"
	TypeDate      = "date"
	TypeInt       = "int"
	TypeDouble    = "double"
	TypeURL       = "url"
)

// Field is the sandbox's metadata for one sObject field; describe renders it.
type Field struct {
	Name              string
	Label             string
	Type              string
	Length            int
	Nillable          bool
	Createable        bool
	Updateable        bool
	DefaultedOnCreate bool
	ExternalID        bool
	Unique            bool
	CaseSensitive     bool
	Custom            bool
	NameField         bool
	IDLookup          bool
	Calculated        bool
	Picklist          []string
	DefaultValue      string
	Restricted        bool
	ReferenceTo       []string
	RelationshipName  string
	Description       string
}

// required reports whether a create must carry a value for f: not nillable, settable, and
// without a server-side default (this is how clients derive "required" from describe).
func (f *Field) required() bool {
	return !f.Nillable && f.Createable && !f.DefaultedOnCreate && f.Type != TypeBoolean
}

// isText reports whether f stores a string value.
func (f *Field) isText() bool {
	switch f.Type {
	case TypeString, TypeTextArea, TypeEmail, TypePhone, TypePicklist, TypeCombobox, TypeURL:
		return true
	}
	return false
}

// Object is the metadata of one sObject type: ordered fields plus a case-insensitive index
// (Salesforce field names are case-insensitive in bodies and SOQL).
type Object struct {
	Name        string
	Label       string
	LabelPlural string
	KeyPrefix   string
	Createable  bool
	fields      []*Field
	byName      map[string]*Field
}

// Field returns the field named name (case-insensitively), or nil.
func (o *Object) Field(name string) *Field { return o.byName[strings.ToLower(name)] }

// Fields returns the object's fields in describe order.
func (o *Object) Fields() []*Field { return slices.Clone(o.fields) }

// addField appends f to the object.
func (o *Object) addField(f *Field) {
	o.fields = append(o.fields, f)
	o.byName[strings.ToLower(f.Name)] = f
}

// clone returns a deep copy so an org can change its own metadata (custom fields, required
// overrides) without touching the shared defaults.
func (o *Object) clone() *Object {
	c := &Object{Name: o.Name, Label: o.Label, LabelPlural: o.LabelPlural, KeyPrefix: o.KeyPrefix,
		Createable: o.Createable, byName: make(map[string]*Field, len(o.fields))}
	for _, f := range o.fields {
		cf := *f
		cf.Picklist = slices.Clone(f.Picklist)
		cf.ReferenceTo = slices.Clone(f.ReferenceTo)
		c.addField(&cf)
	}
	return c
}

// field constructors keep the object tables below readable.

func idField() *Field {
	return &Field{Name: "Id", Label: "Record ID", Type: TypeID, Length: 18, DefaultedOnCreate: true, IDLookup: true}
}

func text(name, label string, length int) *Field {
	return &Field{Name: name, Label: label, Type: TypeString, Length: length, Nillable: true, Createable: true, Updateable: true}
}

func textArea(name, label string, length int) *Field {
	f := text(name, label, length)
	f.Type = TypeTextArea
	return f
}

func typed(typ, name, label string, length int) *Field {
	f := text(name, label, length)
	f.Type = typ
	return f
}

func picklist(name, label string, values ...string) *Field {
	f := typed(TypePicklist, name, label, 255)
	f.Picklist = values
	return f
}

func reference(name, label, relationship string, to ...string) *Field {
	f := typed(TypeReference, name, label, 18)
	f.ReferenceTo = to
	f.RelationshipName = relationship
	return f
}

func ownerField(label string) *Field {
	f := reference("OwnerId", label, "Owner", "User")
	f.Nillable = false
	f.DefaultedOnCreate = true
	return f
}

func checkbox(name, label string) *Field {
	return &Field{Name: name, Label: label, Type: TypeBoolean, Createable: true, Updateable: true, DefaultedOnCreate: true, DefaultValue: "false"}
}

func readOnly(f *Field) *Field {
	f.Createable, f.Updateable = false, false
	return f
}

func auditFields() []*Field {
	return []*Field{
		readOnly(typed(TypeDateTime, "CreatedDate", "Created Date", 0)),
		readOnly(reference("CreatedById", "Created By ID", "CreatedBy", "User")),
		readOnly(typed(TypeDateTime, "LastModifiedDate", "Last Modified Date", 0)),
		readOnly(reference("LastModifiedById", "Last Modified By ID", "LastModifiedBy", "User")),
		readOnly(typed(TypeDateTime, "SystemModstamp", "System Modstamp", 0)),
	}
}

func newObject(name, label, plural, prefix string, createable bool, fields ...*Field) *Object {
	o := &Object{Name: name, Label: label, LabelPlural: plural, KeyPrefix: prefix, Createable: createable,
		byName: map[string]*Field{}}
	o.addField(idField())
	for _, f := range fields {
		o.addField(f)
	}
	for _, f := range auditFields() {
		o.addField(f)
	}
	return o
}

// standardObjects are the shared, never-modified standard objects; c.object clones them.
var standardObjects = defaultObjects()

// defaultObjects returns fresh copies of the standard objects the sandbox serves, with the
// standard fields a sync connector touches (names, labels, types and lengths as in
// Salesforce's object reference).
func defaultObjects() map[string]*Object {
	lastName := text("LastName", "Last Name", 80)
	lastName.Nillable = false
	fullName := readOnly(text("Name", "Full Name", 121))
	fullName.NameField = true

	contact := newObject("Contact", "Contact", "Contacts", PrefixContact, true,
		readOnly(checkbox("IsDeleted", "Deleted")),
		reference("AccountId", "Account ID", "Account", "Account"),
		lastName,
		text("FirstName", "First Name", 40),
		picklist("Salutation", "Salutation", "Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
		fullName,
		textArea("MailingStreet", "Mailing Street", 255),
		text("MailingCity", "Mailing City", 40),
		text("MailingState", "Mailing State/Province", 80),
		text("MailingPostalCode", "Mailing Zip/Postal Code", 20),
		text("MailingCountry", "Mailing Country", 80),
		typed(TypePhone, "Phone", "Business Phone", 40),
		typed(TypePhone, "MobilePhone", "Mobile Phone", 40),
		typed(TypeEmail, "Email", "Email", 80),
		text("Title", "Title", 128),
		text("Department", "Department", 80),
		picklist("LeadSource", "Lead Source", "Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"),
		textArea("Description", "Contact Description", 32000),
		ownerField("Owner ID"),
		checkbox("HasOptedOutOfEmail", "Email Opt Out"),
		checkbox("DoNotCall", "Do Not Call"),
	)

	taskStatus := picklist("Status", "Status", "Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
	taskStatus.Nillable, taskStatus.DefaultedOnCreate, taskStatus.DefaultValue = false, true, "Not Started"
	taskPriority := picklist("Priority", "Priority", "High", "Normal", "Low")
	taskPriority.Nillable, taskPriority.DefaultedOnCreate, taskPriority.DefaultValue = false, true, "Normal"
	// TaskSubtype is create-only and restricted (object reference: values Task, Email,
	// ListEmail, Cadence, Call, LinkedIn).
	taskSubtype := picklist("TaskSubtype", "Task Subtype", "Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")
	taskSubtype.Updateable, taskSubtype.Restricted = false, true
	task := newObject("Task", "Task", "Tasks", PrefixTask, true,
		reference("WhoId", "Name ID", "Who", "Contact", "Lead"),
		reference("WhatId", "Related To ID", "What", "Account"),
		typed(TypeCombobox, "Subject", "Subject", 255),
		typed(TypeDate, "ActivityDate", "Due Date Only", 0),
		taskStatus,
		taskPriority,
		ownerField("Assigned To ID"),
		textArea("Description", "Description", 32000),
		readOnly(checkbox("IsClosed", "Closed")),
		typed(TypeInt, "CallDurationInSeconds", "Call Duration", 0),
		picklist("CallType", "Call Type", "Internal", "Inbound", "Outbound"),
		text("CallDisposition", "Call Result", 255),
		text("CallObject", "Call Object Identifier", 255),
		taskSubtype,
		readOnly(typed(TypeDateTime, "CompletedDateTime", "Completed Date/Time", 0)),
	)

	showAs := picklist("ShowAs", "Show Time As", "Busy", "OutOfOffice", "Free")
	showAs.Restricted = true
	eventSubtype := picklist("EventSubtype", "Event Subtype", "Event")
	eventSubtype.Updateable, eventSubtype.Restricted = false, true
	event := newObject("Event", "Event", "Events", PrefixEvent, true,
		reference("WhoId", "Name ID", "Who", "Contact", "Lead"),
		reference("WhatId", "Related To ID", "What", "Account"),
		typed(TypeCombobox, "Subject", "Subject", 255),
		text("Location", "Location", 255),
		checkbox("IsAllDayEvent", "All-Day Event"),
		typed(TypeDateTime, "ActivityDateTime", "Due Date Time", 0),
		typed(TypeDate, "ActivityDate", "Due Date Only", 0),
		typed(TypeInt, "DurationInMinutes", "Duration", 0),
		typed(TypeDateTime, "StartDateTime", "Start Date Time", 0),
		typed(TypeDateTime, "EndDateTime", "End Date Time", 0),
		textArea("Description", "Description", 32000),
		ownerField("Assigned To ID"),
		showAs,
		eventSubtype,
	)

	userName := readOnly(text("Name", "Full Name", 121))
	userName.NameField = true
	user := newObject("User", "User", "Users", PrefixUser, false,
		readOnly(text("Username", "Username", 80)),
		readOnly(text("LastName", "Last Name", 80)),
		readOnly(text("FirstName", "First Name", 40)),
		userName,
		readOnly(typed(TypeEmail, "Email", "Email", 128)),
		readOnly(text("Title", "Title", 80)),
		readOnly(checkbox("IsActive", "Active")),
		readOnly(reference("ProfileId", "Profile ID", "Profile", "Profile")),
		readOnly(picklist("UserType", "User Type", "Standard", "PowerPartner", "CsnOnly", "AutomatedProcess")),
	)

	permSet := newObject(ObjectPermissionSet, "Permission Set", "Permission Sets", PrefixPermSet, false,
		readOnly(text("Name", "Name", 80)),
		readOnly(text("Label", "Label", 80)),
		readOnly(checkbox("IsOwnedByProfile", "Is Owned by Profile")),
		readOnly(reference("ProfileId", "Profile ID", "Profile", "Profile")),
	)
	parent := reference("ParentId", "Parent ID", "Parent", "PermissionSet")
	parent.Nillable, parent.Updateable = false, false
	sobjectType := text("SobjectType", "Object Type", 40)
	sobjectType.Nillable, sobjectType.Updateable = false, false
	fieldName := text("Field", "Field Name", 255)
	fieldName.Nillable, fieldName.Updateable = false, false
	fieldPerms := newObject(ObjectFieldPermissions, "Field Permissions", "Field Permissions", PrefixFieldPerms, true,
		parent, sobjectType, fieldName,
		checkbox("PermissionsRead", "Read Access"),
		checkbox("PermissionsEdit", "Edit Access"),
	)

	return map[string]*Object{"contact": contact, "task": task, "event": event, "user": user,
		"permissionset": permSet, "fieldpermissions": fieldPerms}
}
