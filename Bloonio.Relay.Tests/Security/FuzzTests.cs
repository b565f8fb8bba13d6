using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>
/// Seeded random mutations of valid requests for every REST endpoint and hub method: values swapped for another type,
/// NUL and control characters, unpaired surrogates, huge and odd numbers, long strings, deep nesting, duplicate and
/// unknown keys, truncated or non-JSON bodies, other charsets, invalid UTF-8, odd query strings. Whatever the input, the
/// answer is never a 5xx nor <c>internal_error</c>. The seed is fixed (<c>FUZZ_SEED</c> to change it); <c>FUZZ_CASES</c>
/// sets how many REST cases (2 000 by default; hub calls are a quarter of that). A failure prints the input.
/// </summary>
public sealed class FuzzTests : HubTestBase
{
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_CASES"), out var n) ? n : 2000;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var s) ? s : 20261127;

    private enum Door { Signed, Admin, Widget }

    private sealed record Endpoint(HttpMethod Method, string Path, Door Door, JsonNode? Body);

    [Test]
    public async Task NoRestInputGetsA5xx()
    {
        // Over real HTTP (Kestrel), as the black-box run was: the in-memory test server parses requests differently.
        await using var relay = new RelayFactory();
        var api = new RelayApi(new Uri(relay.StartOnKestrel()));
        var tenant = await api.CreateTenantAsync();
        await RaiseQuotasAsync(api, tenant);
        var sessionId = Guid.Parse((await api.WidgetSessionAsync(tenant)).ShouldBe(201).Data.GetProperty("session_id").GetString()!);
        var endpoints = Catalogue(tenant.TenantId, sessionId);
        var random = new Random(Seed);
        var failures = new List<string>();
        for (var i = 0; i < Cases && failures.Count < 10; i++)
        {
            var endpoint = endpoints[random.Next(endpoints.Count)];
            var (path, body, contentType) = Mutate(endpoint, random);
            using var response = await SendAsync(api, tenant, endpoint, path, body, contentType);
            var text = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode >= 500 || text.Contains("internal_error", StringComparison.Ordinal))
            {
                failures.Add($"#{i} {endpoint.Method} {path} [{contentType}] {Printable(body)} → {(int)response.StatusCode} {text}");
            }
        }

        Assert.That(failures, Is.Empty, $"seed {Seed}:\n" + string.Join('\n', failures));
        Assert.That(relay.Logs.Lines.Where(l => l.StartsWith("Error") || l.StartsWith("Critical")), Is.Empty, "the relay logged errors");
    }

    [Test]
    public async Task NoHubArgumentGetsAnInternalError()
    {
        var random = new Random(Seed + 1);
        await RaiseQuotasAsync(Api, Tenant);
        var session = await OpenSessionAsync("human", routingKey: "fuzz");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["fuzz"]));
        var methods = new (HubConnection Hub, string Name, JsonNode Args)[]
        {
            (visitor, "Send", Json(new { client_message_id = "c1", text = "hello" })),
            (visitor, "History", Json(new { after_seq = 0, limit = 10 })),
            (visitor, "RequestHuman", Json(new { reason = "help" })),
            (visitor, "Typing", Json(new { is_typing = true })),
            (visitor, "MarkRead", Json(new { seq = 1 })),
            (op, "SetAvailability", Json(new { status = "online" })),
            (op, "Accept", Json(new { assignment_id = Guid.NewGuid() })),
            (op, "Send", Json(new { session_id = session.SessionId, client_message_id = "o1", text = "hi" })),
            (op, "History", Json(new { session_id = session.SessionId, after_seq = 0, limit = 10 })),
            (op, "Typing", Json(new { session_id = session.SessionId, is_typing = true })),
            (op, "MarkRead", Json(new { session_id = session.SessionId, seq = 1 })),
            (op, "Release", Json(new { assignment_id = Guid.NewGuid() })),
            (op, "Transfer", Json(new { assignment_id = Guid.NewGuid(), routing_key = "fuzz", operator_id = (Guid?)null })),
            (op, "HandBack", Json(new { assignment_id = Guid.NewGuid() })),
            (op, "Close", Json(new { assignment_id = Guid.NewGuid(), resolution = "done" })),
        };

        var failures = new List<string>();
        for (var i = 0; i < Cases / 4 && failures.Count < 10; i++)
        {
            var (hub, name, args) = methods[random.Next(methods.Length)];
            var mutated = args.DeepClone();
            MutateTree(ref mutated, random, hubSafe: true);
            try
            {
                await hub.InvokeCoreAsync(name, typeof(JsonElement), [mutated]).WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (HubException ex) when (!ex.Message.Contains("internal_error", StringComparison.Ordinal)
                                          && !(ex.Message.Contains("An unexpected error occurred", StringComparison.Ordinal)
                                               && !ex.Message.Contains("HubException:", StringComparison.Ordinal)))
            {
                // a refusal the caller can read
            }
            catch (HubException ex)
            {
                failures.Add($"#{i} {name}({mutated.ToJsonString()}) → {ex.Message}");
            }

            Assert.That(hub.State, Is.EqualTo(HubConnectionState.Connected), $"#{i} {name}({mutated.ToJsonString()}) closed the connection");
        }

        Assert.That(failures, Is.Empty, $"seed {Seed + 1}:\n" + string.Join('\n', failures));
    }

    private static async Task RaiseQuotasAsync(RelayApi api, TestTenant tenant) =>
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new
        {
            quotas = new { backend_requests_per_minute = 1_000_000, visitor_messages_per_minute = 1_000_000, widget_sessions_per_minute = 1_000_000 },
        })).ShouldBe(200);

    private static List<Endpoint> Catalogue(Guid t, Guid sessionId)
    {
        var s = sessionId;
        return
        [
            new(HttpMethod.Post, "/api/v1/relay/provision/operator", Door.Signed,
                Json(new { email = "fz@example.com", display_name = "Fuzz", avatar_url = "https://cdn.example.com/a.png", routing_keys = new[] { "a", "b" }, max_concurrent = 3 })),
            new(HttpMethod.Post, "/api/v1/relay/fetch/operator-token", Door.Signed, Json(new { email = "fz@example.com" })),
            new(HttpMethod.Post, "/api/v1/relay/deprovision/operator", Door.Signed, Json(new { email = "gone@example.com" })),
            new(HttpMethod.Get, "/api/v1/relay/operators", Door.Signed, null),
            new(HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", Door.Signed,
                Json(new { external_user_id = "u1", display_name = "Ada", email = "ada@example.com", mode = "bot", routing_key = "a", metadata = new { plan = "gold", n = 1 } })),
            new(HttpMethod.Post, "/api/v1/relay/provision/session", Door.Signed,
                Json(new { external_user_id = "u2", mode = "human", routing_key = "a", initial_message = "hello", metadata = new { tags = new[] { "x" } } })),
            new(HttpMethod.Get, $"/api/v1/relay/sessions/{s}", Door.Signed, null),
            new(HttpMethod.Get, $"/api/v1/relay/sessions/{s}/messages?after_seq=0&limit=10", Door.Signed, null),
            new(HttpMethod.Post, $"/api/v1/relay/sessions/{s}/messages", Door.Signed,
                Json(new { text = "from the backend", client_message_id = "b1", sender = new { type = "system" } })),
            new(HttpMethod.Post, $"/api/v1/relay/sessions/{Guid.NewGuid()}/close", Door.Signed, Json(new { reason = "resolved" })),
            new(HttpMethod.Post, $"/api/v1/relay/sessions/{s}/escalate", Door.Signed, Json(new { reason = "vip", routing_key = "a" })),
            new(HttpMethod.Get, "/api/v1/relay/events?after=0&limit=5", Door.Signed, null),
            new(HttpMethod.Get, "/api/v1/relay/usage?period=2026-11", Door.Signed, null),
            new(HttpMethod.Get, "/api/v1/relay/webhooks/deliveries?status=failed&limit=5", Door.Signed, null),
            new(HttpMethod.Post, $"/api/v1/relay/webhooks/deliveries/{Guid.NewGuid()}/replay", Door.Signed, Json(new { })),
            new(HttpMethod.Post, "/api/v1/relay/webhooks/resume", Door.Signed, Json(new { })),
            new(HttpMethod.Get, "/api/v1/widget/config", Door.Widget, null),
            new(HttpMethod.Post, "/api/v1/widget/sessions", Door.Widget,
                Json(new { mode = "bot", routing_key = "a", visitor = new { display_name = "Vi", email = "vi@example.com" }, metadata = new { page = "/" } })),
            new(HttpMethod.Post, "/api/v1/admin/tenants", Door.Admin,
                Json(new { name = "Fuzz Co", allowed_origins = new[] { "https://fuzz.example.com" }, webhook_url = "https://hooks.example.com/x", owner_email = "o@example.com" })),
            new(HttpMethod.Get, "/api/v1/admin/tenants?limit=5", Door.Admin, null),
            new(HttpMethod.Patch, $"/api/v1/admin/tenants/{t}", Door.Admin, Json(new
            {
                name = "Renamed", allowed_origins = new[] { "https://shop.example.com" }, branding = new { title = "Hi", greeting = "Hello", primary_color = "#112233" },
                feature_flags = new { bot = true, human_handoff = true }, webhook_events = new[] { "message.created" }, max_wait_seconds = 60,
                faq = new[] { new { question = "Q?", answer = "A." } }, max_concurrent = 5,
            })),
            new(HttpMethod.Post, $"/api/v1/admin/tenants/{Guid.NewGuid()}/suspend", Door.Admin, Json(new { })),
        ];
    }

    private static JsonNode Json(object value) => JsonSerializer.SerializeToNode(value, RelayApi.SnakeCase)!;

    private static readonly string[] OddStrings =
    [
        "", "\u0000", "a\u0000b", "\u0001\u001f", "\u007f", "line\nbreak", "tab\t", " ", "💥🌍", "\u202eRTL", "\ufeffbom", "%00", "../../etc/passwd",
        "<script>alert(1)</script>", "' OR 1=1 --", "{{7*7}}", "store_42\n", "#ffffff\n", "a@b.c\n", new string('x', 5000), "null", "true", "0",
        "00000000-0000-0000-0000-000000000000", "https://[::127.0.0.1]/", "http://169.254.169.254/", "-1", "1e400",
    ];

    /// <summary>A mutated request: path (query), body bytes and content type.</summary>
    private static (string Path, byte[] Body, string? ContentType) Mutate(Endpoint endpoint, Random random)
    {
        var path = endpoint.Path;
        if (path.Contains('?') && random.Next(3) == 0)
        {
            var odd = new[] { "-1", "abc", "99999999999999999999", "1e9", "", "%00", "%ZZ", "0x10", "NaN", "2147483648" }[random.Next(10)];
            var parts = path.Split('?');
            var query = parts[1].Split('&').Select(p => random.Next(2) == 0 ? p.Split('=')[0] + "=" + odd : p);
            path = parts[0] + "?" + string.Join('&', query);
        }

        if (random.Next(10) == 0)
        {
            // the path itself: a malformed id
            path = path.Replace(path.Split('/').FirstOrDefault(p => Guid.TryParse(p, out _)) ?? "\u0001", new[] { "not-a-guid", "%00", "0" }[random.Next(3)]);
        }

        if (endpoint.Body is null)
        {
            return (path, [], null);
        }

        var contentType = random.Next(12) switch
        {
            0 => "application/json; charset=utf-16",
            1 => "text/plain",
            2 => "application/json; charset=\"utf-8\"",
            3 => "application/x-www-form-urlencoded",
            _ => "application/json",
        };
        var node = endpoint.Body.DeepClone();
        var kind = random.Next(20);
        byte[] body;
        if (kind == 0)
        {
            body = Encoding.UTF8.GetBytes(node.ToJsonString()[..random.Next(node.ToJsonString().Length)]); // truncated
        }
        else if (kind == 1)
        {
            var bytes = Encoding.UTF8.GetBytes(node.ToJsonString()).ToList();
            bytes.Insert(random.Next(bytes.Count), new byte[] { 0xFF, 0xC3, 0x80, 0xED }[random.Next(4)]); // invalid UTF-8
            body = bytes.ToArray();
        }
        else if (kind == 2)
        {
            body = Encoding.UTF8.GetBytes(new[] { "", "null", "[]", "\"x\"", "42", "{", "}", "{\"a\":}", "[[[[[[[[" }[random.Next(9)]);
        }
        else if (kind == 3 && node is JsonObject o && o.Count > 0)
        {
            // a duplicate key: the text written by hand
            var first = o.First();
            var text = o.ToJsonString();
            body = Encoding.UTF8.GetBytes(text.Insert(1, $"\"{first.Key}\":{(RandomValue(random, hubSafe: false)?.ToJsonString() ?? "null")},"));
        }
        else if (kind == 4)
        {
            body = Encoding.UTF8.GetBytes(new string('[', 2000) + new string(']', 2000)); // deep nesting
        }
        else if (kind == 5)
        {
            body = Encoding.Unicode.GetBytes(node.ToJsonString()); // UTF-16 bytes
        }
        else
        {
            var mutations = 1 + random.Next(3);
            for (var m = 0; m < mutations; m++)
            {
                MutateTree(ref node, random, hubSafe: false);
            }

            body = Encoding.UTF8.GetBytes(node.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 1000 })
                .Replace(LoneSurrogate, "\\ud800", StringComparison.Ordinal));
        }

        return (path, body, contentType);
    }

    /// <summary>Replaces, removes or adds one value somewhere in the tree.</summary>
    private static void MutateTree(ref JsonNode node, Random random, bool hubSafe)
    {
        var containers = new List<JsonNode>();
        Collect(node, containers);
        var target = containers[random.Next(containers.Count)];
        switch (target)
        {
            case JsonObject obj when obj.Count > 0 && random.Next(4) > 0:
                var key = obj.ElementAt(random.Next(obj.Count)).Key;
                if (random.Next(5) == 0)
                {
                    obj.Remove(key);
                }
                else
                {
                    obj[key] = RandomValue(random, hubSafe);
                }

                break;
            case JsonObject obj:
                obj[OddStrings[random.Next(OddStrings.Length)] + random.Next(100)] = RandomValue(random, hubSafe);
                break;
            case JsonArray array when array.Count > 0:
                array[random.Next(array.Count)] = RandomValue(random, hubSafe);
                break;
            case JsonArray array:
                array.Add(RandomValue(random, hubSafe));
                break;
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> containers, int depth = 0)
    {
        if (depth > 4)
        {
            return; // inside a deep value already
        }

        if (node is JsonObject or JsonArray)
        {
            containers.Add(node);
        }

        foreach (var child in node is JsonObject o ? o.Select(p => p.Value) : node is JsonArray a ? a : [])
        {
            if (child is not null)
            {
                Collect(child, containers, depth + 1);
            }
        }
    }

    private const string LoneSurrogate = "LONE-SURROGATE";

    private static JsonNode? RandomValue(Random random, bool hubSafe)
    {
        switch (random.Next(14))
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(2) == 0);
            case 2: return JsonValue.Create(new[] { 0L, -1L, long.MaxValue, long.MinValue, int.MaxValue + 1L }[random.Next(5)]);
            case 3: return JsonValue.Create(new[] { 1e308, -0.5, 3.14, double.Epsilon }[random.Next(4)]);
            case 4: return JsonNode.Parse(new[] { "1e400", "99999999999999999999999999", "-0", "1E-400" }[random.Next(4)]);
            case 5: return new JsonArray(JsonValue.Create("a"), JsonValue.Create(1), null);
            case 6: return new JsonObject { ["x"] = "y", ["\u0000"] = 1 };
            case 7:
                JsonNode deep = new JsonArray();
                for (var d = 0; d < 40; d++)
                {
                    deep = new JsonArray(deep);
                }

                return deep;
            case 8 when !hubSafe: return JsonValue.Create($"half {LoneSurrogate} pair"); // becomes an escaped unpaired surrogate
            case 9: return JsonValue.Create(Guid.NewGuid().ToString());
            default: return JsonValue.Create(OddStrings[random.Next(OddStrings.Length)]);
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(RelayApi api, TestTenant tenant, Endpoint endpoint, string path, byte[] body, string? contentType)
    {
        var request = new HttpRequestMessage(endpoint.Method, path);
        if (endpoint.Body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        switch (endpoint.Door)
        {
            case Door.Signed:
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString();
                request.Headers.Add(Hmac1.TenantIdHeader, tenant.TenantId.ToString());
                request.Headers.Add(Hmac1.TimestampHeader, timestamp);
                request.Headers.Add(Hmac1.SignatureHeader, Hmac1.Sign(tenant.Secret, timestamp, endpoint.Method.Method, path, body));
                break;
            case Door.Admin:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayFactory.AdminApiKey);
                break;
            case Door.Widget:
                request.Headers.Add("X-Bloonio-Widget-Key", tenant.WidgetKey);
                request.Headers.Add("Origin", "https://shop.example.com");
                break;
        }

        return await api.Http.SendAsync(request);
    }

    private static string Printable(byte[] body) =>
        body.Length > 600 ? $"{body.Length} bytes: {Convert.ToHexString(body[..64])}…" : JsonSerializer.Serialize(Encoding.UTF8.GetString(body),
            new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
