// Drives HubSpot's official Node client (@hubspot/api-client), unmodified,
// against the sandbox at process.argv[2]. Exits non-zero on the first
// answer that differs from what the client gets from HubSpot.
const assert = require('node:assert/strict');
const hubspot = require('@hubspot/api-client');

const base = process.argv[2];
const redirect = 'https://app.example/cb';
const scopes = 'oauth crm.objects.contacts.read crm.objects.contacts.write crm.schemas.contacts.read crm.schemas.contacts.write crm.objects.owners.read';
const assoc = (id, typeId) => [{ to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] }];
const fails = async (p, status, category) => {
  try { await p; } catch (e) { assert.equal(e.code, status); if (category) assert.equal(e.body.category, category); return e; }
  assert.fail(`expected HTTP ${status}`);
};

(async () => {
  // OAuth: press Allow on the consent page, then the client's tokens API.
  const q = new URLSearchParams({ client_id: 'crmsync-hubspot', redirect_uri: redirect, scope: scopes, state: 's' });
  const res = await fetch(`${base}/oauth/authorize?${q}`, { method: 'POST', body: 'decision=allow', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  const code = new URL(res.headers.get('location')).searchParams.get('code');
  const anon = new hubspot.Client({ basePath: base });
  const tok = await anon.oauth.tokensApi.create('authorization_code', code, redirect, 'crmsync-hubspot', 'crmsync-hubspot-secret');
  assert.equal(tok.expiresIn, 1800);
  const refreshed = await anon.oauth.tokensApi.create('refresh_token', undefined, undefined, 'crmsync-hubspot', 'crmsync-hubspot-secret', tok.refreshToken);
  assert.equal(refreshed.refreshToken, tok.refreshToken);
  const info = await anon.oauth.accessTokensApi.get(refreshed.accessToken);
  assert.equal(info.hubId, 62515);

  const client = new hubspot.Client({ accessToken: refreshed.accessToken, basePath: base });
  const prop = await client.crm.properties.coreApi.create('contacts', { name: 'saleshive_external_id', label: 'SalesHive External ID', type: 'string', fieldType: 'text', groupName: 'contactinformation', hasUniqueValue: true });
  assert.equal(prop.hasUniqueValue, true);
  await fails(client.crm.properties.coreApi.create('contacts', { name: 'saleshive_external_id', label: 'x', type: 'string', fieldType: 'text', groupName: 'contactinformation' }), 409, 'OBJECT_ALREADY_EXISTS');

  const owners = await client.crm.owners.ownersApi.getPage(undefined, undefined, 100, false);
  assert.equal(owners.results.length, 3);

  const up = await client.crm.contacts.batchApi.upsert({ inputs: [
    { idProperty: 'saleshive_external_id', id: 'SH-1', properties: { email: 'ada@example.com', firstname: 'Ada', hubspot_owner_id: owners.results[0].id } },
    { idProperty: 'saleshive_external_id', id: 'SH-2', properties: { email: 'alan@example.com' } }] });
  assert.equal(up.results.length, 2);
  const again = await client.crm.contacts.batchApi.upsert({ inputs: [{ idProperty: 'saleshive_external_id', id: 'SH-1', properties: { jobtitle: 'Countess' } }] });
  assert.equal(again.results[0]['_new'] ?? again.results[0]['new'], false);
  await fails(client.crm.contacts.batchApi.upsert({ inputs: [{ idProperty: 'saleshive_external_id', id: 'SH-3', properties: { email: 'bad@@x' } }] }), 400, 'VALIDATION_ERROR');
  const multi = await client.crm.contacts.batchApi.upsert({ inputs: [
    { idProperty: 'saleshive_external_id', id: 'SH-4', objectWriteTraceId: 't4', properties: { email: 'four@example.com' } },
    { idProperty: 'saleshive_external_id', id: 'SH-5', objectWriteTraceId: 't5', properties: { email: 'bad@@x' } }] });
  assert.equal(multi.numErrors, 1);
  assert.deepEqual(multi.errors[0].context.objectWriteTraceId, ['t5']);

  const contactId = again.results[0].id;
  await client.crm.objects.calls.basicApi.create({ properties: { hs_timestamp: new Date().toISOString(), hs_call_title: 'Discovery', hs_call_duration: '420000' }, associations: assoc(contactId, 194) });
  await client.crm.objects.emails.basicApi.create({ properties: { hs_timestamp: Date.now().toString(), hs_email_subject: 'Hi', hs_email_direction: 'EMAIL' }, associations: assoc(contactId, 198) });
  await client.crm.objects.meetings.basicApi.create({ properties: { hs_timestamp: new Date().toISOString(), hs_meeting_title: 'Demo' }, associations: assoc(contactId, 200) });
  const batchCalls = await client.crm.objects.calls.batchApi.create({ inputs: [{ properties: { hs_timestamp: new Date().toISOString() }, associations: assoc(contactId, 194) }] });
  assert.equal(batchCalls.results.length, 1);
  const got = await client.crm.contacts.basicApi.getById(contactId, ['email', 'jobtitle'], undefined, ['calls', 'emails', 'meetings']);
  assert.equal(got.properties.jobtitle, 'Countess');
  assert.equal(got.associations.calls.results.length, 2);
  assert.equal(got.associations.emails.results.length, 1);
  assert.equal(got.associations.meetings.results.length, 1);

  const found = await client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'ada@example.com' }] }], properties: ['email'], limit: 10, after: '0', sorts: [] });
  assert.equal(found.total, 1);
  const upd = await client.crm.contacts.basicApi.update(contactId, { properties: { lastname: 'Lovelace' } });
  assert.equal(upd.properties.lastname, 'Lovelace');
  const dup = await fails(client.crm.contacts.basicApi.create({ properties: { email: 'ada@example.com' } }), 409, 'CONFLICT');
  assert.equal(dup.body.message, `Contact already exists. Existing ID: ${contactId}`);
  await fails(new hubspot.Client({ accessToken: 'nope', basePath: base }).crm.contacts.basicApi.getPage(), 401, 'INVALID_AUTHENTICATION');
  console.log('hubspot sdk check: ok');
})().catch((e) => { console.error('hubspot sdk check FAILED:', e.code ?? '', e.body ?? e); process.exit(1); });
