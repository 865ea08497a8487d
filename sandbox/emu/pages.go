package emu

import (
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Consent is an authorize request, parsed by the CRM from its own
// parameter names, ready for ServeConsent.
type Consent struct {
	// Vendor is the CRM's display name ("HubSpot").
	Vendor string
	// AccountName is the account the user signs in to.
	AccountName string
	// AppName is the app asking for access (the client id when the CRM has no app names).
	AppName string
	// CodeRequest is the request to approve (client, redirect URI, scopes, PKCE, extra).
	CodeRequest
	// State is echoed to the redirect URI untouched.
	State string
	// RedirectParams are added to the redirect on Allow (Zoho's
	// accounts-server and location, say).
	RedirectParams url.Values
}

// ServeConsent runs the consent step of an authorize endpoint. On GET it
// shows a page with the account, the app, the scopes and two buttons (ids
// "allow" and "deny") that POST back to the same URL. On POST it redirects
// (302) to the redirect URI with code and state on Allow, or with
// error=access_denied and state on Deny. The CRM validates the client id
// and redirect URI before calling it, answering in its own error format.
func ServeConsent(w http.ResponseWriter, r *http.Request, o *OAuth, c Consent) {
	if r.Method != http.MethodPost {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = consentTmpl.Execute(w, c)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q := url.Values{}
	if r.PostForm.Get("decision") == "allow" {
		code, err := o.IssueCode(c.CodeRequest)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q.Set("code", code)
		for k, vs := range c.RedirectParams {
			q[k] = slices.Clone(vs)
		}
	} else {
		q.Set("error", "access_denied")
		q.Set("error_description", "The user denied access")
	}
	if c.State != "" {
		q.Set("state", c.State)
	}
	http.Redirect(w, r, AddQuery(c.RedirectURI, q), http.StatusFound)
}

// AddQuery returns rawURL with q's parameters added to its query.
func AddQuery(rawURL string, q url.Values) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	old := u.Query()
	for k, vs := range q {
		old[k] = vs
	}
	u.RawQuery = old.Encode()
	return u.String()
}

var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Vendor}} · Authorize {{.AppName}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}
.card{border:1px solid #ddd;border-radius:8px;padding:1.5rem}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}
#allow{background:#0b6;color:#fff;border:0;border-radius:4px}#deny{background:#eee;border:1px solid #ccc;border-radius:4px}</style></head>
<body><div class="card">
<p class="vendor">{{.Vendor}} (sandbox)</p>
<h1>Connect {{.AppName}} to {{.AccountName}}</h1>
<p><strong id="app-name">{{.AppName}}</strong> is asking for access to <strong id="account-name">{{.AccountName}}</strong>.</p>
{{if .Scopes}}<p>It will be able to:</p><ul id="scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<form method="post">
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</form></div></body></html>
`))

// PageField is one labelled value on a record page.
type PageField struct {
	Label string
	Value string
}

// PageItem is one line of a related list (an activity on a contact's timeline).
type PageItem struct {
	Title  string
	Detail string
	Time   time.Time
}

// PageSection is a titled related list on a record page.
type PageSection struct {
	Title string
	Items []PageItem
}

// RecordPage is the content of an HTML record page.
type RecordPage struct {
	// Vendor is the CRM's display name.
	Vendor string
	// AccountName is shown in the header.
	AccountName string
	// Object is the object's display name ("Contact").
	Object string
	// Title is the record's display name ("Ada Lovelace").
	Title string
	// ID is the record id.
	ID string
	// Fields are the labelled values; nil shows every field of Record by name.
	Fields []PageField
	// Record supplies the fields when Fields is nil.
	Record Record
	// Sections are related lists (activities).
	Sections []PageSection
}

// WriteRecordPage writes an HTML page showing one record, for the CRM's
// "open in CRM" URL. The record's title is in the element with id
// "record-title" and each field in a row with class "field".
func WriteRecordPage(w http.ResponseWriter, p RecordPage) {
	if p.Fields == nil {
		for _, k := range slices.Sorted(maps.Keys(p.Record.Fields)) {
			p.Fields = append(p.Fields, PageField{Label: k, Value: valueString(p.Record.Fields[k])})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = recordTmpl.Execute(w, p)
}

// WriteNotFoundPage writes the HTML 404 page of a record URL whose record
// does not exist.
func WriteNotFoundPage(w http.ResponseWriter, vendor, object, id string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_ = notFoundTmpl.Execute(w, map[string]string{"Vendor": vendor, "Object": object, "ID": id})
}

var recordTmpl = template.Must(template.New("record").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · {{.Object}} · {{.Vendor}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.35rem;text-align:left;vertical-align:top}th{width:30%;color:#555}</style></head>
<body><header><p class="vendor">{{.Vendor}} (sandbox){{if .AccountName}} · {{.AccountName}}{{end}}</p></header>
<main><p class="object">{{.Object}}</p><h1 id="record-title">{{.Title}}</h1>
<p>Record ID <code id="record-id">{{.ID}}</code></p>
<table id="fields">{{range .Fields}}<tr class="field"><th>{{.Label}}</th><td>{{.Value}}</td></tr>{{end}}</table>
{{range .Sections}}<section><h2>{{.Title}}</h2>{{if .Items}}<ul>{{range .Items}}<li><strong>{{.Title}}</strong>{{if not .Time.IsZero}} · {{.Time.Format "2006-01-02 15:04 MST"}}{{end}}{{if .Detail}}<br>{{.Detail}}{{end}}</li>{{end}}</ul>{{else}}<p>None yet.</p>{{end}}</section>{{end}}
</main></body></html>
`))

var notFoundTmpl = template.Must(template.New("notfound").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found · {{.Vendor}}</title></head>
<body><h1>{{.Object}} not found</h1><p>{{.Vendor}} (sandbox) has no {{.Object}} with id <code>{{.ID}}</code>. It may have been deleted.</p></body></html>
`))
