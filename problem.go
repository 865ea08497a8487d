package crmsync

// Problem classifies why a push to a CRM failed, the same way for all four
// CRMs, so the page can show one plain-English card per problem type.
type Problem string

// Problem types.
const (
	ProblemAuthRevoked          Problem = "auth_revoked"
	ProblemPermissionDenied     Problem = "permission_denied"
	ProblemRequiredFieldMissing Problem = "required_field_missing"
	ProblemInvalidValue         Problem = "invalid_value"
	ProblemDuplicateRule        Problem = "duplicate_rule"
	ProblemFieldMissing         Problem = "field_missing"
	ProblemRateLimited          Problem = "rate_limited"
	ProblemRecordLocked         Problem = "record_locked"
	ProblemCRMUnavailable       Problem = "crm_unavailable"
	ProblemUnknown              Problem = "unknown"
)

// Problems lists every problem type.
var Problems = []Problem{
	ProblemAuthRevoked, ProblemPermissionDenied, ProblemRequiredFieldMissing,
	ProblemInvalidValue, ProblemDuplicateRule, ProblemFieldMissing,
	ProblemRateLimited, ProblemRecordLocked, ProblemCRMUnavailable, ProblemUnknown,
}

// ProblemInfo is what a client reads on a problem card.
type ProblemInfo struct {
	Title   string // short heading
	Meaning string // what happened, in plain English
	Fix     string // what the client can do about it
}

var problemInfo = map[Problem]ProblemInfo{
	ProblemAuthRevoked: {
		Title:   "Your CRM login was revoked or expired",
		Meaning: "Your CRM no longer accepts SalesHive's sign-in, so nothing can be pushed until it is renewed.",
		Fix:     "Click Reconnect and sign in to your CRM again. Your strategist has been alerted. Nothing already synced is lost.",
	},
	ProblemPermissionDenied: {
		Title:   "SalesHive is not allowed to do this in your CRM",
		Meaning: "The CRM user you connected with lacks a permission SalesHive needs, such as creating contacts or activities.",
		Fix:     "Ask your CRM administrator to grant that user access to contacts and activities, or reconnect as a user who has it, then click Retry failed records.",
	},
	ProblemRequiredFieldMissing: {
		Title:   "Your CRM requires a field SalesHive did not send",
		Meaning: "Your CRM is set up to require a field on new records, and these records did not have a value for it.",
		Fix:     "In Field Mapping, map a SalesHive field or a fixed value to the required field (or make it optional in your CRM), then click Retry failed records.",
	},
	ProblemInvalidValue: {
		Title:   "Your CRM rejected a value",
		Meaning: "A value SalesHive sent, such as an email address or a picklist choice, is not accepted by your CRM.",
		Fix:     "Correct the value on the contact in SalesHive, or change the field mapping that sends it, then click Retry failed records.",
	},
	ProblemDuplicateRule: {
		Title:   "A duplicate rule in your CRM blocked these records",
		Meaning: "Your CRM found an existing record it considers the same person and refused to create another.",
		Fix:     "Merge or relax the duplicate rule in your CRM, or remove the duplicate record, then click Retry failed records.",
	},
	ProblemFieldMissing: {
		Title:   "A mapped field does not exist in your CRM",
		Meaning: "A field in your field mapping was renamed or deleted in your CRM, so the CRM rejected the record.",
		Fix:     "Open Field Mapping and pick an existing CRM field (or recreate the field in your CRM), then click Retry failed records.",
	},
	ProblemRateLimited: {
		Title:   "Your CRM asked SalesHive to slow down",
		Meaning: "Your CRM's API limit was reached. SalesHive waits and continues automatically.",
		Fix:     "Nothing to do: the records are retried when the limit resets. If this persists, raise your CRM plan's API limit.",
	},
	ProblemRecordLocked: {
		Title:   "The record was locked in your CRM",
		Meaning: "Someone or something else was editing the same record, so your CRM refused the change for a moment.",
		Fix:     "Click Retry failed records; it usually succeeds on the next try.",
	},
	ProblemCRMUnavailable: {
		Title:   "Your CRM was unavailable",
		Meaning: "Your CRM did not answer or reported an internal error.",
		Fix:     "SalesHive retries automatically. If it continues, check your CRM's status page, then click Retry failed records.",
	},
	ProblemUnknown: {
		Title:   "Your CRM rejected these records",
		Meaning: "Your CRM returned an error SalesHive does not recognise; its own message is shown below.",
		Fix:     "Read the CRM's message, fix the cause in your CRM or in Field Mapping, then click Retry failed records.",
	},
}

// Info returns the plain-English card text for p.
func (p Problem) Info() ProblemInfo {
	if info, ok := problemInfo[p]; ok {
		return info
	}
	return problemInfo[ProblemUnknown]
}
