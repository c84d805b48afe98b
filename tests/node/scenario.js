// The twilio-node scenario the proxy tests run, unmodified client and environment only:
//   node scenario.js              (proxy mode: HTTP_PROXY + NODE_EXTRA_CA_CERTS, TWILIO_* credentials)
//   node scenario.js BASE_URL     (plain server mode, through FakeTrunkingHttpClient)
// Prints one JSON line of what it saw; exits 1 (with the error) when a step fails.
const assert = require("node:assert/strict");
const twilio = require("twilio");
const { FakeTrunkingHttpClient } = require("./fake_trunking_http_client");

async function collect(list, params) {
  const seen = [];
  await new Promise((resolve, reject) => {
    list.each({ ...params, done: (err) => (err ? reject(err) : resolve()) }, (item) => {
      seen.push(item);
    });
  });
  return seen;
}

async function main() {
  const baseUrl = process.argv[2];
  const options = baseUrl ? { httpClient: new FakeTrunkingHttpClient(baseUrl) } : {};
  const client = twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN, options);
  const trunks = client.trunking.v1.trunks;
  const out = { created: [], urls: [] };

  for (let i = 0; i < 5; i++) {
    const trunk = await trunks.create({ friendlyName: `node-${i}` });
    out.created.push(trunk.sid);
    out.urls.push(trunk.url);
  }
  const fetched = await trunks(out.created[0]).fetch();
  assert.equal(fetched.friendlyName, "node-0");
  const updated = await trunks(out.created[0]).update({ friendlyName: "renamed" });
  assert.equal(updated.friendlyName, "renamed");

  const paged = await collect(trunks, { pageSize: 2 });
  out.paged = paged.map((t) => t.sid);
  const page = await trunks.page({ pageSize: 2 });
  out.next_page_url = page.nextPageUrl;

  const origination = client.trunking.v1.trunks(out.created[1]).originationUrls;
  for (let i = 0; i < 3; i++) {
    await origination.create({
      friendlyName: `o-${i}`, sipUrl: `sip:o${i}@example.com`, weight: 1, priority: 1, enabled: true,
    });
  }
  out.origination_paged = (await collect(origination, { pageSize: 2 })).map((o) => o.friendlyName);

  // API v2010 beside Trunking: a credential list made there, associated with a trunk here
  const lists = client.sip.credentialLists;
  for (let i = 0; i < 3; i++) {
    out.v2010_lists = (out.v2010_lists || []).concat([(await lists.create({ friendlyName: `l-${i}` })).sid]);
  }
  out.v2010_paged = (await collect(lists, { pageSize: 2 })).map((l) => l.sid);
  await trunks(out.created[2]).credentialsLists.create({ credentialListSid: out.v2010_lists[0] });
  out.v2010_auth_type = (await trunks(out.created[2]).fetch()).authType;

  assert.equal(await trunks(out.created[4]).remove(), true);
  try {
    await trunks(out.created[4]).fetch();
    throw new Error("fetching a removed trunk did not fail");
  } catch (err) {
    out.not_found = { status: err.status, code: err.code };
  }
  try {
    await trunks.create({ friendlyName: "x".repeat(300) });
    throw new Error("a too long FriendlyName did not fail");
  } catch (err) {
    out.bad_request = { status: err.status, code: err.code };
  }
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(`scenario failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
