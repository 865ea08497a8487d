package hubspot

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// associate links two existing records with a HUBSPOT_DEFINED type
// between a contact and an engagement, storing the link on the engagement.
// Linking twice is a no-op.
func (c *CRM) associate(from *objectType, fromID string, to *objectType, toID string, typeID int) *httpError {
	at, ok := findAssocType(func(x assocType) bool { return x.id == typeID && x.from == from.name && x.to == to.name })
	if !ok {
		return newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("invalid association type %d from %s to %s", typeID, from.typeID, to.typeID))
	}
	engagement, engID, contactID, linkType := from.name, fromID, toID, at.id
	if from.name == "contacts" {
		inv, _ := findAssocType(func(x assocType) bool { return x.from == at.to && x.to == at.from })
		engagement, engID, contactID, linkType = to.name, toID, fromID, inv.id
	}
	var missing *httpError
	err := c.env.Store.Atomic(func(tx *emu.Tx) error {
		eng, ok := tx.Get(engagement, engID)
		if !ok {
			missing = notFoundObject(engID)
			return missing
		}
		if _, ok := tx.Get("contacts", contactID); !ok {
			missing = notFoundObject(contactID)
			return missing
		}
		if slices.ContainsFunc(eng.Links, func(l emu.Link) bool { return l.Object == "contacts" && l.ID == contactID }) {
			return nil
		}
		return tx.Link(engagement, engID, emu.Link{Object: "contacts", ID: contactID, Type: strconv.Itoa(linkType)})
	})
	if missing != nil {
		return missing
	}
	if err != nil {
		return newHTTPError(http.StatusInternalServerError, "", err.Error())
	}
	return nil
}

// v4 association bodies.
type (
	assocSpec struct {
		AssociationCategory string `json:"associationCategory"`
		AssociationTypeID   int    `json:"associationTypeId"`
	}
	assocID struct {
		ID string `json:"id"`
	}
	defaultAssocResult struct {
		From            assocID   `json:"from"`
		To              assocID   `json:"to"`
		AssociationSpec assocSpec `json:"associationSpec"`
	}
	labelledAssoc struct {
		FromObjectTypeID string   `json:"fromObjectTypeId"`
		FromObjectID     int64    `json:"fromObjectId"`
		ToObjectTypeID   string   `json:"toObjectTypeId"`
		ToObjectID       int64    `json:"toObjectId"`
		Labels           []string `json:"labels"`
	}
	assocTypeRef struct {
		Category string  `json:"category"`
		TypeID   int     `json:"typeId"`
		Label    *string `json:"label"`
	}
	assocTarget struct {
		ToObjectID       int64          `json:"toObjectId"`
		AssociationTypes []assocTypeRef `json:"associationTypes"`
	}
)

func (c *CRM) assocPath(w http.ResponseWriter, r *http.Request) (from, to *objectType, fromID, toID string, ok bool) {
	from, ok1 := lookupObjectType(r.PathValue("objectType"))
	to, ok2 := lookupObjectType(r.PathValue("toObjectType"))
	if !ok1 || !ok2 {
		writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+r.PathValue("objectType")+" or "+r.PathValue("toObjectType")))
		return nil, nil, "", "", false
	}
	return from, to, r.PathValue("objectId"), r.PathValue("toObjectId"), true
}

// handleAssociationDefault serves PUT /crm/v4/objects/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}.
func (c *CRM) handleAssociationDefault(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	started := c.env.Now()
	from, to, fromID, toID, ok := c.assocPath(w, r)
	if !ok {
		return
	}
	at, found := findAssocType(func(x assocType) bool { return x.from == from.name && x.to == to.name })
	if !found {
		writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("no default association from %s to %s", from.typeID, to.typeID)))
		return
	}
	if e := c.associate(from, fromID, to, toID, at.id); e != nil {
		writeHTTPError(w, e)
		return
	}
	inv, _ := findAssocType(func(x assocType) bool { return x.from == to.name && x.to == from.name })
	emu.WriteJSON(w, http.StatusOK, struct {
		Status      string               `json:"status"`
		Results     []defaultAssocResult `json:"results"`
		StartedAt   string               `json:"startedAt"`
		CompletedAt string               `json:"completedAt"`
	}{
		Status: "COMPLETE",
		Results: []defaultAssocResult{
			{From: assocID{fromID}, To: assocID{toID}, AssociationSpec: assocSpec{"HUBSPOT_DEFINED", at.id}},
			{From: assocID{toID}, To: assocID{fromID}, AssociationSpec: assocSpec{"HUBSPOT_DEFINED", inv.id}},
		},
		StartedAt: apiTime(started), CompletedAt: apiTime(c.env.Now()),
	})
}

// handleAssociationCreate serves PUT /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}
// with a body of association specs.
func (c *CRM) handleAssociationCreate(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	from, to, fromID, toID, ok := c.assocPath(w, r)
	if !ok {
		return
	}
	var specs []assocSpec
	if err := emu.DecodeJSON(r, &specs); err != nil || len(specs) == 0 {
		writeHTTPError(w, invalidInput("expected a non-empty array of association specs"))
		return
	}
	for _, s := range specs {
		if s.AssociationCategory != "HUBSPOT_DEFINED" {
			writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "only HUBSPOT_DEFINED associations are supported by this account"))
			return
		}
		if e := c.associate(from, fromID, to, toID, s.AssociationTypeID); e != nil {
			writeHTTPError(w, e)
			return
		}
	}
	f, _ := strconv.ParseInt(fromID, 10, 64)
	t, _ := strconv.ParseInt(toID, 10, 64)
	emu.WriteJSON(w, http.StatusCreated, labelledAssoc{FromObjectTypeID: from.typeID, FromObjectID: f, ToObjectTypeID: to.typeID, ToObjectID: t, Labels: []string{}})
}

// handleAssociationList serves GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}.
func (c *CRM) handleAssociationList(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	from, to, fromID, _, ok := c.assocPath(w, r)
	if !ok {
		return
	}
	rec, found := c.env.Store.Get(from.name, fromID)
	if !found {
		writeHTTPError(w, notFoundObject(fromID))
		return
	}
	var obj simpleObject
	c.withAssociations(from, &obj, rec, []string{to.name})
	results := []assocTarget{}
	for _, ref := range obj.Associations[to.name].Results {
		at, _ := findAssocType(func(x assocType) bool { return x.name == ref.Type })
		id, _ := strconv.ParseInt(ref.ID, 10, 64)
		results = append(results, assocTarget{ToObjectID: id, AssociationTypes: []assocTypeRef{{Category: "HUBSPOT_DEFINED", TypeID: at.id}}})
	}
	emu.WriteJSON(w, http.StatusOK, pageOf[assocTarget]{Results: results})
}
