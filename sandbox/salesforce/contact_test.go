package salesforce

import (
	"net/http"
	"strings"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

const extField = "SalesHive_External_ID__c"

func TestContactUpsert(t *testing.T) {
	s := mustStart(t, emu.Config{})
	s.createExtField(extField, true)
	path := data("/sobjects/Contact/" + extField + "/SH-1001")
	body := map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com", "Title": "VP Engineering", "OwnerId": s.admin}

	created := s.do("PATCH", path, body)
	wantStatus(t, created, http.StatusCreated)
	golden(t, "contact_upsert_created", body, created)
	id := decode[UpsertResult](t, created).ID
	if !strings.HasPrefix(id, PrefixContact) || len(id) != 18 {
		t.Fatalf("id %q", id)
	}
	if lim := created.header.Get("Sforce-Limit-Info"); !strings.HasPrefix(lim, "api-usage=") || !strings.HasSuffix(lim, "/100000") {
		t.Errorf("Sforce-Limit-Info = %q", lim)
	}

	update := map[string]any{"Title": "Countess", "Email": "ada@lovelace.example"}
	updated := s.do("PATCH", path, update)
	wantStatus(t, updated, http.StatusOK)
	golden(t, "contact_upsert_updated", update, updated)
	if got := decode[UpsertResult](t, updated); got.ID != id || got.Created == nil || *got.Created {
		t.Errorf("update result %+v", got)
	}

	// The external id matches case-insensitively (caseSensitive false), so no second record.
	wantStatus(t, s.do("PATCH", data("/sobjects/Contact/"+extField+"/sh-1001"), map[string]any{"Department": "R&D"}), http.StatusOK)
	if n := s.crm.Env().Store.Len(ObjectContact); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}

	got := s.do("GET", data("/sobjects/Contact/"+id), nil)
	wantStatus(t, got, http.StatusOK)
	golden(t, "contact_get", nil, got)
	rec := decode[map[string]any](t, got)
	if rec["Title"] != "Countess" || rec["Name"] != "Ada Lovelace" || rec["Department"] != "R&D" || rec[extField] != "SH-1001" || rec["OwnerId"] != s.admin {
		t.Errorf("record %v", rec)
	}
	sel := decode[map[string]any](t, s.do("GET", data("/sobjects/Contact/"+id+"?fields=Id,Email"), nil))
	if len(sel) != 3 || sel["Email"] != "ada@lovelace.example" {
		t.Errorf("fields=Id,Email gave %v", sel)
	}
	byExt := s.do("GET", path, nil)
	wantStatus(t, byExt, http.StatusOK)
	if decode[map[string]any](t, byExt)["Id"] != id {
		t.Errorf("get by external id: %s", byExt.body)
	}

	t.Run("API45UpdateIs204", func(t *testing.T) {
		r := s.do("PATCH", "/services/data/v45.0/sobjects/Contact/"+extField+"/SH-1001", map[string]any{"Title": "Old API"})
		wantStatus(t, r, http.StatusNoContent)
		r = s.do("PATCH", "/services/data/v45.0/sobjects/Contact/"+extField+"/SH-4500", map[string]any{"LastName": "Old"})
		wantStatus(t, r, http.StatusCreated)
		if _, ok := decode[map[string]any](t, r)["created"]; ok {
			t.Errorf("v45.0 create has created key: %s", r.body)
		}
	})
	t.Run("UpdateOnlyWithoutMatch", func(t *testing.T) {
		r := s.do("PATCH", data("/sobjects/Contact/"+extField+"/SH-none?updateOnly=true"), map[string]any{"LastName": "X"})
		wantStatus(t, r, http.StatusNotFound)
	})
	t.Run("NotAnExternalIDField", func(t *testing.T) {
		r := s.do("PATCH", data("/sobjects/Contact/Email/x@example.com"), map[string]any{"LastName": "X"})
		wantStatus(t, r, http.StatusNotFound)
		golden(t, "contact_upsert_not_external_id", nil, r)
	})
	t.Run("UnknownObject", func(t *testing.T) {
		r := s.do("PATCH", data("/sobjects/Widget__c/"+extField+"/1"), map[string]any{"Name": "X"})
		wantStatus(t, r, http.StatusNotFound)
		golden(t, "error_not_found", nil, r)
	})
	t.Run("UpdateByID", func(t *testing.T) {
		wantStatus(t, s.do("PATCH", data("/sobjects/Contact/"+id), map[string]any{"MobilePhone": "+44 20 7946 0000"}), http.StatusNoContent)
		rec, _ := s.crm.Env().Store.Get(ObjectContact, id)
		if rec.Fields["MobilePhone"] != "+44 20 7946 0000" {
			t.Errorf("MobilePhone = %v", rec.Fields["MobilePhone"])
		}
	})
	t.Run("WrongMethod", func(t *testing.T) {
		r := s.do("PUT", data("/sobjects/Contact/"+id), map[string]any{"LastName": "X"})
		wantStatus(t, r, http.StatusMethodNotAllowed)
		golden(t, "error_method_not_allowed", nil, r)
		if r.header.Get("Allow") != "GET,PATCH" {
			t.Errorf("Allow = %q", r.header.Get("Allow"))
		}
		wantStatus(t, s.do("GET", data("/nothing/here"), nil), http.StatusNotFound)
	})
	t.Run("GetUnknownID", func(t *testing.T) {
		wantStatus(t, s.do("GET", data("/sobjects/Contact/"+NewID(PrefixContact, 999)), nil), http.StatusNotFound)
	})
	t.Run("CreateWithPOST", func(t *testing.T) {
		r := s.do("POST", data("/sobjects/Contact"), map[string]any{"LastName": "Turing"})
		wantStatus(t, r, http.StatusCreated)
		golden(t, "contact_create", map[string]any{"LastName": "Turing"}, r)
	})
}

func TestContactValidation(t *testing.T) {
	s := mustStart(t, emu.Config{})
	s.createExtField(extField, true)
	users, _ := s.crm.Env().Store.List(ObjectUser, 0, 0)
	inactive := users[3].ID
	tests := []struct {
		name     string
		body     string
		wantCode string
	}{
		{"RequiredLastName", `{"FirstName":"Ada","Email":"ada@example.com"}`, CodeRequiredFieldMissing},
		{"EmptyLastNameIsMissing", `{"LastName":""}`, CodeRequiredFieldMissing},
		{"InvalidEmail", `{"LastName":"Lovelace","Email":"not-an-email"}`, CodeInvalidEmailAddress},
		{"StringTooLong", `{"LastName":"` + strings.Repeat("é", 81) + `"}`, CodeStringTooLong},
		{"UnknownField", `{"LastName":"Lovelace","Favourite_Colour__c":"blue"}`, CodeInvalidField},
		{"ReadOnlyField", `{"LastName":"Lovelace","Name":"Ada Lovelace"}`, CodeInvalidFieldForInsert},
		{"MalformedOwner", `{"LastName":"Lovelace","OwnerId":"not-an-id"}`, CodeMalformedID},
		{"OwnerOfWrongType", `{"LastName":"Lovelace","OwnerId":"` + NewID(PrefixContact, 1) + `"}`, CodeFieldIntegrity},
		{"UnknownOwner", `{"LastName":"Lovelace","OwnerId":"` + NewID(PrefixUser, 77) + `"}`, CodeInvalidCrossReference},
		{"InactiveOwner", `{"LastName":"Lovelace","OwnerId":"` + inactive + `"}`, CodeInactiveOwner},
		{"RestrictedPicklistOK", `{"LastName":"Lovelace","LeadSource":"Anything"}`, ""},
		{"WrongJSONType", `{"LastName":["Lovelace"]}`, CodeJSONParser},
		{"MalformedJSON", `{"LastName":`, CodeJSONParser},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("PATCH", data("/sobjects/Contact/"+extField+"/V-"+itoa(i)), tt.body)
			if tt.wantCode == "" {
				wantStatus(t, r, http.StatusCreated)
				return
			}
			wantStatus(t, r, http.StatusBadRequest)
			golden(t, "contact_error_"+strings.ToLower(tt.name), tt.body, r)
			if errs := decode[[]APIError](t, r); len(errs) != 1 || errs[0].ErrorCode != tt.wantCode {
				t.Errorf("errors %s, want %s", r.body, tt.wantCode)
			}
		})
	}
	if n := s.crm.Env().Store.Len(ObjectContact); n != 1 {
		t.Errorf("%d contacts stored, want only the valid one", n)
	}

	t.Run("ControlAPIRequiredField", func(t *testing.T) {
		s.crm.Env().Store.SetRequired(ObjectContact, "Phone", true)
		defer s.crm.Env().Store.SetRequired(ObjectContact, "Phone", false)
		r := s.do("PATCH", data("/sobjects/Contact/"+extField+"/REQ-1"), map[string]any{"LastName": "Hopper"})
		wantStatus(t, r, http.StatusBadRequest)
		golden(t, "contact_error_control_required", nil, r)
		desc := decode[DescribeResult](t, s.do("GET", data("/sobjects/Contact/describe"), nil))
		for _, f := range desc.Fields {
			if f.Name == "Phone" && f.Nillable {
				t.Error("describe still shows Phone nillable")
			}
		}
	})
	t.Run("UpdateValidatesMergedRecord", func(t *testing.T) {
		r := s.do("PATCH", data("/sobjects/Contact/"+extField+"/V-10"), map[string]any{"LastName": nil})
		wantStatus(t, r, http.StatusBadRequest)
		if errs := decode[[]APIError](t, r); errs[0].ErrorCode != CodeRequiredFieldMissing {
			t.Errorf("clearing LastName: %s", r.body)
		}
	})
}

func TestCustomField(t *testing.T) {
	s := mustStart(t, emu.Config{})
	req := CustomFieldRequest{FullName: "Contact." + extField, Metadata: CustomFieldMetadata{
		Label: "SalesHive External ID", Type: "Text", Length: 255, ExternalID: true, Unique: true, Description: "Set by SalesHive sync; do not edit"}}
	r := s.do("POST", data("/tooling/sobjects/CustomField"), req)
	wantStatus(t, r, http.StatusCreated)
	golden(t, "tooling_customfield_create", req, r)
	id := decode[ToolingSaveResult](t, r).ID

	t.Run("InvisibleWithoutFieldLevelSecurity", func(t *testing.T) {
		r := s.do("PATCH", data("/sobjects/Contact/"+extField+"/FLS-1"), map[string]any{"LastName": "Hidden"})
		wantStatus(t, r, http.StatusNotFound)
		golden(t, "contact_upsert_field_without_fls", nil, r)
		desc := decode[DescribeResult](t, s.do("GET", data("/sobjects/Contact/describe"), nil))
		for _, f := range desc.Fields {
			if f.Name == extField {
				t.Error("describe lists a field the user has no access to")
			}
		}
		ps := s.permissionSet()
		bad := s.do("POST", data("/sobjects/FieldPermissions"), map[string]any{"ParentId": ps, "SobjectType": "Contact", "Field": "Contact.Nope__c", "PermissionsRead": true})
		wantStatus(t, bad, http.StatusBadRequest)
		// Read-only access: visible, not writable.
		ro := s.do("POST", data("/sobjects/FieldPermissions"), map[string]any{"ParentId": ps, "SobjectType": "Contact", "Field": "Contact." + extField, "PermissionsRead": true})
		wantStatus(t, ro, http.StatusCreated)
		w := s.do("POST", data("/sobjects/Contact"), map[string]any{"LastName": "RO", extField: "RO-1"})
		if wantStatus(t, w, http.StatusBadRequest); decode[[]APIError](t, w)[0].ErrorCode != CodeInvalidFieldForInsert {
			t.Errorf("write to a read-only field: %s", w.body)
		}
		dup := s.do("POST", data("/sobjects/FieldPermissions"), map[string]any{"ParentId": ps, "SobjectType": "Contact", "Field": "Contact." + extField, "PermissionsRead": true})
		wantStatus(t, dup, http.StatusBadRequest)
		upd := s.do("PATCH", data("/sobjects/FieldPermissions/"+decode[SaveResult](t, ro).ID), map[string]any{"PermissionsEdit": true})
		wantStatus(t, upd, http.StatusNoContent)
	})

	dup := s.do("POST", data("/tooling/sobjects/CustomField"), req)
	wantStatus(t, dup, http.StatusBadRequest)
	golden(t, "tooling_customfield_duplicate", nil, dup)

	bad := s.do("POST", data("/tooling/sobjects/CustomField"), CustomFieldRequest{FullName: "Contact.Bad__Name__c", Metadata: CustomFieldMetadata{Label: "x", Type: "Text", Length: 10}})
	wantStatus(t, bad, http.StatusBadRequest)

	desc := decode[DescribeResult](t, s.do("GET", data("/sobjects/Contact/describe"), nil))
	var found *DescribeField
	for i := range desc.Fields {
		if desc.Fields[i].Name == extField {
			found = &desc.Fields[i]
		}
	}
	if found == nil || !found.ExternalID || !found.Unique || !found.Custom || found.Length != 255 || !found.IDLookup {
		t.Fatalf("describe field %+v", found)
	}

	got := s.do("GET", data("/tooling/sobjects/CustomField/"+id), nil)
	wantStatus(t, got, http.StatusOK)
	tq := s.do("GET", data("/tooling/query?q=SELECT+Id,DeveloperName,TableEnumOrId+FROM+CustomField+WHERE+DeveloperName='SalesHive_External_ID'"), nil)
	wantStatus(t, tq, http.StatusOK)
	golden(t, "tooling_query_customfield", nil, tq)
	if res := decode[QueryResult](t, tq); res.TotalSize != 1 {
		t.Errorf("tooling query: %s", tq.body)
	}

	t.Run("UniquenessEnforced", func(t *testing.T) {
		wantStatus(t, s.do("PATCH", data("/sobjects/Contact/"+extField+"/U-1"), map[string]any{"LastName": "One"}), http.StatusCreated)
		body := map[string]any{"LastName": "Two", extField: "u-1"}
		r := s.do("POST", data("/sobjects/Contact"), body)
		wantStatus(t, r, http.StatusBadRequest)
		golden(t, "contact_error_duplicate_value", body, r)
		errs := decode[[]map[string]any](t, r)
		if errs[0]["errorCode"] != CodeDuplicateValue || errs[0]["fields"] == nil || len(errs[0]["fields"].([]any)) != 0 {
			t.Errorf("DUPLICATE_VALUE body %s", r.body)
		}
	})
	t.Run("NonUniqueExternalIDAnswers300", func(t *testing.T) {
		s.do("POST", data("/tooling/sobjects/CustomField"), CustomFieldRequest{FullName: "Contact.Legacy_ID__c",
			Metadata: CustomFieldMetadata{Label: "Legacy ID", Type: "Text", Length: 40, ExternalID: true}})
		s.grantFLS("Contact", "Legacy_ID__c", true)
		for range 2 {
			wantStatus(t, s.do("POST", data("/sobjects/Contact"), map[string]any{"LastName": "Twin", "Legacy_ID__c": "L-1"}), http.StatusCreated)
		}
		r := s.do("PATCH", data("/sobjects/Contact/Legacy_ID__c/L-1"), map[string]any{"Title": "x"})
		wantStatus(t, r, http.StatusMultipleChoices)
		if urls := decode[[]string](t, r); len(urls) != 2 {
			t.Errorf("300 body %s", r.body)
		}
	})
	t.Run("ActivityField", func(t *testing.T) {
		r := s.do("POST", data("/tooling/sobjects/CustomField"), CustomFieldRequest{FullName: "Activity.SalesHive_Activity_ID__c",
			Metadata: CustomFieldMetadata{Label: "SalesHive Activity ID", Type: "Text", Length: 64, ExternalID: true, Unique: true}})
		wantStatus(t, r, http.StatusCreated)
		s.grantFLS("Task", "SalesHive_Activity_ID__c", true)
		s.grantFLS("Event", "SalesHive_Activity_ID__c", true)
		for _, obj := range []string{"Task", "Event"} {
			d := decode[DescribeResult](t, s.do("GET", data("/sobjects/"+obj+"/describe"), nil))
			if d.Fields[len(d.Fields)-1].Name != "SalesHive_Activity_ID__c" {
				t.Errorf("%s lacks the Activity field", obj)
			}
		}
	})
}

func TestDescribe(t *testing.T) {
	s := mustStart(t, emu.Config{})
	r := s.do("GET", data("/sobjects/Contact/describe"), nil)
	wantStatus(t, r, http.StatusOK)
	golden(t, "describe_contact", nil, r)
	d := decode[DescribeResult](t, r)
	var required []string
	for _, f := range d.Fields {
		if !f.Nillable && f.Createable && !f.DefaultedOnCreate {
			required = append(required, f.Name)
		}
	}
	if strings.Join(required, ",") != "LastName" {
		t.Errorf("required fields %v, want [LastName]", required)
	}
	for _, path := range []string{"/sobjects/Task/describe", "/sobjects/Event/describe", "/sobjects/User/describe", "/sobjects", "/sobjects/Contact", "/", ""} {
		wantStatus(t, s.do("GET", data(path), nil), http.StatusOK)
	}
	versions := s.doToken("", "GET", "/services/data", nil)
	wantStatus(t, versions, http.StatusOK)
	golden(t, "versions", nil, versions)
	wantStatus(t, s.do("GET", "/services/data/v20.0/limits", nil), http.StatusGone)
	wantStatus(t, s.do("GET", "/services/data/latest/limits", nil), http.StatusNotFound)
}
