using System.Diagnostics;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Docs;

/// <summary>The copy-paste signers of the README (bash+openssl, Python, Node) agree with every HMAC#1 vector.</summary>
public sealed class SignerSnippetTests
{
    [Test]
    public async Task EverySignerMatchesEveryVector()
    {
        var repo = TestPaths.RepositoryRoot();
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(repo, "docs", "signers", "check-vectors.sh"));
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "hmac1-vectors.json"));
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);

        Assert.That(process.ExitCode, Is.EqualTo(0), output);
        Assert.That(output.Split('\n').Count(l => l.StartsWith("ok", StringComparison.Ordinal)), Is.EqualTo(12), output);
    }

    [TestCase("sign.sh")]
    [TestCase("sign.py")]
    [TestCase("sign.mjs")]
    [TestCase("Hmac1Signer.cs")]
    public void TheReadmeShowsEachSignerVerbatim(string file)
    {
        var repo = TestPaths.RepositoryRoot();
        var code = File.ReadAllText(Path.Combine(repo, "docs", "signers", file)).TrimEnd('\n');
        Assert.That(File.ReadAllText(Path.Combine(repo, "README.md")), Does.Contain(code));
    }
}
