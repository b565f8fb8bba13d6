namespace Bloonio.Relay.Web.OpenApi;

/// <summary>The prose of the OpenAPI document (SPEC 1, 2, 12), kept apart so the transformers stay short.</summary>
internal static class RelayApiText
{
    public const string Description = """
        The Bloonio Chat Relay is a **multi-tenant chat gateway**: tenant backends, the chat widget, the in-app SDK,
        operators' apps and the bot brain talk to each other through it, and every tenant only ever sees its own data.
        This document covers the REST API; live traffic goes over SignalR hubs, which are not described here.

        ## Envelope
        Every response, success or error, is one JSON object with `snake_case` fields:

        ```json
        {"status_code": 201, "data": {"operator_id": "019e4af0-…"}, "message": "Operator provisioned"}
        ```

        `status_code` always equals the HTTP status. An error has `data: null`, a stable machine code in `error_code`
        and, for validation (422) and malformed input (400), the failing fields in `errors`:

        ```json
        {"status_code": 422, "data": null, "message": "Validation failed", "error_code": "validation_failed",
         "errors": [{"field": "email", "message": "must be a valid email address"}]}
        ```

        A 500 is a bug, never the answer to bad input: it carries a `correlation_id` (also sent as the
        `X-Correlation-Id` response header) to quote to support.

        ## HMAC#1: tenant backends, `/api/v1/relay/*`
        Every request is signed with the tenant secret (`bts_…`) and carries three headers:

        | header | value |
        |---|---|
        | `X-Bloonio-Tenant-Id` | the tenant's UUID |
        | `X-Bloonio-Timestamp` | unix epoch **milliseconds**, decimal digits (`1718960000000`) |
        | `X-Bloonio-Signature` | `v1=<64 lowercase hex>`; several comma-separated are accepted (`v1=ab…,v1=cd…`) and one valid is enough |

        ```
        canonical = timestamp + "\n" + METHOD + "\n" + path_and_query + "\n" + hex(sha256(body))
        signature = hex(HMAC-SHA256(key = tenant_secret, message = canonical))
        X-Bloonio-Signature: v1=<signature>
        ```

        - `path_and_query` is the request target exactly as sent (`/api/v1/relay/usage?period=2026-11`), without
          scheme or host. Hash the exact bytes you send; an empty body hashes as SHA-256 of zero bytes (`e3b0c442…b855`).
          Hex is lowercase; keys and messages are UTF-8.
        - The timestamp must be within **±300 s** of the relay's clock, else 401 `timestamp_out_of_window`.
        - A signed request is accepted **once**: sending it again is refused with 401 `replayed_request`, so sign every
          retry anew with a fresh timestamp.
        - Other failures: 401 `missing_signature` (a header missing or malformed), 401 `unknown_tenant`,
          401 `invalid_signature`, 403 `tenant_suspended`.
        - During a secret rotation's grace period the previous secret verifies too.
        - Copy-paste signers (bash + curl, Python, Node, C#) are in `docs/signers/` of the repository.

        Swagger UI cannot sign: compute the headers with a signer for the exact request, then paste them into the
        operation's parameters.

        ## Platform admin: `/api/v1/admin/*`
        `Authorization: Bearer <Relay:AdminApiKey>`, the key from the relay's configuration. With no key configured the
        admin API is off and answers 401 `unauthorized`.
        """;

    public const string Hmac1Scheme = """
        HMAC#1 (see the document's description). Three headers on every `/api/v1/relay/*` request:
        `X-Bloonio-Tenant-Id` (the tenant's UUID), `X-Bloonio-Timestamp` (unix epoch milliseconds, ±300 s) and
        `X-Bloonio-Signature` (`v1=` + lowercase hex HMAC-SHA256 of `timestamp\nMETHOD\npath_and_query\nhex(sha256(body))`
        keyed with the tenant secret). A signature is good for one request only, so fill the three header parameters of
        each operation rather than authorizing once here.
        """;

    public const string AdminKeyScheme =
        "The platform admin API key (`Relay:AdminApiKey`), sent as `Authorization: Bearer <key>`.";
}
