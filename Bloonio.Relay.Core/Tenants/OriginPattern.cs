namespace Bloonio.Relay.Core.Tenants;

/// <summary>
/// An allowed origin (SPEC 3): exact (<c>https://shop.acme.com</c>, <c>http://localhost:3000</c>) or a one-level
/// wildcard (<c>https://*.acme.com</c> matches <c>https://eu.acme.com</c>, not <c>https://acme.com</c> nor
/// <c>https://a.b.acme.com</c>). Scheme, host and port are compared; ports default per scheme.
/// </summary>
public sealed record OriginPattern(string Scheme, string Host, int Port, bool Wildcard)
{
    public static bool TryParse(string? value, out OriginPattern pattern)
    {
        pattern = null!;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 253 || value.EndsWith('/'))
        {
            return false;
        }

        var wildcard = value.Contains("://*.", StringComparison.Ordinal);
        var probe = wildcard ? value.Replace("://*.", "://wildcard.", StringComparison.Ordinal) : value;
        if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.PathAndQuery != "/" || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0
            || uri.HostNameType is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6)
            || !string.Equals(uri.GetLeftPart(UriPartial.Authority), probe, StringComparison.OrdinalIgnoreCase)
            || probe.Contains('*'))
        {
            return false;
        }

        var host = wildcard ? uri.Host["wildcard.".Length..] : uri.Host;
        if (wildcard && (uri.HostNameType != UriHostNameType.Dns || !host.Contains('.')))
        {
            return false; // *.com would let every site in
        }

        pattern = new OriginPattern(uri.Scheme, host.ToLowerInvariant(), uri.Port, wildcard);
        return true;
    }

    public bool Matches(string origin)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme != Scheme || uri.Port != Port)
        {
            return false;
        }

        var host = uri.Host.ToLowerInvariant();
        if (!Wildcard)
        {
            return host == Host;
        }

        var dot = host.IndexOf('.');
        return dot > 0 && host[(dot + 1)..] == Host;
    }

    public static bool IsAllowed(IEnumerable<string> allowedOrigins, string origin) =>
        allowedOrigins.Any(a => TryParse(a, out var p) && p.Matches(origin));
}
