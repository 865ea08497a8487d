package zoho

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// userFromRecord renders a stored user as GET /users does.
func userFromRecord(rec emu.Record, created string) User {
	first, last := rec.String("first_name"), rec.String("last_name")
	status := "active"
	if active, _ := rec.Fields["active"].(bool); !active {
		status = "disabled"
	}
	return User{
		ID: rec.ID, FullName: strings.TrimSpace(first + " " + last), FirstName: first, LastName: last,
		Email: rec.String("email"), Status: status, Confirm: true,
		Role:        NamedID{Name: rec.String("role_name"), ID: rec.String("role_id")},
		Profile:     NamedID{Name: rec.String("profile_name"), ID: rec.String("profile_id")},
		ZUID:        rec.String("zuid"),
		TimeZone:    "Etc/UTC",
		Language:    "en_US",
		Locale:      "en_US",
		Country:     "US",
		CreatedTime: created, ModifiedTime: created,
	}
}

func userRef(rec emu.Record) UserRef {
	return UserRef{Name: strings.TrimSpace(rec.String("first_name") + " " + rec.String("last_name")), ID: rec.ID, Email: rec.String("email")}
}

// activeUser implements refChecker: an owner must be an active user.
func (c *CRM) activeUser(id string) (UserRef, bool) {
	rec, ok := c.env.Store.Get(objectUsers, id)
	if !ok {
		return UserRef{}, false
	}
	if active, _ := rec.Fields["active"].(bool); !active {
		return UserRef{}, false
	}
	return userRef(rec), true
}

// primaryUser is the org's first (administrator) user: the one who
// approves the consent screen.
func (c *CRM) primaryUser() UserRef {
	users, _ := c.env.Store.List(objectUsers, 0, 1)
	if len(users) == 0 {
		return UserRef{}
	}
	return userRef(users[0])
}

// recordName implements refChecker: the display name of a stored record.
func (c *CRM) recordName(module, id string) (string, bool) {
	rec, ok := c.env.Store.Get(module, id)
	if !ok {
		return "", false
	}
	return displayName(module, rec), true
}

// displayName is the name Zoho shows for a record in lookups.
func displayName(module string, rec emu.Record) string {
	switch module {
	case ModuleContacts:
		return rec.String("Full_Name")
	case ModuleCalls:
		return rec.String("Subject")
	case ModuleEvents:
		return rec.String("Event_Title")
	}
	return rec.ID
}

// userTypes are the documented values of GET /users?type=.
var userTypes = map[string]func(u User, admin bool) bool{
	"AllUsers":              func(User, bool) bool { return true },
	"ActiveUsers":           func(u User, _ bool) bool { return u.Status == "active" },
	"DeactiveUsers":         func(u User, _ bool) bool { return u.Status == "disabled" },
	"ConfirmedUsers":        func(u User, _ bool) bool { return u.Confirm },
	"NotConfirmedUsers":     func(u User, _ bool) bool { return !u.Confirm },
	"DeletedUsers":          func(User, bool) bool { return false },
	"ActiveConfirmedUsers":  func(u User, _ bool) bool { return u.Status == "active" && u.Confirm },
	"AdminUsers":            func(_ User, admin bool) bool { return admin },
	"ActiveConfirmedAdmins": func(u User, admin bool) bool { return admin && u.Status == "active" && u.Confirm },
}

// handleUsers serves GET /crm/v8/users?type=&page=&per_page= (default
// per_page 200). No match answers 204 with no body, as Zoho does.
func (c *CRM) handleUsers(w http.ResponseWriter, r *http.Request, cl call) {
	q := r.URL.Query()
	typ := q.Get("type")
	if typ == "" {
		typ = "AllUsers"
	}
	page, perPage := 1, 200
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "invalid data", map[string]any{"param_name": "page"}))
			return
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "invalid data", map[string]any{"param_name": "per_page"}))
			return
		}
		perPage = n
	}
	recs, _ := c.env.Store.List(objectUsers, 0, 0)
	var match []User
	created := formatTime(orgCreated)
	admin := c.primaryUser()
	for _, rec := range recs {
		u := userFromRecord(rec, created)
		u.CreatedBy = UserRef{Name: admin.Name, ID: admin.ID}
		isAdmin := u.Profile.Name == "Administrator"
		if typ == "CurrentUser" {
			if rec.ID == cl.user.ID {
				match = append(match, u)
			}
			continue
		}
		keep, ok := userTypes[typ]
		if !ok {
			writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "invalid data", map[string]any{"param_name": "type"}))
			return
		}
		if keep(u, isAdmin) {
			match = append(match, u)
		}
	}
	start := (page - 1) * perPage
	if start >= len(match) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	end := min(len(match), start+perPage)
	emu.WriteJSON(w, http.StatusOK, UsersResponse{
		Users: match[start:end],
		Info:  Info{PerPage: perPage, Count: end - start, Page: page, MoreRecords: end < len(match)},
	})
}

// handleOrg serves GET /crm/v8/org: the org's name (shown as "Connected to")
// and its domain_name, the path segment of record-page URLs.
func (c *CRM) handleOrg(w http.ResponseWriter, _ *http.Request, _ call) {
	admin := c.primaryUser()
	users, _ := c.env.Store.List(objectUsers, 0, 0)
	emu.WriteJSON(w, http.StatusOK, OrgResponse{Org: []Org{{
		ID:             idPrefix + "000000017001",
		CompanyName:    c.env.Config.AccountName,
		DomainName:     "org" + orgZGID,
		ZGID:           orgZGID,
		PrimaryZUID:    "71562802",
		PrimaryEmail:   admin.Email,
		CountryCode:    "US",
		Currency:       "US Dollar - USD",
		CurrencySymbol: "$",
		ISOCode:        "USD",
		TimeZone:       "Etc/UTC",
		LicenseDetails: License{UsersLicensePurchased: max(10, len(users)), Paid: true, PaidType: "enterprise"},
	}}})
}
