// Package secret seals the secrets crmsync keeps at rest (CRM OAuth tokens,
// client secrets) with AES-256-GCM, and loads the key that does it: from the
// CRMSYNC_SECRET_KEY value main passes in, or from a key file created with
// mode 0600 on first run.
//
// A Keyring holds one primary key, used to seal, and any number of older keys
// still accepted when opening, so a key can be rotated without re-encrypting
// everything at once. Sealed values carry the id of the key that sealed them
// and are bound to associated data (for example the row they belong to), so a
// sealed value copied into another row does not open.
//
// Nothing in this package puts key material or plaintext into an error.
package secret
