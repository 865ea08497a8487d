package web

import (
	"net/http"
	"sync"

	"github.com/saleshive/crmsync"
)

// contactInput is the writable part of a contact: what the platform sends.
// Server-set fields (id, created_at, updated_at) are not accepted.
type contactInput struct {
	SourceID     string            `json:"source_id"`
	FirstName    string            `json:"first_name"`
	LastName     string            `json:"last_name"`
	Email        string            `json:"email"`
	Phone        string            `json:"phone"`
	Title        string            `json:"title"`
	Company      string            `json:"company"`
	Website      string            `json:"website"`
	City         string            `json:"city"`
	State        string            `json:"state"`
	Country      string            `json:"country"`
	LeadSource   string            `json:"lead_source"`
	CustomFields map[string]string `json:"custom_fields"`
}

// toContact copies the input into c.
func (in *contactInput) toContact(c *crmsync.Contact) {
	*c = crmsync.Contact{
		SourceID: in.SourceID, FirstName: in.FirstName, LastName: in.LastName,
		Email: in.Email, Phone: in.Phone, Title: in.Title, Company: in.Company,
		Website: in.Website, City: in.City, State: in.State, Country: in.Country,
		LeadSource: in.LeadSource, CustomFields: in.CustomFields,
	}
}

// contactInputs recycles the decode buffer of batch requests: a full batch
// is 1,000 inputs, allocated once instead of grown per request.
var contactInputs = sync.Pool{New: func() any {
	s := make([]contactInput, 0, MaxBatchSize)
	return &s
}}

// contactsBatchResponse answers a batch upsert.
type contactsBatchResponse struct {
	Created  int         `json:"created"`
	Updated  int         `json:"updated"`
	Contacts []recordRef `json:"contacts"`
}

// contactsPage is one page of a contact listing.
type contactsPage struct {
	Contacts    []*crmsync.Contact `json:"contacts"`
	NextAfterID *int64             `json:"next_after_id"`
}

// handleContactUpsert creates or updates one contact by its source_id:
// 201 when it was created, 200 when it was updated.
func (s *Server) handleContactUpsert(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	var in contactInput
	if err := decodeOne(w, r, s.cfg.MaxSingleBytes, &in); err != nil {
		return err
	}
	c := new(crmsync.Contact)
	in.toContact(c)
	if err := c.Validate(); err != nil {
		return err
	}
	res, err := s.cfg.Contacts.UpsertContacts(writeContext(r), workspaceID, []*crmsync.Contact{c})
	if err != nil {
		return singleRecordError("contacts", err)
	}
	infoFrom(r.Context()).records = 1
	status := http.StatusOK
	if res.Created > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
	return nil
}

// handleContactsBatchUpsert creates or updates 1 to 1,000 contacts in one
// transaction. Any invalid record (or a source_id repeated inside the batch)
// rejects the whole batch, listing every invalid record by index.
func (s *Server) handleContactsBatchUpsert(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	pooled := contactInputs.Get().(*[]contactInput)
	defer func() {
		clear((*pooled)[:cap(*pooled)]) // drop the strings before the slice is reused
		contactInputs.Put(pooled)
	}()
	inputs, err := decodeBatch(w, r, s.cfg.MaxBatchBytes, "contacts", (*pooled)[:0])
	if err != nil {
		return err
	}
	*pooled = inputs
	// One backing array for the whole batch instead of one allocation per contact.
	backing := make([]crmsync.Contact, len(inputs))
	contacts := make([]*crmsync.Contact, len(inputs))
	for i := range inputs {
		inputs[i].toContact(&backing[i])
		contacts[i] = &backing[i]
	}
	// The store validates every record (and rejects a source_id repeated
	// inside the batch) before writing anything, naming fields by index.
	res, err := s.cfg.Contacts.UpsertContacts(writeContext(r), workspaceID, contacts)
	if err != nil {
		return err
	}
	infoFrom(r.Context()).records = len(contacts)
	out := contactsBatchResponse{Created: res.Created, Updated: res.Updated, Contacts: make([]recordRef, len(contacts))}
	for i, c := range contacts {
		out.Contacts[i] = recordRef{ID: c.ID, SourceID: c.SourceID}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleContactsList lists the workspace's contacts by id, after_id paging.
func (s *Server) handleContactsList(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	p, err := parseListParams(r)
	if err != nil {
		return err
	}
	contacts, err := s.cfg.Contacts.FindContacts(r.Context(), workspaceID, crmsync.ContactFilter{AfterID: p.AfterID, Limit: p.Limit})
	if err != nil {
		return err
	}
	page := contactsPage{Contacts: contacts}
	if page.Contacts == nil {
		page.Contacts = []*crmsync.Contact{}
	}
	if n := len(contacts); n > 0 {
		page.NextAfterID = nextAfterID(n, p.Limit, contacts[n-1].ID)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// handleContactShow returns one contact of the workspace by id.
func (s *Server) handleContactShow(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	id, err := parseID(r, "contact")
	if err != nil {
		return err
	}
	c, err := s.cfg.Contacts.FindContactByID(r.Context(), workspaceID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
