// check.js drives the Salesforce sandbox with jsforce, an unmodified Salesforce client
// library: node check.js BASE_URL CLIENT_ID CLIENT_SECRET. Run by TestJSForce when
// JSFORCE_DIR names a folder with node_modules/jsforce. Prints one JSON summary line.
const path = require('path');
const jsforce = require(path.join(process.env.JSFORCE_DIR, 'node_modules', 'jsforce'));

(async () => {
  const [base, clientId, clientSecret] = process.argv.slice(2);
  const redirectUri = 'https://app.example/callback';
  const oauth2 = new jsforce.OAuth2({ loginUrl: base, clientId, clientSecret, redirectUri });
  // The consent page posts decision=allow back to the authorize URL.
  const authURL = oauth2.getAuthorizationUrl({ scope: 'api refresh_token id', state: 'st-1' });
  const consent = await fetch(authURL, { method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=allow' });
  const code = new URL(consent.headers.get('location')).searchParams.get('code');

  const conn = new jsforce.Connection({ oauth2, version: '60.0' });
  const who = await conn.authorize(code);
  const identity = await conn.identity();
  const users = await conn.query("SELECT Id, Name, Email FROM User WHERE IsActive = true");
  const limits = await conn.limits();

  const field = await conn.tooling.sobject('CustomField').create({
    FullName: 'Contact.SalesHive_External_ID__c',
    Metadata: { label: 'SalesHive External ID', type: 'Text', length: 255, externalId: true, unique: true },
  });
  const ps = await conn.query("SELECT Id FROM PermissionSet WHERE IsOwnedByProfile = true");
  await conn.sobject('FieldPermissions').create({ ParentId: ps.records[0].Id, SobjectType: 'Contact',
    Field: 'Contact.SalesHive_External_ID__c', PermissionsRead: true, PermissionsEdit: true });

  const single = await conn.sobject('Contact').upsert({ SalesHive_External_ID__c: 'SH-1', LastName: 'Lovelace' }, 'SalesHive_External_ID__c');
  const many = await conn.sobject('Contact').upsert([
    { SalesHive_External_ID__c: 'SH-1', LastName: 'Lovelace', Title: 'Countess' },
    { SalesHive_External_ID__c: 'SH-2', LastName: 'Turing' },
    { SalesHive_External_ID__c: 'SH-3', FirstName: 'No last name' },
  ], 'SalesHive_External_ID__c', { allOrNone: false });
  const got = await conn.sobject('Contact').retrieve(many[0].id);
  const task = await conn.sobject('Task').create({ Subject: 'Call', WhoId: many[0].id, TaskSubtype: 'Call', Status: 'Completed' });
  const desc = await conn.sobject('Contact').describe();
  const found = await conn.query("SELECT Id, SalesHive_External_ID__c FROM Contact WHERE SalesHive_External_ID__c IN ('SH-1','SH-2')");

  let badError = null;
  try {
    await conn.sobject('Contact').create({ LastName: 'X', Email: 'not-an-email' });
  } catch (e) {
    badError = e.errorCode || e.name;
  }
  const refreshed = await oauth2.refreshToken(conn.refreshToken);

  console.log(JSON.stringify({
    orgId: who.organizationId, userId: who.id, instanceUrl: conn.instanceUrl,
    identityUser: identity.username, users: users.totalSize, dailyMax: limits.DailyApiRequests.Max,
    fieldCreated: field.success, single: single.created, many: many.map(r => [r.success, r.created]),
    gotTitle: got.Title, task: task.success, describeHasField: desc.fields.some(f => f.name === 'SalesHive_External_ID__c'),
    found: found.totalSize, badError, refreshed: !!refreshed.access_token,
  }));
})().catch((e) => { console.error(e && (e.stack || e)); process.exit(1); });
