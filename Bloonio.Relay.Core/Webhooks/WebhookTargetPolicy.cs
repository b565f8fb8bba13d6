using System.Net;
using System.Net.Sockets;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>
/// SSRF protection (SPEC 8): a webhook may only reach public addresses. Checked on the URL at configuration time
/// (IP literals in any form System.Uri accepts — decimal, hex, octal, IPv4-mapped IPv6 — and every address the name
/// resolves to; an IPv6 address that embeds an IPv4 one is judged by the embedded one) and again on the address actually
/// connected to at delivery time. <c>AllowInsecureWebhooks</c>
/// (development, tests) lets loopback through, never the metadata range.
/// </summary>
public static class WebhookTargetPolicy
{
    private static readonly (IPAddress Network, int Prefix)[] Refused =
    [
        (IPAddress.Parse("0.0.0.0"), 8), (IPAddress.Parse("10.0.0.0"), 8), (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("169.254.0.0"), 16), (IPAddress.Parse("172.16.0.0"), 12), (IPAddress.Parse("192.0.0.0"), 24),
        (IPAddress.Parse("192.168.0.0"), 16), (IPAddress.Parse("198.18.0.0"), 15), (IPAddress.Parse("224.0.0.0"), 4),
        (IPAddress.Parse("240.0.0.0"), 4), (IPAddress.Parse("::"), 128), (IPAddress.Parse("fc00::"), 7),
        (IPAddress.Parse("fe80::"), 10), (IPAddress.Parse("ff00::"), 8), (IPAddress.Parse("64:ff9b:1::"), 48),
    ];

    private static readonly (IPAddress Network, int Prefix)[] Metadata =
    [
        (IPAddress.Parse("169.254.169.254"), 32), (IPAddress.Parse("fd00:ec2::254"), 128), (IPAddress.Parse("100.100.100.200"), 32),
    ];

    public static bool IsAllowed(IPAddress address, bool allowInsecure)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !IPAddress.IsLoopback(address) && Embedded(address) is { Count: > 0 } embedded)
        {
            // An IPv6 form that carries an IPv4 address reaches that address: judged by it (all of them, for Teredo).
            return embedded.All(v4 => IsAllowed(v4, allowInsecure));
        }

        if (InAny(address, Metadata))
        {
            return false;
        }

        if (IPAddress.IsLoopback(address))
        {
            return allowInsecure;
        }

        return !InAny(address, Refused);
    }

    /// <summary>Null when the URL may be used (or its host does not resolve yet), else why not.</summary>
    public static async Task<string?> CheckUrlAsync(string url, bool allowInsecure, Func<string, CancellationToken, Task<IPAddress[]>> resolve,
        CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || url.Length > 2048)
        {
            return "must be an absolute URL without credentials";
        }

        if (uri.Scheme != "https" && !(uri.Scheme == "http" && allowInsecure))
        {
            return allowInsecure ? "must be an http or https URL" : "must be an https URL";
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await resolve(uri.IdnHost, ct);
            }
            catch (SocketException)
            {
                // Not resolvable now (a typo, or DNS not yet set up): nothing unsafe is known, and every delivery checks
                // the address it actually connects to.
                return null;
            }
        }

        return addresses.All(a => IsAllowed(a, allowInsecure)) ? null
            : "must not point to a loopback, private, link-local or metadata address";
    }

    /// <summary>
    /// The IPv4 addresses an IPv6 address embeds: IPv4-compatible <c>::a.b.c.d</c>, NAT64 <c>64:ff9b::/96</c>, 6to4
    /// <c>2002::/16</c>, Teredo <c>2001::/32</c> (its server, and its client stored inverted).
    /// </summary>
    private static List<IPAddress> Embedded(IPAddress v6)
    {
        var b = v6.GetAddressBytes();
        IPAddress Take(int at, bool inverted = false) =>
            new(inverted ? [(byte)~b[at], (byte)~b[at + 1], (byte)~b[at + 2], (byte)~b[at + 3]] : b[at..(at + 4)]);

        if (b[..12].All(x => x == 0))
        {
            return [Take(12)]; // IPv4-compatible (:: itself embeds 0.0.0.0, refused)
        }

        if (InRange(v6, IPAddress.Parse("64:ff9b::"), 96))
        {
            return [Take(12)];
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return [Take(2)];
        }

        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            return [Take(4), Take(12, inverted: true)];
        }

        return [];
    }

    private static bool InAny(IPAddress address, (IPAddress Network, int Prefix)[] ranges) =>
        ranges.Any(r => r.Network.AddressFamily == address.AddressFamily && InRange(address, r.Network, r.Prefix));

    private static bool InRange(IPAddress address, IPAddress network, int prefix)
    {
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
