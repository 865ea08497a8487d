package zoho

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saleshive/crmsync/crm"
)

// textFields are standard Contacts fields that hold text, so a mapped value
// goes as it is without reading the field metadata.
var textFields = map[string]bool{
	"First_Name": true, "Last_Name": true, "Email": true, "Secondary_Email": true, "Phone": true,
	"Mobile": true, "Home_Phone": true, "Other_Phone": true, "Fax": true, "Title": true, "Department": true,
	"Mailing_Street": true, "Mailing_City": true, "Mailing_State": true, "Mailing_Zip": true,
	"Mailing_Country": true, "Lead_Source": true, "Description": true, "Salutation": true,
	"Skype_ID": true, "Twitter": true, "Assistant": true, "Asst_Phone": true,
}

// fieldTypesTTL is how long a connection's Contacts field types are reused.
const fieldTypesTTL = 10 * time.Minute

// fieldTypesCache maps a connection to its Contacts fields' data types.
type fieldTypesCache struct {
	mu sync.Mutex
	m  map[string]fieldTypesEntry
}

type fieldTypesEntry struct {
	types map[string]string // api_name → data_type
	at    time.Time
}

// contactFieldTypes returns the data types of the Contacts fields when a
// mapping writes a field outside textFields (a checkbox, a number, a
// multi-select), so values can be sent as Zoho's JSON types.
func (c *Connector) contactFieldTypes(ctx context.Context, a *crm.Account, contacts []crm.ContactInput) (map[string]string, error) {
	need := false
	for _, in := range contacts {
		for k := range in.Fields {
			if !textFields[k] {
				need = true
			}
		}
	}
	if !need {
		return nil, nil
	}
	key := strconv.FormatInt(a.ConnectionID, 10) + "/" + a.AccountID
	c.types.mu.Lock()
	e, ok := c.types.m[key]
	c.types.mu.Unlock()
	if ok && time.Since(e.at) < fieldTypesTTL {
		return e.types, nil
	}
	fs, err := c.fields(ctx, a, moduleContacts)
	if err != nil {
		return nil, err
	}
	types := make(map[string]string, len(fs))
	for _, f := range fs {
		types[f.APIName] = f.DataType
	}
	c.types.mu.Lock()
	if len(c.types.m) >= maxCachedAddresses {
		clear(c.types.m)
	}
	c.types.m[key] = fieldTypesEntry{types: types, at: time.Now()}
	c.types.mu.Unlock()
	return types, nil
}

// coerce turns a mapped text value into the JSON type Zoho expects for a
// field of dataType.
func coerce(field, dataType, v string) (any, error) {
	switch dataType {
	case "boolean":
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "yes", "y":
			return true, nil
		case "false", "0", "no", "n":
			return false, nil
		}
		return nil, fmt.Errorf("%s takes true or false, not %q", field, v)
	case "integer", "bigint":
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s takes a whole number, not %q", field, v)
		}
		return n, nil
	case "double", "currency", "decimal", "percent":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("%s takes a number, not %q", field, v)
		}
		return f, nil
	case "multiselectpicklist":
		var out []string
		for _, p := range strings.Split(v, ";") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case "lookup", "ownerlookup", "multiselectlookup", "userlookup":
		return nil, fmt.Errorf("%s links to another record; map a text field instead", field)
	}
	return v, nil
}
