package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// call is what the REST middleware hands a data handler: the request's API version, the
// authenticated token and the instance URL.
type call struct {
	version string  // "v60.0"
	vnum    float64 // 60.0
	tok     emu.Token
	base    string // instance_url: the mount point as the client sees it
}

// dataPath is the path of a data resource under this call's version, as Salesforce writes
// it in attributes.url and nextRecordsUrl (relative to the instance).
func (c *call) dataPath(parts ...string) string {
	return "/services/data/" + c.version + "/" + strings.Join(parts, "/")
}

// versionPattern matches the vNN.N path segment.
var versionPattern = regexp.MustCompile(`^v(\d{2,3})\.(\d)$`)

// maxURILength is Salesforce's limit on the request URI (URI plus headers may not exceed
// 16,384 bytes; the sandbox checks the URI alone).
const maxURILength = 16384

// minAPIVersion is the oldest REST API version Salesforce still serves.
const minAPIVersion = 31.0

// api wraps a data handler with what every REST call shares: the version segment, the bearer
// token (401 INVALID_SESSION_ID), the api scope, and the org's 24-hour request count with
// its Sforce-Limit-Info header (403 REQUEST_LIMIT_EXCEEDED once spent).
func (c *CRM) api(h func(http.ResponseWriter, *http.Request, *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.RequestURI()) > maxURILength {
			// Salesforce's front end answers an over-long URI with this HTML (quoted in
			// simple-salesforce issue #271).
			w.Header().Set("Content-Type", "text/html;charset=iso-8859-1")
			w.WriteHeader(http.StatusRequestURITooLong)
			_, _ = w.Write([]byte("<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"))
			return
		}
		version := r.PathValue("version")
		m := versionPattern.FindStringSubmatch(version)
		if m == nil {
			writeRESTError(w, errNotFound())
			return
		}
		vnum, _ := strconv.ParseFloat(m[1]+"."+m[2], 64)
		if vnum < minAPIVersion {
			writeRESTError(w, newRESTError(http.StatusGone, "API_DISABLED_FOR_ORG",
				"API version "+version[1:]+" has been retired", nil))
			return
		}
		token := emu.BearerToken(r, "Bearer")
		if token == "" {
			token = emu.BearerToken(r, "OAuth")
		}
		tok, err := c.env.OAuth.Authenticate(token)
		if err != nil {
			writeRESTError(w, errInvalidSession())
			return
		}
		if !hasScope(tok.Scopes, "api", "full") {
			writeRESTError(w, newRESTError(http.StatusForbidden, CodeInvalidSessionID,
				"This session is not valid for use with the REST API", nil))
			return
		}
		d := c.env.Limits.Take(c.orgID, 1, WindowDailyAPIRequests)
		if len(d.Usages) > 0 {
			u := d.Usages[0]
			w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", u.Used, u.Max))
		}
		if !d.Allowed {
			writeRESTError(w, errRequestLimit())
			return
		}
		h(w, r, &call{version: version, vnum: vnum, tok: tok, base: emu.BaseURL(r)})
	})
}

// hasScope reports whether granted holds any of want.
func hasScope(granted []string, want ...string) bool {
	for _, g := range granted {
		if slices.Contains(want, g) {
			return true
		}
	}
	return false
}

// fieldGrant is the field-level security granted on one field.
type fieldGrant struct{ read, edit bool }

// fieldGrants collects the FieldPermissions records by lower-cased "Object.Field". All
// seeded users share one profile, so a grant on any permission set applies to the API user.
func (c *CRM) fieldGrants() map[string]fieldGrant {
	recs, _ := c.env.Store.List(ObjectFieldPermissions, 0, 0)
	out := make(map[string]fieldGrant, len(recs))
	for _, r := range recs {
		k := strings.ToLower(r.String("Field"))
		g := out[k]
		g.read = g.read || r.Fields["PermissionsRead"] == true || r.Fields["PermissionsEdit"] == true
		g.edit = g.edit || r.Fields["PermissionsEdit"] == true
		out[k] = g
	}
	return out
}

// object returns the metadata of the named sObject for this org: the standard fields plus
// the custom fields created through the Tooling API that FieldPermissions make visible
// (read-only without edit access), with control-API required fields marked not nillable. ok is false for an object the sandbox does not serve.
func (c *CRM) object(name string) (*Object, bool) {
	std, ok := standardObjects[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	o := std.clone()
	var grants map[string]fieldGrant
	for _, f := range c.env.Store.Fields(o.Name) {
		if !f.Custom || f.Archived {
			continue
		}
		if grants == nil {
			grants = c.fieldGrants()
		}
		g, ok := grants[strings.ToLower(o.Name+"."+f.Name)]
		if !ok && (o.Name == ObjectTask || o.Name == ObjectEvent) {
			g, ok = grants[strings.ToLower("Activity."+f.Name)]
		}
		if !ok || !g.read {
			continue // without field-level security the API user cannot see the field
		}
		field := customToField(f)
		if !g.edit {
			field.Createable, field.Updateable = false, false
		}
		o.addField(field)
	}
	for _, name := range c.env.Store.RequiredFields(o.Name) {
		if f := o.Field(name); f != nil {
			f.Nillable = false
			f.DefaultedOnCreate = false
		}
	}
	return o, true
}

// readBody reads a JSON request body, answering JSON_PARSER_ERROR for an empty or
// malformed one.
func readBody(r *http.Request, v any) *restError {
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		return errJSONParser("Unable to read request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errJSONParser("The request body is either invalid or incomplete")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return errJSONParser(fmt.Sprintf("Unexpected character at [line:1, column:%d]", se.Offset))
		case errors.As(err, &te):
			return errJSONParser(fmt.Sprintf("Cannot deserialize instance of %s from %s", te.Type, te.Value))
		}
		return errJSONParser("The request body is either invalid or incomplete")
	}
	return nil
}

// rawRecord converts a decoded record object back into raw values for decodeFields.
func rawRecord(m map[string]any) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		b, _ := json.Marshal(v)
		out[k] = b
	}
	return out
}

// renderRecord writes a record as Salesforce returns it: "attributes" first, then the
// requested fields (all when fields is nil) in describe order, null for empty values.
func renderRecord(o *Object, c *call, rec emu.Record, fields []*Field) json.RawMessage {
	if fields == nil {
		fields = o.fields
	}
	var b bytes.Buffer
	url := c.dataPath("sobjects", o.Name, rec.ID)
	if o == customFieldObject {
		url = c.dataPath("tooling", "sobjects", o.Name, rec.ID)
	}
	attrs, _ := json.Marshal(Attributes{Type: o.Name, URL: url})
	b.WriteString(`{"attributes":`)
	b.Write(attrs)
	for _, f := range fields {
		b.WriteByte(',')
		k, _ := json.Marshal(f.Name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(marshalValue(f, fieldValue(o, rec, f)))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// fieldValue is the value of f on rec, including the fields Salesforce computes.
func fieldValue(o *Object, rec emu.Record, f *Field) any {
	switch f.Name {
	case "Id":
		return rec.ID
	case "CreatedDate", "LastModifiedDate", "SystemModstamp":
		if f.Name == "CreatedDate" {
			return formatDateTime(rec.CreatedAt)
		}
		return formatDateTime(rec.UpdatedAt)
	case "IsDeleted":
		return false
	}
	v, ok := rec.Fields[f.Name]
	if !ok {
		if f.Type == TypeBoolean {
			return false
		}
		return nil
	}
	return v
}

// marshalValue renders one value; int fields are written without a fraction.
func marshalValue(f *Field, v any) []byte {
	if n, ok := v.(float64); ok && f.Type == TypeInt {
		return []byte(strconv.FormatInt(int64(n), 10))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// selectFields resolves a comma-separated ?fields= list; nil means all fields.
func selectFields(o *Object, list string) ([]*Field, *restError) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []*Field
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		f := o.Field(name)
		if f == nil {
			return nil, errBadRequest(CodeInvalidField, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, o.Name))
		}
		out = append(out, f)
	}
	return out, nil
}
