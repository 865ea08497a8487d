package pipedrive

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// PersonURL is the web-UI link of a person, as Pipedrive builds it
// (https://{company}.pipedrive.com/person/{id}, §3.8) with the sandbox's
// Pipedrive base URL standing in for the company host.
func PersonURL(base string, id int64) string {
	return strings.TrimRight(base, "/") + "/person/" + strconv.FormatInt(id, 10)
}

// handleRecordPage serves GET /person/{id}: the person, its fields and its
// activities, for the "open in CRM" link.
func (c *CRM) handleRecordPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, ok := c.env.Store.Get(objPersons, id)
	if !ok {
		emu.WriteNotFoundPage(w, "Pipedrive", "Person", id)
		return
	}
	fs := c.personFields()
	p := personWire(rec, fs, nil)
	fields := []emu.PageField{{Label: "Name", Value: p.Name}}
	for _, e := range p.Emails {
		fields = append(fields, emu.PageField{Label: "Email (" + e.Label + ")", Value: e.Value})
	}
	for _, ph := range p.Phones {
		fields = append(fields, emu.PageField{Label: "Phone (" + ph.Label + ")", Value: ph.Value})
	}
	owner := strconv.FormatInt(p.OwnerID, 10)
	if u, ok := c.env.Store.Get(objUsers, owner); ok {
		owner = u.String("name")
	}
	fields = append(fields, emu.PageField{Label: "Owner", Value: owner})
	for _, f := range fs.list {
		if f.Custom {
			fields = append(fields, emu.PageField{Label: f.Name, Value: rec.String(f.Key)})
		}
	}
	var items []emu.PageItem
	for _, l := range c.env.Store.LinkedFrom(objPersons, id) {
		if l.Object != objActivities {
			continue
		}
		if a, ok := c.env.Store.Get(objActivities, l.ID); ok {
			detail := a.String("type")
			if d := a.String("due_date"); d != "" {
				detail += " · " + d + " " + a.String("due_time")
			}
			items = append(items, emu.PageItem{Title: a.String("subject"), Detail: detail, Time: a.CreatedAt})
		}
	}
	emu.WriteRecordPage(w, emu.RecordPage{
		Vendor: "Pipedrive", AccountName: c.env.Config.AccountName, Object: "Person",
		Title: p.Name, ID: id, Fields: fields,
		Sections: []emu.PageSection{{Title: "Activities", Items: items}},
	})
}
