// A Bloonio Chat Relay webhook receiver: verifies HMAC#1 and handles each event once (Node, no dependencies).
//   TENANT_SECRET=bts_... [TENANT_SECRET_PREVIOUS=bts_...] node receiver.mjs [port]   (default 9000; 0 = any free port)
import { createServer } from "node:http";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

const secrets = [process.env.TENANT_SECRET, process.env.TENANT_SECRET_PREVIOUS].filter(Boolean);
const seen = new Set(); // use your database in production: a unique constraint on the event id

function valid(headers, pathAndQuery, body) {
  const timestamp = headers["x-bloonio-timestamp"] ?? "";
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() - Number(timestamp)) > 300_000) return false;
  const canonical = [timestamp, "POST", pathAndQuery, createHash("sha256").update(body).digest("hex")].join("\n");
  const presented = (headers["x-bloonio-signature"] ?? "").split(",").map((p) => p.trim().replace(/^v1=/, ""));
  return secrets.some((secret) => {
    const expected = Buffer.from(createHmac("sha256", secret).update(canonical).digest("hex"));
    return presented.some((p) => p.length === expected.length && timingSafeEqual(Buffer.from(p), expected));
  });
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    if (req.method !== "POST" || !valid(req.headers, req.url, body)) {
      res.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body.toString("utf8"));
    console.log(`${seen.has(event.id) ? "duplicate" : "accepted"} ${event.id} ${event.type} sequence=${event.sequence}`);
    seen.add(event.id);
    res.writeHead(204).end();
  });
});

server.listen(Number(process.argv[2] ?? 9000), "127.0.0.1", () =>
  console.log(`listening on http://127.0.0.1:${server.address().port}/hooks/bloonio`));
