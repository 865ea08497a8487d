package hubspot

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Owner id and user id of the first seeded user; the others follow.
const (
	firstOwnerID = 41629779
	firstUserID  = 9586504
)

// owner is HubSpot's owner model (crm-api-facts §2.5).
type owner struct {
	ID                      string `json:"id"`
	Email                   string `json:"email"`
	Type                    string `json:"type"`
	FirstName               string `json:"firstName"`
	LastName                string `json:"lastName"`
	UserID                  int64  `json:"userId"`
	UserIDIncludingInactive int64  `json:"userIdIncludingInactive"`
	CreatedAt               string `json:"createdAt"`
	UpdatedAt               string `json:"updatedAt"`
	Archived                bool   `json:"archived"`
	Teams                   []team `json:"teams,omitempty"`
}

type team struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Primary bool   `json:"primary"`
}

// seedOwners stores the configured users as owners; an inactive user is an
// archived (deactivated) owner.
func seedOwners(e *emu.Env) {
	err := e.Store.Atomic(func(tx *emu.Tx) error {
		for i, u := range e.Config.Users {
			id := u.ID
			if id == "" {
				id = strconv.Itoa(firstOwnerID + i)
			}
			_, err := tx.Insert("owners", id, map[string]any{
				"email": u.Email, "firstName": u.FirstName, "lastName": u.LastName,
				"userId": strconv.Itoa(firstUserID + i), "archived": strconv.FormatBool(!u.Active),
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("hubspot: seed owners: %v", err))
	}
}

func ownerView(r emu.Record) owner {
	uid, _ := strconv.ParseInt(r.String("userId"), 10, 64)
	return owner{
		ID: r.ID, Email: r.String("email"), Type: "PERSON", FirstName: r.String("firstName"), LastName: r.String("lastName"),
		UserID: uid, UserIDIncludingInactive: uid, CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.UpdatedAt),
		Archived: r.String("archived") == "true",
		Teams:    []team{{ID: "101", Name: "Sales", Primary: true}},
	}
}

// owners returns every owner, active and archived, in seed order.
func (c *CRM) owners() []owner {
	recs, _ := c.env.Store.List("owners", 0, 0)
	out := make([]owner, 0, len(recs))
	for _, r := range recs {
		out = append(out, ownerView(r))
	}
	return out
}

// handleOwnerList serves GET /crm/v3/owners: limit (default 100, max 500),
// an opaque after cursor, email filter, archived=true for deactivated owners.
func (c *CRM) handleOwnerList(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if q.Get("limit") == "" {
		limit, err = 100, nil
	}
	if err != nil || limit < 1 || limit > 500 {
		writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "limit must be between 1 and 500"))
		return
	}
	offset := 0
	if after := q.Get("after"); after != "" {
		b, err := base64.StdEncoding.DecodeString(after)
		if offset, err = strconv.Atoi(string(b)); err != nil || offset < 0 {
			writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "after is not a valid paging cursor"))
			return
		}
	}
	archived := q.Get("archived") == "true"
	var all []owner
	for _, o := range c.owners() {
		if o.Archived == archived && (q.Get("email") == "" || strings.EqualFold(o.Email, q.Get("email"))) {
			all = append(all, o)
		}
	}
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	body := pageOf[owner]{Results: append([]owner{}, page...)}
	if next := offset + limit; next < len(all) {
		cursor := base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(next)))
		body.Paging = nextPage(cursor, emu.BaseURL(r)+"/crm/v3/owners?after="+cursor)
	}
	emu.WriteJSON(w, http.StatusOK, body)
}

// handleOwnerShow serves GET /crm/v3/owners/{ownerId} (idProperty=id|userId).
func (c *CRM) handleOwnerShow(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	id, byUser := r.PathValue("ownerId"), r.URL.Query().Get("idProperty") == "userId"
	archived := r.URL.Query().Get("archived") == "true"
	for _, o := range c.owners() {
		match := o.ID == id
		if byUser {
			match = strconv.FormatInt(o.UserID, 10) == id
		}
		if match && o.Archived == archived {
			emu.WriteJSON(w, http.StatusOK, o)
			return
		}
	}
	writeHTTPError(w, notFoundObject(id))
}

// accountDetails is GET /account-info/v3/details (crm-api-facts §2.8).
type accountDetails struct {
	PortalID              int      `json:"portalId"`
	AccountType           string   `json:"accountType"`
	TimeZone              string   `json:"timeZone"`
	CompanyCurrency       string   `json:"companyCurrency"`
	AdditionalCurrencies  []string `json:"additionalCurrencies"`
	UTCOffset             string   `json:"utcOffset"`
	UTCOffsetMilliseconds int      `json:"utcOffsetMilliseconds"`
	UIDomain              string   `json:"uiDomain"`
	DataHostingLocation   string   `json:"dataHostingLocation"`
	PortalName            string   `json:"portalName,omitempty"`
}

// handleAccountDetails answers the account info. uiDomain is the sandbox's
// own host and prefix (it serves app.hubspot.com too), so record links built
// as "{scheme}://{uiDomain}/contacts/{portalId}/record/0-1/{id}" land here.
func (c *CRM) handleAccountDetails(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	base := emu.BaseURL(r)
	ui := base[strings.Index(base, "://")+3:]
	emu.WriteJSON(w, http.StatusOK, accountDetails{
		PortalID: HubID, AccountType: "STANDARD", TimeZone: "US/Eastern", CompanyCurrency: "USD",
		AdditionalCurrencies: []string{}, UTCOffset: "-05:00", UTCOffsetMilliseconds: -18_000_000,
		UIDomain: ui, DataHostingLocation: "na1", PortalName: c.env.Config.AccountName,
	})
}
