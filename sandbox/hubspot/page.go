package hubspot

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// RecordURL is the web-UI link of a record (crm-api-facts §2.8), under the
// sandbox base URL that stands for app.hubspot.com.
func RecordURL(baseURL, objectTypeID, id string) string {
	return strings.TrimRight(baseURL, "/") + "/contacts/" + strconv.Itoa(HubID) + "/record/" + objectTypeID + "/" + id
}

// handleRecordPage serves /contacts/{hubId}/record/{objectTypeId}/{id}: the
// record's properties and, for a contact, its calls, emails, meetings and
// notes, as on the contact's timeline.
func (c *CRM) handleRecordPage(w http.ResponseWriter, r *http.Request) {
	ot, ok := lookupObjectType(r.PathValue("objectTypeId"))
	id := r.PathValue("recordId")
	if !ok || r.PathValue("hubId") != strconv.Itoa(HubID) {
		emu.WriteNotFoundPage(w, "HubSpot", "record", id)
		return
	}
	rec, found := c.env.Store.Get(ot.name, id)
	if !found {
		emu.WriteNotFoundPage(w, "HubSpot", ot.singular, id)
		return
	}
	page := emu.RecordPage{
		Vendor: "HubSpot", AccountName: c.env.Config.AccountName,
		Object: strings.ToUpper(ot.singular[:1]) + ot.singular[1:], Title: c.recordTitle(ot, rec), ID: rec.ID,
	}
	for _, f := range c.env.Store.Fields(ot.name) {
		if v := rec.String(f.Name); v != "" && !f.Archived {
			page.Fields = append(page.Fields, emu.PageField{Label: f.Label, Value: v})
		}
	}
	page.Fields = append(page.Fields,
		emu.PageField{Label: "Create date", Value: propertyTime(rec.CreatedAt)},
		emu.PageField{Label: "Last modified date", Value: propertyTime(rec.UpdatedAt)})
	if ot.name == "contacts" {
		page.Sections = c.timeline(rec)
	}
	emu.WriteRecordPage(w, page)
}

// handleLegacyRecordPage redirects the legacy contact URL to the record URL.
func (c *CRM) handleLegacyRecordPage(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, RecordURL(emu.BaseURL(r), "0-1", r.PathValue("recordId")), http.StatusMovedPermanently)
}

func (c *CRM) recordTitle(ot *objectType, rec emu.Record) string {
	switch ot.name {
	case "contacts":
		if name := strings.TrimSpace(rec.String("firstname") + " " + rec.String("lastname")); name != "" {
			return name
		}
		if e := rec.String("email"); e != "" {
			return e
		}
	case "calls":
		return firstNonEmpty(rec.String("hs_call_title"), "Call")
	case "emails":
		return firstNonEmpty(rec.String("hs_email_subject"), "Email")
	case "meetings":
		return firstNonEmpty(rec.String("hs_meeting_title"), "Meeting")
	}
	return ot.singular + " " + rec.ID
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// timeline groups a contact's associated engagements by type.
func (c *CRM) timeline(contact emu.Record) []emu.PageSection {
	byType := map[string][]emu.PageItem{}
	for _, l := range c.env.Store.LinkedFrom("contacts", contact.ID) {
		ot, ok := lookupObjectType(l.Object)
		if !ok {
			continue
		}
		rec, found := c.env.Store.Get(l.Object, l.ID)
		if !found {
			continue
		}
		item := emu.PageItem{Title: c.recordTitle(ot, rec)}
		if t, ok := parseDateTime(rec.String("hs_timestamp")); ok {
			item.Time = t
		}
		item.Detail = firstNonEmpty(rec.String("hs_call_body"), rec.String("hs_email_text"), rec.String("hs_meeting_body"), rec.String("hs_note_body"))
		byType[l.Object] = append(byType[l.Object], item)
	}
	var out []emu.PageSection
	for _, t := range []struct{ object, title string }{{"calls", "Calls"}, {"emails", "Emails"}, {"meetings", "Meetings"}, {"notes", "Notes"}} {
		out = append(out, emu.PageSection{Title: t.title, Items: byType[t.object]})
	}
	return out
}
