using System.Text;
using System.Text.Json;
using Bloonio.Relay.Core.Security;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>Every vector of docs/signers/hmac1-vectors.json (the contract's vectors), each intermediate value checked.</summary>
public sealed class Hmac1VectorTests
{
    public sealed record Vector(
        string Secret, string Timestamp, string Method, string PathAndQuery, string BodyUtf8, string BodySha256, string Canonical,
        string SignatureHeader)
    {
        public override string ToString() => $"{Method} {PathAndQuery}";
    }

    public static IEnumerable<Vector> Vectors()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "hmac1-vectors.json");
        return JsonSerializer.Deserialize<List<Vector>>(File.ReadAllText(path),
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
    }

    [Test]
    public void TheVectorFileHasFourVectors() => Assert.That(Vectors().Count(), Is.EqualTo(4));

    [TestCaseSource(nameof(Vectors))]
    public void SignatureMatchesTheVector(Vector v)
    {
        var body = Encoding.UTF8.GetBytes(v.BodyUtf8);
        Assert.Multiple(() =>
        {
            Assert.That(Hmac1.BodyHash(body), Is.EqualTo(v.BodySha256));
            Assert.That(Hmac1.Canonical(v.Timestamp, v.Method, v.PathAndQuery, v.BodySha256), Is.EqualTo(v.Canonical));
            Assert.That(Hmac1.Sign(v.Secret, v.Timestamp, v.Method, v.PathAndQuery, body), Is.EqualTo(v.SignatureHeader));
        });
    }

    [TestCaseSource(nameof(Vectors))]
    public void EveryHeaderFormOfTheVectorVerifies(Vector v)
    {
        var expected = new[] { Hmac1.Compute(v.Secret, v.Canonical) };
        var hex = v.SignatureHeader[3..];
        foreach (var header in new[] { v.SignatureHeader, hex, $"v1={new string('0', 64)},{v.SignatureHeader}", $" {v.SignatureHeader} , v1={new string('a', 64)}" })
        {
            Assert.That(Hmac1.Matches(Hmac1.ParseSignatures(header)!, expected), Is.True, header);
        }
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("v1=")]
    [TestCase("v1=xyz")]
    [TestCase("v2=ddfc7a7ef6f6379f8c15fc51c6b053fc2e5b97bf666207b5997750a8f2bb5976")]
    [TestCase("v1=ddfc7a7ef6f6379f8c15fc51c6b053fc2e5b97bf666207b5997750a8f2bb597")]
    public void MalformedSignatureHeadersAreRejected(string? header) =>
        Assert.That(Hmac1.ParseSignatures(header), Is.Null);

    [Test]
    public void AWrongSecretDoesNotVerify()
    {
        var v = Vectors().First();
        var expected = new[] { Hmac1.Compute(v.Secret + "x", v.Canonical) };
        Assert.That(Hmac1.Matches(Hmac1.ParseSignatures(v.SignatureHeader)!, expected), Is.False);
    }
}
