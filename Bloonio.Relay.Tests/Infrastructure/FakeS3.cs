using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// An S3-compatible object store on Kestrel (the other side of a network boundary): PutObject, GetObject and
/// DeleteObjects on one bucket, path style. Every request is checked as S3 would: an AWS Signature Version 4 over the
/// method, path, query, signed headers and the payload's SHA-256 (recomputed here from the body), with the known
/// access key; a request that fails the check is 403 and counted in <see cref="BadRequests"/>.
/// </summary>
public sealed class FakeS3 : IAsyncDisposable
{
    public const string AccessKey = "AKIDBLOONIOTEST";
    public const string SecretKey = "fake-s3-secret-key-0123456789";
    public const string Bucket = "relay-files";
    public const string Region = "us-east-1";

    private readonly WebApplication _app;

    public ConcurrentDictionary<string, (byte[] Data, string? ContentType, string? Encryption)> Objects { get; } = new();

    public ConcurrentQueue<string> BadRequests { get; } = new();

    public Uri Url { get; private set; } = null!;

    private FakeS3(WebApplication app) => _app = app;

    public static async Task<FakeS3> StartAsync()
    {
        var app = LoopbackApp.Create();
        var s3 = new FakeS3(app);
        app.Run(s3.HandleAsync);
        s3.Url = await LoopbackApp.StartAsync(app);
        return s3;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        if (Problem(request, body) is { } problem)
        {
            BadRequests.Enqueue(problem);
            context.Response.StatusCode = 403;
            await context.Response.WriteAsync($"<Error><Code>SignatureDoesNotMatch</Code><Message>{problem}</Message></Error>");
            return;
        }

        var path = Uri.UnescapeDataString(request.Path.Value!.TrimStart('/'));
        if (!path.StartsWith(Bucket + "/", StringComparison.Ordinal) && path != Bucket)
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("<Error><Code>NoSuchBucket</Code></Error>");
            return;
        }

        var key = path.Length > Bucket.Length ? path[(Bucket.Length + 1)..] : "";
        switch (request.Method)
        {
            case "PUT":
                Objects[key] = (body, request.ContentType, request.Headers["x-amz-server-side-encryption"].ToString());
                context.Response.Headers.ETag = $"\"{Convert.ToHexString(MD5.HashData(body)).ToLowerInvariant()}\"";
                return;
            case "GET" when Objects.TryGetValue(key, out var found):
                context.Response.ContentType = found.ContentType ?? "application/octet-stream";
                await context.Response.Body.WriteAsync(found.Data);
                return;
            case "GET":
                context.Response.StatusCode = 404;
                context.Response.ContentType = "application/xml";
                await context.Response.WriteAsync("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>");
                return;
            case "POST" when request.Query.ContainsKey("delete"):
                XNamespace ns = "http://s3.amazonaws.com/doc/2006-03-01/";
                foreach (var element in XDocument.Parse(Encoding.UTF8.GetString(body)).Descendants().Where(e => e.Name.LocalName == "Key"))
                {
                    Objects.TryRemove(element.Value, out _);
                }

                context.Response.ContentType = "application/xml";
                await context.Response.WriteAsync($"<DeleteResult xmlns=\"{ns}\"></DeleteResult>");
                return;
            default:
                context.Response.StatusCode = 405;
                return;
        }
    }

    /// <summary>Why the request is not one S3 would accept (signature, key, payload hash), or null.</summary>
    private static string? Problem(HttpRequest request, byte[] body)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string algorithm = "AWS4-HMAC-SHA256 ";
        if (!authorization.StartsWith(algorithm, StringComparison.Ordinal))
        {
            return "not signed with AWS4-HMAC-SHA256";
        }

        var parts = authorization[algorithm.Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var credential = parts["Credential"].Split('/');
        if (credential[0] != AccessKey)
        {
            return "unknown access key";
        }

        var payloadHash = request.Headers["x-amz-content-sha256"].ToString();
        if (payloadHash != "UNSIGNED-PAYLOAD" && payloadHash != Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant())
        {
            return "the payload is not the one signed";
        }

        var signedHeaders = parts["SignedHeaders"].Split(';');
        var canonicalHeaders = string.Concat(signedHeaders.Select(h =>
            $"{h}:{string.Join(",", request.Headers[h].Select(v => string.Join(' ', (v ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))))}\n"));
        var query = string.Join("&", request.Query.SelectMany(q => q.Value.Select(v => (Key: Encode(q.Key), Value: Encode(v ?? ""))))
            .OrderBy(q => q.Key, StringComparer.Ordinal).ThenBy(q => q.Value, StringComparer.Ordinal).Select(q => $"{q.Key}={q.Value}"));
        var canonicalRequest = string.Join("\n", request.Method, request.Path.Value, query, canonicalHeaders, parts["SignedHeaders"], payloadHash);
        var date = request.Headers["x-amz-date"].ToString();
        var scope = string.Join("/", credential.Skip(1));
        var toSign = $"AWS4-HMAC-SHA256\n{date}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + SecretKey);
        foreach (var part in credential.Skip(1))
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        return Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign))) == parts["Signature"] ? null : "the signature does not match";
    }

    private static string Encode(string value) => Uri.EscapeDataString(value);

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public async ValueTask DisposeAsync() => await LoopbackApp.StopAsync(_app);
}
