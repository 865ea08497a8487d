package zoho

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// oasDir holds Zoho's own OpenAPI files (zoho/crm-oas v8.0), kept outside
// the repository in the shared reference folder.
func oasDir() string {
	if d := os.Getenv("ZOHO_OAS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "reference", "openapi", "zoho")
}

// loadOAS loads one vendor file, resolving its cross-file references
// (https://raw.githubusercontent.com/Zohocorp-Pvt-Ltd/crm-oas/…/v8.0/x.json)
// to the local copies. Tests skip when the files are not there.
func loadOAS(t *testing.T, name string) *openapi3.T {
	t.Helper()
	dir := oasDir()
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		t.Skipf("vendor OpenAPI files not found in %s", dir)
	}
	loader := openapi3.NewLoader()
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		// Only the vendor's own files, read from the local copy.
		return os.ReadFile(filepath.Join(dir, path.Base(u.Path)))
	}
	doc, err := loader.LoadFromFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return doc
}

// responseSchema is the JSON schema of one documented response.
func responseSchema(t *testing.T, doc *openapi3.T, p, method string, status int) *openapi3.Schema {
	t.Helper()
	item := doc.Paths.Find(p)
	if item == nil {
		t.Fatalf("no path %s", p)
	}
	op := item.GetOperation(method)
	if op == nil || op.Responses.Status(status) == nil {
		t.Fatalf("no %s %s %d", method, p, status)
	}
	return op.Responses.Status(status).Value.Content.Get("application/json").Schema.Value
}

// knownDeviations relaxes the few places where Zoho's OpenAPI contradicts
// what Zoho sends (and the sandbox follows Zoho's documented samples):
// upsert's duplicate_field is null on insert; users' time_zone is a string
// ("Asia/Kolkata"); the users and emails schemas carry sample-derived
// patterns (`[a-z0-9]{9}[@][a-z0-9]{5}[.]com`) that no real address follows.
func knownDeviations(doc *openapi3.T) {
	s := doc.Components.Schemas
	if sr, ok := s["Success_Response"]; ok {
		if df, ok := sr.Value.Properties["duplicate_field"]; ok {
			df.Value.Nullable = true
		}
	}
	if u, ok := s["users"]; ok {
		u.Value.Properties["time_zone"] = openapi3.NewStringSchema().NewRef()
	}
}

// oneOfAsAnyOf rewrites every oneOf below schema as anyOf. Zoho's oneOfs
// overlap (API_Exception requires no key, so any object matches it next to
// the success shape), which makes strict oneOf reject every body.
func oneOfAsAnyOf(schema *openapi3.Schema, seen map[*openapi3.Schema]bool) {
	if schema == nil || seen[schema] {
		return
	}
	seen[schema] = true
	if len(schema.OneOf) > 0 {
		schema.AnyOf = append(schema.AnyOf, schema.OneOf...)
		schema.OneOf = nil
	}
	for _, refs := range [][]*openapi3.SchemaRef{schema.AnyOf, schema.AllOf} {
		for _, r := range refs {
			oneOfAsAnyOf(r.Value, seen)
		}
	}
	for _, r := range schema.Properties {
		oneOfAsAnyOf(r.Value, seen)
	}
	if schema.Items != nil {
		oneOfAsAnyOf(schema.Items.Value, seen)
	}
}

func validateBody(t *testing.T, schema *openapi3.Schema, body []byte) {
	t.Helper()
	oneOfAsAnyOf(schema, map[*openapi3.Schema]bool{})
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := schema.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.DisablePatternValidation(), openapi3.MultiErrors()); err != nil {
		t.Errorf("body does not match Zoho's OpenAPI:\n%v\nbody: %s", err, body)
	}
}

func TestOpenAPI_Records(t *testing.T) {
	doc := loadOAS(t, "record.json")
	knownDeviations(doc)
	e := newEnv(t)
	tok := e.token()
	e.createExternalField(tok)
	upsert := responseSchema(t, doc, "/crm/v8/{module_api_name}/upsert", http.MethodPost, 200)
	insert := responseSchema(t, doc, "/crm/v8/{module_api_name}", http.MethodPost, 200)
	get := responseSchema(t, doc, "/crm/v8/{module_api_name}/{id}", http.MethodGet, 200)

	r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{
		map[string]any{"Last_Name": "A", "SalesHive_External_ID": "SH-1"},
		map[string]any{"Last_Name": "A", "SalesHive_External_ID": "SH-1", "Title": "again"},
		map[string]any{"First_Name": "missing"},
		map[string]any{"Last_Name": "B", "Email": "bad"},
	}, "duplicate_check_fields": []string{"SalesHive_External_ID"}})
	validateBody(t, upsert, r.body)
	id := dataItem(t, r, 0)["details"].(map[string]any)["id"].(string)
	validateBody(t, get, e.api(http.MethodGet, "/Contacts/"+id, tok, nil).body)
	validateBody(t, upsert, e.api(http.MethodPost, "/Contacts/upsert", tok, contactsBody(101)).body)

	c := e.api(http.MethodPost, "/Calls", tok, map[string]any{"data": []any{map[string]any{
		"Subject": "S", "Call_Type": "Outbound", "Call_Start_Time": "2025-06-10T14:05:00+00:00", "Call_Duration": "5:00", "Who_Id": map[string]any{"id": id},
	}}})
	validateBody(t, insert, c.body)
	callID := dataItem(t, c, 0)["details"].(map[string]any)["id"].(string)
	validateBody(t, get, e.api(http.MethodGet, "/Calls/"+callID, tok, nil).body)
	validateBody(t, insert, e.api(http.MethodPost, "/Events", tok, map[string]any{"data": []any{map[string]any{"Event_Title": "T"}}}).body)
	// Request-level errors are API_Exception bodies too.
	validateBody(t, get, e.api(http.MethodGet, "/Contacts/abc", tok, nil).body)
	validateBody(t, get, e.do(http.MethodGet, e.base+"/us/api/crm/v8/Contacts/"+id, "Zoho-oauthtoken nope", nil).body)
}

func TestOpenAPI_Users(t *testing.T) {
	doc := loadOAS(t, "users.json")
	knownDeviations(doc)
	e := newEnv(t)
	validateBody(t, responseSchema(t, doc, "/crm/v8/users", http.MethodGet, 200), e.api(http.MethodGet, "/users?type=AllUsers", e.token(), nil).body)
}

func TestOpenAPI_AssociateEmail(t *testing.T) {
	doc := loadOAS(t, "associate_email.json")
	e := newEnv(t)
	tok := e.token()
	contact := e.newContact(tok, "Lovelace", "ada@example.com")
	p := "/crm/v8/{module}/{recordId}/actions/associate_email"
	email := map[string]any{
		"from":    map[string]any{"user_name": "Rep", "email": "rep@saleshive.example"},
		"to":      []any{map[string]any{"user_name": "Ada", "email": "ada@example.com"}},
		"subject": "Hi", "content": "Hello", "date_time": "2025-06-10T15:00:00+00:00", "sent": true, "original_message_id": "<m1>",
	}
	r := e.api(http.MethodPost, "/Contacts/"+contact+"/actions/associate_email", tok, map[string]any{"Emails": []any{email}})
	validateBody(t, responseSchema(t, doc, p, http.MethodPost, 201), r.body)
	// Zoho's page documents MANDATORY_NOT_FOUND for a missing key; its
	// OpenAPI enum for this endpoint lists only INVALID_DATA and
	// REQUIRED_PARAM_MISSING, so the enum is widened to the documented code.
	if errSchema, ok := doc.Components.Schemas["error"]; ok {
		errSchema.Value.Properties["code"].Value.Enum = append(errSchema.Value.Properties["code"].Value.Enum, "MANDATORY_NOT_FOUND")
	}
	delete(email, "subject")
	r = e.api(http.MethodPost, "/Contacts/"+contact+"/actions/associate_email", tok, map[string]any{"Emails": []any{email}})
	validateBody(t, responseSchema(t, doc, p, http.MethodPost, 400), r.body)
}

func TestOpenAPI_Fields(t *testing.T) {
	doc := loadOAS(t, "fields.json")
	e := newEnv(t)
	tok := e.token()
	r := e.createExternalField(tok)
	validateBody(t, responseSchema(t, doc, "/crm/v8/settings/fields", http.MethodPost, 201), r.body)
	bad := e.api(http.MethodPost, "/settings/fields?module=Contacts", tok, map[string]any{"fields": []any{map[string]any{"data_type": "text"}}})
	validateBody(t, responseSchema(t, doc, "/crm/v8/settings/fields", http.MethodPost, 400), bad.body)
	// The field list is checked against the field schema's properties and
	// types only: Zoho's schema marks ~70 keys required (and non-null) that
	// real responses leave null or omit.
	list := responseSchema(t, doc, "/crm/v8/settings/fields", http.MethodGet, 200)
	if len(list.OneOf) == 1 {
		list = list.OneOf[0].Value
	}
	relaxed := *list.Properties["fields"].Value.Items.Value
	relaxed.Required = nil
	props := openapi3.Schemas{}
	for k, v := range relaxed.Properties {
		if !strings.Contains(v.Ref, "#/components/schemas/") && v.Value != nil && v.Value.Type != nil && !v.Value.Type.Is("object") {
			props[k] = v
		}
	}
	relaxed.Properties = props
	validateBody(t, openapi3.NewObjectSchema().WithProperty("fields", openapi3.NewArraySchema().WithItems(&relaxed)), e.api(http.MethodGet, "/settings/fields?module=Contacts", tok, nil).body)
}
