using Bloonio.Relay.Core.Tenants;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Core;

public sealed class OriginPatternTests
{
    [TestCase("https://shop.acme.com", "https://shop.acme.com", true)]
    [TestCase("https://shop.acme.com", "https://SHOP.acme.com", true)]
    [TestCase("https://shop.acme.com", "http://shop.acme.com", false)]
    [TestCase("https://shop.acme.com", "https://shop.acme.com:8443", false)]
    [TestCase("http://localhost:3000", "http://localhost:3000", true)]
    [TestCase("http://localhost:3000", "http://localhost:3001", false)]
    [TestCase("https://*.acme.com", "https://eu.acme.com", true)]
    [TestCase("https://*.acme.com", "https://acme.com", false)]
    [TestCase("https://*.acme.com", "https://a.b.acme.com", false)]
    [TestCase("https://*.acme.com", "https://evilacme.com", false)]
    [TestCase("https://*.acme.com", "https://eu.acme.com.evil.io", false)]
    public void Matches(string pattern, string origin, bool expected)
    {
        Assert.That(OriginPattern.TryParse(pattern, out var parsed), Is.True);
        Assert.That(parsed.Matches(origin), Is.EqualTo(expected));
    }

    [TestCase("https://acme.com/")]
    [TestCase("https://acme.com/path")]
    [TestCase("https://acme.com?q=1")]
    [TestCase("acme.com")]
    [TestCase("ftp://acme.com")]
    [TestCase("https://*.com")]
    [TestCase("https://*")]
    [TestCase("https://a.*.acme.com")]
    [TestCase("https://user@acme.com")]
    [TestCase("")]
    public void InvalidPatternsAreRejected(string pattern) => Assert.That(OriginPattern.TryParse(pattern, out _), Is.False);
}
