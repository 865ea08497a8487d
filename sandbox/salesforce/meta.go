package salesforce

import (
	"net/http"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// apiVersions are the versions GET /services/data lists (any vNN.N from 31.0 is served).
var apiVersions = []struct{ label, version string }{
	{"Winter '24", "59.0"}, {"Spring '24", "60.0"}, {"Summer '24", "61.0"}, {"Winter '25", "62.0"},
}

// handleVersions serves GET /services/data (no authentication, as on Salesforce).
func (c *CRM) handleVersions(w http.ResponseWriter, r *http.Request) {
	out := make([]map[string]string, 0, len(apiVersions))
	for _, v := range apiVersions {
		out = append(out, map[string]string{"label": v.label, "url": "/services/data/v" + v.version, "version": v.version})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleResources serves GET /services/data/vNN.N: the resources of the version.
func (c *CRM) handleResources(w http.ResponseWriter, r *http.Request, cl *call) {
	out := map[string]string{}
	for _, res := range []string{"composite", "limits", "query", "queryAll", "sobjects", "tooling"} {
		out[res] = cl.dataPath(res)
	}
	writeJSON(w, http.StatusOK, out)
}

// staticLimits are the limits resource's other entries (fixed numbers of an Enterprise
// Edition org; only DailyApiRequests is metered by the sandbox).
var staticLimits = map[string]LimitValue{
	"ConcurrentAsyncGetReportInstances": {Max: 200, Remaining: 200},
	"ConcurrentSyncReportRuns":          {Max: 20, Remaining: 20},
	"DailyAsyncApexExecutions":          {Max: 250000, Remaining: 250000},
	"DailyBulkApiBatches":               {Max: 15000, Remaining: 15000},
	"DailyBulkV2QueryJobs":              {Max: 10000, Remaining: 10000},
	"DataStorageMB":                     {Max: 1024, Remaining: 1024},
	"FileStorageMB":                     {Max: 10240, Remaining: 10240},
	"HourlyTimeBasedWorkflow":           {Max: 1000, Remaining: 1000},
}

// handleLimits serves GET /limits: {"DailyApiRequests":{"Max":M,"Remaining":R},…} (shape
// UNCONFIRMED beyond the Max/Remaining pair). The call itself is counted first.
func (c *CRM) handleLimits(w http.ResponseWriter, r *http.Request, cl *call) {
	out := map[string]LimitValue{}
	for k, v := range staticLimits {
		out[k] = v
	}
	if d := c.env.Limits.Peek(c.orgID, WindowDailyAPIRequests); len(d.Usages) > 0 {
		u := d.Usages[0]
		out[WindowDailyAPIRequests] = LimitValue{Max: u.Max, Remaining: u.Remaining}
	}
	writeJSON(w, http.StatusOK, out)
}

// servedObjects are the sObjects the sandbox describes, in global-describe order.
var servedObjects = []string{ObjectContact, ObjectEvent, ObjectFieldPermissions, ObjectPermissionSet, ObjectTask, ObjectUser}

// objectURLs are an sObject's "urls".
func objectURLs(cl *call, o *Object) map[string]string {
	return map[string]string{
		"sobject":          cl.dataPath("sobjects", o.Name),
		"describe":         cl.dataPath("sobjects", o.Name, "describe"),
		"rowTemplate":      cl.dataPath("sobjects", o.Name, "{ID}"),
		"uiDetailTemplate": cl.base + "/{ID}",
	}
}

// objectBasics is the basic info of an sObject in global describe and GET /sobjects/{name}.
func objectBasics(cl *call, o *Object) map[string]any {
	return map[string]any{
		"name": o.Name, "label": o.Label, "labelPlural": o.LabelPlural, "keyPrefix": o.KeyPrefix,
		"custom": false, "createable": o.Createable, "updateable": o.Createable, "deletable": o.Createable,
		"queryable": true, "retrieveable": true, "searchable": true, "layoutable": true,
		"urls": objectURLs(cl, o),
	}
}

// handleGlobalDescribe serves GET /sobjects.
func (c *CRM) handleGlobalDescribe(w http.ResponseWriter, r *http.Request, cl *call) {
	var list []map[string]any
	for _, name := range servedObjects {
		o, _ := c.object(name)
		list = append(list, objectBasics(cl, o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": MaxCollectionRecords, "sobjects": list})
}

// handleObjectInfo serves GET /sobjects/{object}.
func (c *CRM) handleObjectInfo(w http.ResponseWriter, r *http.Request, cl *call) {
	o, ok := c.lookupObject(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"objectDescribe": objectBasics(cl, o), "recentItems": []any{}})
}

// handleDescribe serves GET /sobjects/{object}/describe. A client derives "required" as
// nillable=false, createable=true and defaultedOnCreate=false.
func (c *CRM) handleDescribe(w http.ResponseWriter, r *http.Request, cl *call) {
	o, ok := c.lookupObject(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, describe(cl, o))
}

// describe renders o's describe result.
func describe(cl *call, o *Object) DescribeResult {
	res := DescribeResult{
		Name: o.Name, Label: o.Label, LabelPlural: o.LabelPlural, KeyPrefix: o.KeyPrefix,
		Createable: o.Createable, Updateable: o.Createable, Deletable: o.Createable, Queryable: true,
		Retrieveable: true, Searchable: true, Layoutable: true,
		ChildRelationships: []any{}, RecordTypeInfos: []any{}, URLs: objectURLs(cl, o),
	}
	for _, f := range o.fields {
		res.Fields = append(res.Fields, describeField(f))
	}
	return res
}

// describeField renders one field's describe entry.
func describeField(f *Field) DescribeField {
	d := DescribeField{
		Name: f.Name, Label: f.Label, Type: f.Type, SoapType: soapType(f), Length: f.Length,
		Nillable: f.Nillable, Createable: f.Createable, Updateable: f.Updateable,
		DefaultedOnCreate: f.DefaultedOnCreate, ExternalID: f.ExternalID, Unique: f.Unique,
		CaseSensitive: f.CaseSensitive, Custom: f.Custom, Calculated: f.Calculated, NameField: f.NameField,
		IDLookup: f.IDLookup, Filterable: f.Type != TypeTextArea || f.Length <= 255,
		Sortable: f.Type != TypeTextArea, Groupable: f.Type != TypeTextArea && f.Type != TypeDouble && f.Type != TypeDateTime,
		RestrictedPicklist: f.Restricted, PicklistValues: []PicklistValue{}, ReferenceTo: []string{},
	}
	if f.isText() || f.Type == TypeID || f.Type == TypeReference {
		d.ByteLength = f.Length * 3
	}
	switch f.Type {
	case TypeInt:
		d.Digits = 9
	case TypeDouble:
		d.Precision, d.Scale = 18, 0
	case TypeBoolean:
		d.DefaultValue = f.DefaultValue == "true"
	}
	for _, v := range f.Picklist {
		d.PicklistValues = append(d.PicklistValues, PicklistValue{Active: true, DefaultValue: v == f.DefaultValue, Label: v, Value: v})
	}
	if f.ReferenceTo != nil {
		d.ReferenceTo = append(d.ReferenceTo, f.ReferenceTo...)
	}
	if f.RelationshipName != "" {
		rn := f.RelationshipName
		d.RelationshipName = &rn
	}
	return d
}

// handleRecordPage serves GET /lightning/r/{object}/{id}/view: the record as HTML, with a
// contact's tasks and events.
func (c *CRM) handleRecordPage(w http.ResponseWriter, r *http.Request) {
	o, ok := c.object(r.PathValue("object"))
	id, idOK := NormalizeID(r.PathValue("id"))
	if !ok || !idOK {
		emu.WriteNotFoundPage(w, "Salesforce", r.PathValue("object"), r.PathValue("id"))
		return
	}
	rec, found := c.env.Store.Get(o.Name, id)
	if !found {
		emu.WriteNotFoundPage(w, "Salesforce", o.Label, id)
		return
	}
	page := emu.RecordPage{Vendor: "Salesforce", AccountName: c.env.Config.AccountName, Object: o.Label,
		ID: rec.ID, Title: recordTitle(o, rec), Fields: []emu.PageField{}}
	for _, f := range o.fields {
		v := fieldValue(o, rec, f)
		if v == nil || f.Name == "Id" {
			continue
		}
		page.Fields = append(page.Fields, emu.PageField{Label: f.Label, Value: strings.Trim(string(marshalValue(f, v)), `"`)})
	}
	if o.Name == ObjectContact {
		sec := emu.PageSection{Title: "Activity History"}
		for _, l := range c.env.Store.LinkedFrom(ObjectContact, rec.ID) {
			act, ok := c.env.Store.Get(l.Object, l.ID)
			if !ok {
				continue
			}
			detail := l.Object
			if st := act.String("TaskSubtype"); st != "" {
				detail = "Task · " + st
			}
			sec.Items = append(sec.Items, emu.PageItem{Title: act.String("Subject"), Detail: detail, Time: act.CreatedAt})
		}
		page.Sections = append(page.Sections, sec)
	}
	emu.WriteRecordPage(w, page)
}

// recordTitle is the name a record page shows.
func recordTitle(o *Object, rec emu.Record) string {
	for _, k := range []string{"Name", "Subject"} {
		if s := rec.String(k); s != "" {
			return s
		}
	}
	return o.Label + " " + rec.ID
}

// handleShortRecordURL serves GET /{id}, the classic short record link: it redirects to the
// record's Lightning page.
func (c *CRM) handleShortRecordURL(w http.ResponseWriter, r *http.Request) {
	id, ok := NormalizeID(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	for _, name := range servedObjects {
		o, _ := c.object(name)
		if o.KeyPrefix == id[:3] {
			http.Redirect(w, r, emu.BaseURL(r)+"/lightning/r/"+o.Name+"/"+id+"/view", http.StatusFound)
			return
		}
	}
	http.NotFound(w, r)
}
