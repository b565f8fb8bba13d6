using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bloonio.Relay.Core;
using Bloonio.Relay.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Webhooks;

/// <summary>
/// Sends webhooks with an HttpClient that follows no redirect, gives up after 10 s, reads at most 1 KiB of the answer
/// and, through <see cref="SocketsHttpHandler.ConnectCallback"/>, only connects to an address the SSRF policy allows:
/// the check is on the address actually connected to, so DNS rebinding gains nothing.
/// </summary>
public sealed class WebhookSender : IWebhookSender, IDisposable
{
    public const int MaxExcerpt = 1024;
    private readonly HttpClient _http;

    public WebhookSender(IOptions<RelayCoreOptions> options)
    {
        var allowInsecure = options.Value.AllowInsecureWebhooks;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            // Never through a proxy (HTTPS_PROXY and the like): the connect callback below must see the real target.
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = async (context, ct) =>
            {
                var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
                var allowed = addresses.FirstOrDefault(a => WebhookTargetPolicy.IsAllowed(a, allowInsecure))
                    ?? throw new HttpRequestException($"refused: {context.DnsEndPoint.Host} resolves to a non-public address");
                var socket = new Socket(allowed.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(allowed, context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Bloonio-Relay-Webhooks/1.0");
    }

    public async Task<SendResult> SendAsync(string url, byte[] body, IReadOnlyDictionary<string, string> headers, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var excerpt = await ReadExcerptAsync(response, ct);
            var retryAfter = response.Headers.RetryAfter is { } ra
                ? ra.Delta ?? (ra.Date is { } date ? date - DateTimeOffset.UtcNow : null)
                : null;
            return new SendResult((int)response.StatusCode, retryAfter, excerpt, null, (int)watch.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            var error = ex is TaskCanceledException ? "timed out after 10 s" : ex.Message;
            return new SendResult(null, null, null, error.Length > 300 ? error[..300] : error, (int)watch.ElapsedMilliseconds);
        }
    }

    private static async Task<string> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxExcerpt];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0)
        {
            read += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    public void Dispose() => _http.Dispose();
}
