#!/usr/bin/env python3
"""HMAC#1 signer for the Bloonio Chat Relay (Python 3 standard library only)."""
from __future__ import annotations

import argparse
import hashlib
import hmac
import time


def sign(secret: str, method: str, path_and_query: str, body: bytes = b"",
         timestamp_ms: int | None = None, tenant_id: str | None = None) -> dict[str, str]:
    """Return the X-Bloonio-* headers for one request. Sign every request (and every retry) anew."""
    ts = str(timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000)
    canonical = "\n".join([ts, method.upper(), path_and_query, hashlib.sha256(body).hexdigest()])
    digest = hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    headers = {"X-Bloonio-Timestamp": ts, "X-Bloonio-Signature": f"v1={digest}"}
    if tenant_id is not None:
        headers["X-Bloonio-Tenant-Id"] = tenant_id
    return headers


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="Print the X-Bloonio-Signature value (v1=<hex>).")
    p.add_argument("--secret", required=True)
    p.add_argument("--timestamp", type=int, help="unix epoch milliseconds (default: now)")
    p.add_argument("--method", required=True)
    p.add_argument("--path", required=True, help="path and query, e.g. /api/v1/relay/usage?period=2026-11")
    p.add_argument("--body", default="", help="request body (UTF-8)")
    a = p.parse_args()
    print(sign(a.secret, a.method, a.path, a.body.encode("utf-8"), a.timestamp)["X-Bloonio-Signature"])
