// Package web is crmsync's HTTP layer: the JSON ingest API under /api/v1
// that the rest of the SalesHive platform uses to feed contacts and
// activities into crmsync, its OpenAPI document, and the health endpoints;
// and the pages a client signs in to (the Integrations hub, the CRM
// Connection Detail page, the Field Mapping tab) with their live updates
// over Server-Sent Events and the connection API (/api/v1/connections)
// that offers every page action as JSON.
//
// The pages are server-rendered html/template files embedded from
// templates/, with a little plain JavaScript (static/app.js) for live
// updates; every form works without it (POST → redirect → GET with a flash
// message). Sessions live in the store (crmsync.SessionService); every form
// carries the session's CSRF token. The page actions go through the Engine
// interface, which *syncer.Engine implements.
//
// All routes live in routes.go; every handler is one action
// (handleContactsBatchUpsert …). Domain errors become HTTP responses in one
// function, errorStatus, and every error body has the shape
//
//	{"error":{"code":"invalid","message":"…","fields":[{"field":"contacts[3].email","message":"…"}]}}
package web
