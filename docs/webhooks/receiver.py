#!/usr/bin/env python3
"""A Bloonio Chat Relay webhook receiver: verifies HMAC#1 and handles each event once.

    TENANT_SECRET=bts_... [TENANT_SECRET_PREVIOUS=bts_...] python3 receiver.py [port]   (default 9000; 0 = any free port)

Answers 2xx only once the event is handled; a duplicate (same X-Bloonio-Event-Id, e.g. a retry whose first answer
was lost) is acknowledged without handling it again. Standard library only.
"""
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRETS = [s for s in (os.environ.get("TENANT_SECRET"), os.environ.get("TENANT_SECRET_PREVIOUS")) if s]
WINDOW_MS = 300_000
seen = set()  # use your database in production: a unique constraint on the event id


def valid(headers, path_and_query, body):
    timestamp = headers.get("X-Bloonio-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > WINDOW_MS:
        return False
    canonical = "\n".join([timestamp, "POST", path_and_query, hashlib.sha256(body).hexdigest()]).encode()
    presented = [p.strip().removeprefix("v1=") for p in headers.get("X-Bloonio-Signature", "").split(",")]
    for secret in SECRETS:  # during a rotation the relay signs with both secrets
        expected = hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, p) for p in presented):
            return True
    return False


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not valid(self.headers, self.path, body):
            self.send_response(401)
            self.end_headers()
            return
        event = json.loads(body)
        if event["id"] in seen:
            print(f"duplicate {event['id']} {event['type']}", flush=True)
        else:
            seen.add(event["id"])
            print(f"accepted {event['id']} {event['type']} sequence={event.get('sequence')}", flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 9000), Receiver)
    print(f"listening on http://127.0.0.1:{server.server_port}/hooks/bloonio", flush=True)
    server.serve_forever()
