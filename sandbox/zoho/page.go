package zoho

import (
	"net/http"
	"sort"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// RecordURL is the CRM web-UI link of a record, as the sandbox serves it:
// {base}/{dc}/crm/org{zgid}/tab/{module}/{id}, base being the sandbox's
// Zoho root ({root}/zoho). Real Zoho: https://crm.zoho.{tld}/crm/org{zgid}/tab/Contacts/{id}.
func RecordURL(base, dc, module, id string) string {
	return base + "/" + dc + "/crm/org" + orgZGID + "/tab/" + module + "/" + id
}

// pageLabels are the fields shown on a record page, in order.
var pageLabels = map[string][]string{
	ModuleContacts: {"Full_Name", "Email", "Phone", "Mobile", "Title", "Department", "Account_Name", "Owner", "Mailing_City", "Mailing_Country", "Description"},
	ModuleCalls:    {"Subject", "Call_Type", "Call_Start_Time", "Call_Duration", "Who_Id", "Owner", "Description"},
	ModuleEvents:   {"Event_Title", "Start_DateTime", "End_DateTime", "Venue", "Who_Id", "Owner", "Description"},
}

// handleRecordPage serves the HTML record page
// GET /{dc}/crm/org{zgid}/tab/{module}/{id}. Other datacenters and orgs do
// not know the record.
func (c *CRM) handleRecordPage(w http.ResponseWriter, r *http.Request) {
	module := r.PathValue("module")
	id := r.PathValue("id")
	labels, known := pageLabels[module]
	rec, found := c.env.Store.Get(module, id)
	if !known || !found || r.PathValue("dc") != c.Datacenter().Code || r.PathValue("org") != "org"+orgZGID {
		emu.WriteNotFoundPage(w, "Zoho CRM", singular(module), id)
		return
	}
	fields := fieldsOf(c.env.Store, module)
	page := emu.RecordPage{
		Vendor: "Zoho CRM", AccountName: c.env.Config.AccountName, Object: singular(module),
		Title: displayName(module, rec), ID: rec.ID, Fields: []emu.PageField{},
	}
	for _, name := range labels {
		label := name
		if f, ok := findField(fields, name); ok {
			label = f.Label
		}
		page.Fields = append(page.Fields, emu.PageField{Label: label, Value: pageValue(rec.Fields[name])})
	}
	if module == ModuleContacts {
		page.Sections = c.activitySections(id)
	}
	emu.WriteRecordPage(w, page)
}

// activitySections lists a contact's calls, meetings and emails.
func (c *CRM) activitySections(contactID string) []emu.PageSection {
	sections := map[string]*emu.PageSection{
		ModuleCalls:  {Title: "Calls"},
		ModuleEvents: {Title: "Meetings"},
		ObjectEmails: {Title: "Emails"},
	}
	for _, l := range c.env.Store.LinkedFrom(ModuleContacts, contactID) {
		s, ok := sections[l.Object]
		if !ok {
			continue
		}
		rec, ok := c.env.Store.Get(l.Object, l.ID)
		if !ok {
			continue
		}
		item := emu.PageItem{Time: rec.CreatedAt}
		switch l.Object {
		case ModuleCalls:
			item.Title, item.Detail = rec.String("Subject"), rec.String("Call_Type")+" call, "+rec.String("Call_Duration")
		case ModuleEvents:
			item.Title, item.Detail = rec.String("Event_Title"), rec.String("Start_DateTime")+" – "+rec.String("End_DateTime")
		case ObjectEmails:
			item.Title, item.Detail = rec.String("subject"), rec.String("original_message_id")
		}
		s.Items = append(s.Items, item)
	}
	out := []emu.PageSection{}
	for _, k := range []string{ModuleCalls, ModuleEvents, ObjectEmails} {
		s := sections[k]
		sort.SliceStable(s.Items, func(i, j int) bool { return s.Items[i].Time.Before(s.Items[j].Time) })
		out = append(out, *s)
	}
	return out
}

// pageValue renders a field value for the page: lookups by their name.
func pageValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any:
		if name, ok := x["name"].(string); ok {
			return name
		}
		if id, ok := x["id"].(string); ok {
			return id
		}
	case bool:
		return boolString(x)
	}
	b := emu.Record{Fields: map[string]any{"v": v}}
	return b.String("v")
}

func singular(module string) string {
	switch module {
	case ModuleContacts:
		return "Contact"
	case ModuleCalls:
		return "Call"
	case ModuleEvents:
		return "Meeting"
	}
	return module
}
