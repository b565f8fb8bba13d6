// HMAC#1 signer for the Bloonio Chat Relay (.NET 9+, BCL only).
//
//   var http = new HttpClient(new Hmac1SigningHandler(tenantId, tenantSecret) { InnerHandler = new HttpClientHandler() })
//   { BaseAddress = new Uri("http://localhost:7811") };
//   await http.PostAsJsonAsync("/api/v1/relay/fetch/operator-token", new { email = "merchant@acme.com" });
//
// With IHttpClientFactory: services.AddHttpClient("bloonio", ...).AddHttpMessageHandler(() => new Hmac1SigningHandler(id, secret));
// register it after any retry handler, so that every attempt is signed anew (the relay refuses replays).
using System;
using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

public static class Hmac1Signer
{
    /// <summary>Returns the X-Bloonio-Signature value, "v1=&lt;hex&gt;".</summary>
    public static string Sign(string secret, string method, string pathAndQuery, byte[] body, long timestampMs)
    {
        var canonical = string.Join('\n',
            timestampMs.ToString(CultureInfo.InvariantCulture),
            method.ToUpperInvariant(),
            pathAndQuery,
            Convert.ToHexStringLower(SHA256.HashData(body)));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(canonical));
        return "v1=" + Convert.ToHexStringLower(mac);
    }
}

/// <summary>Adds the HMAC#1 headers to every outgoing request.</summary>
public sealed class Hmac1SigningHandler(string tenantId, string secret) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Buffers the content, so it can still be sent afterwards.
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var uri = request.RequestUri ?? throw new InvalidOperationException("Request has no URI.");
        var timestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        request.Headers.Remove("X-Bloonio-Tenant-Id");
        request.Headers.Remove("X-Bloonio-Timestamp");
        request.Headers.Remove("X-Bloonio-Signature");
        request.Headers.Add("X-Bloonio-Tenant-Id", tenantId);
        request.Headers.Add("X-Bloonio-Timestamp", timestampMs.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Bloonio-Signature",
            Hmac1Signer.Sign(secret, request.Method.Method, uri.PathAndQuery, body, timestampMs));

        return await base.SendAsync(request, cancellationToken);
    }
}
