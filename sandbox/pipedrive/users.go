package pipedrive

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// firstUserID is the id of the first seeded user without a configured id.
const firstUserID = 10001

// seedUsers stores the configured users as Pipedrive users. The first active
// user is the company's admin and the one who installs the app.
func (c *CRM) seedUsers(e *emu.Env) {
	admin := false
	for i, u := range e.Config.Users {
		id := u.ID
		if id == "" {
			id = strconv.Itoa(firstUserID + i)
		}
		isAdmin := u.Active && !admin
		admin = admin || isAdmin
		_ = e.Store.Atomic(func(tx *emu.Tx) error {
			_, err := tx.Insert(objUsers, id, map[string]any{
				"name":        strings.TrimSpace(u.FirstName + " " + u.LastName),
				"email":       u.Email,
				"active_flag": u.Active,
				"is_admin":    isAdmin,
			})
			return err
		})
	}
}

// installingUser is the user who approves the consent page: the first active user.
func (c *CRM) installingUser() string {
	users, _ := c.env.Store.List(objUsers, 0, 0)
	for _, u := range users {
		if active, _ := u.Fields["active_flag"].(bool); active {
			return u.ID
		}
	}
	if len(users) > 0 {
		return users[0].ID
	}
	return ""
}

// MintToken issues an access token for the installing user with the app's
// scopes, as if the consent flow had run: for tests that skip OAuth.
func (c *CRM) MintToken() emu.Token {
	return c.env.OAuth.Mint(c.scopes, c.installingUser(), nil)
}

// userExists reports whether id is a user of the company (active or not).
func (c *CRM) userExists(id int64) bool {
	_, ok := c.env.Store.Get(objUsers, strconv.FormatInt(id, 10))
	return ok
}

// v1User renders a stored user.
func (c *CRM) v1User(rec emu.Record, me string) User {
	active, _ := rec.Fields["active_flag"].(bool)
	admin, _ := rec.Fields["is_admin"].(bool)
	id, _ := strconv.ParseInt(rec.ID, 10, 64)
	created := v1Time(rec.CreatedAt)
	isAdmin := 0
	if admin {
		isAdmin = 1
	}
	return User{
		ID: id, Name: rec.String("name"), DefaultCurrency: "USD", Locale: "en_US", Lang: 1,
		Email: rec.String("email"), Activated: active, LastLogin: created, Created: created,
		Modified: &created, HasCreatedCompany: admin,
		Access: []UserAccess{
			{App: "sales", Admin: admin, PermissionSetID: "sandbox-sales"},
			{App: "global", Admin: admin, PermissionSetID: "sandbox-global"},
		},
		ActiveFlag: active, TimezoneName: "UTC", TimezoneOffset: "+00:00", RoleID: 1,
		IsYou: rec.ID == me, IsDeleted: false, IsAdmin: isAdmin,
	}
}

// handleUsers serves GET /v1/users: every user, active or not.
func (c *CRM) handleUsers(w http.ResponseWriter, r *http.Request) {
	tok := tokenFrom(r.Context())
	users, _ := c.env.Store.List(objUsers, 0, 0)
	out := make([]User, 0, len(users))
	for _, u := range users {
		out = append(out, c.v1User(u, tok.UserID))
	}
	writeData(w, http.StatusOK, out, nil)
}

// handleUsersMe serves GET /v1/users/me: the token's user and the company
// ("Connected to …" reads company_name and company_domain).
func (c *CRM) handleUsersMe(w http.ResponseWriter, r *http.Request) {
	tok := tokenFrom(r.Context())
	rec, ok := c.env.Store.Get(objUsers, tok.UserID)
	if !ok {
		writeError(w, http.StatusNotFound, "User not found or not accessible.")
		return
	}
	writeData(w, http.StatusOK, Me{
		User:      c.v1User(rec, tok.UserID),
		CompanyID: c.companyID, CompanyName: c.env.Config.AccountName, CompanyDomain: c.domain,
		CompanyCountry: "US", CompanyIndustry: "Software",
		Language: Language{LanguageCode: "en", CountryCode: "US"},
	}, nil)
}
