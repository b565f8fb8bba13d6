#!/usr/bin/env node
// HMAC#1 signer for the Bloonio Chat Relay (Node 18+, no dependencies).
import { createHash, createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// body: Buffer/Uint8Array, or a string (hashed as UTF-8). Sign every request (and every retry) anew.
export function sign(secret, method, pathAndQuery, body = '', timestampMs = Date.now(), tenantId = undefined) {
  const ts = String(timestampMs);
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const canonical = `${ts}\n${method.toUpperCase()}\n${pathAndQuery}\n${bodyHash}`;
  const digest = createHmac('sha256', Buffer.from(secret, 'utf8')).update(canonical, 'utf8').digest('hex');
  const headers = { 'X-Bloonio-Timestamp': ts, 'X-Bloonio-Signature': `v1=${digest}` };
  if (tenantId !== undefined) headers['X-Bloonio-Tenant-Id'] = tenantId;
  return headers;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: a } = parseArgs({
    options: {
      secret: { type: 'string' }, timestamp: { type: 'string' }, method: { type: 'string' },
      path: { type: 'string' }, body: { type: 'string', default: '' },
    },
  });
  if (!a.secret || !a.method || !a.path) {
    console.error('usage: sign.mjs --secret S [--timestamp T] --method M --path P [--body B]');
    process.exit(2);
  }
  console.log(sign(a.secret, a.method, a.path, Buffer.from(a.body, 'utf8'), a.timestamp ?? Date.now())['X-Bloonio-Signature']);
}
