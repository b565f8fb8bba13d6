using System.Net;
using Bloonio.Relay.Core.Webhooks;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Webhooks;

/// <summary>SSRF: every form of a refused address, at configuration time and for the connected address.</summary>
public sealed class WebhookTargetPolicyTests
{
    private static Task<IPAddress[]> Resolve(string host, CancellationToken ct) => host switch
    {
        "loopback.example.test" => Task.FromResult(new[] { IPAddress.Loopback }),
        "mixed.example.test" => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), IPAddress.Parse("10.1.2.3") }),
        "public.example.test" => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14") }),
        _ => throw new System.Net.Sockets.SocketException(11001),
    };

    [TestCase("https://127.0.0.1/hook")]
    [TestCase("https://localhost/hook")]
    [TestCase("https://10.0.0.5/hook")]
    [TestCase("https://172.20.1.1/hook")]
    [TestCase("https://192.168.1.10/hook")]
    [TestCase("https://169.254.169.254/latest/meta-data")]
    [TestCase("https://[::ffff:127.0.0.1]/hook")]
    [TestCase("https://[::1]/hook")]
    [TestCase("https://2130706433/hook")]
    [TestCase("https://0x7f000001/hook")]
    [TestCase("https://0177.0.0.1/hook")]
    [TestCase("https://[fd00::1]/hook")]
    [TestCase("https://loopback.example.test/hook")]
    [TestCase("https://mixed.example.test/hook")]
    [TestCase("https://user:pass@public.example.test/hook")]
    [TestCase("http://public.example.test/hook")]
    [TestCase("https://[::127.0.0.1]/hook")]
    [TestCase("https://[::10.0.0.1]/hook")]
    [TestCase("https://[2002:7f00:1::]/hook")]
    [TestCase("https://[2002:a9fe:a9fe::1]/hook")]
    [TestCase("https://[64:ff9b::7f00:1]/hook")]
    [TestCase("https://[64:ff9b::a9fe:a9fe]/hook")]
    [TestCase("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook")]
    [TestCase("https://[2001:0:7f00:1:8000:63bf:3fff:fdd2]/hook")]
    [TestCase("https://[64:ff9b:1::1]/hook")]
    public async Task RefusedInProduction(string url) =>
        Assert.That(await WebhookTargetPolicy.CheckUrlAsync(url, allowInsecure: false, ResolveOrLocalhost, default), Is.Not.Null);

    [TestCase("https://public.example.test/hook")]
    [TestCase("https://nowhere.example.test/hook")] // not resolvable yet: delivery checks the connected address
    public async Task APublicOrUnresolvedHttpsTargetIsAccepted(string url) =>
        Assert.That(await WebhookTargetPolicy.CheckUrlAsync(url, false, Resolve, default), Is.Null);

    [TestCase("http://127.0.0.1:5000/hook", true)]
    [TestCase("http://[::ffff:127.0.0.1]:5000/hook", true)]
    [TestCase("http://169.254.169.254/latest/meta-data", false)]
    [TestCase("http://10.0.0.5/hook", false)]
    public async Task InsecureModeAllowsLoopbackOnly(string url, bool allowed) =>
        Assert.That(await WebhookTargetPolicy.CheckUrlAsync(url, allowInsecure: true, Resolve, default) is null, Is.EqualTo(allowed));

    [TestCase("93.184.215.14", true)]
    [TestCase("::ffff:10.0.0.1", false)]
    [TestCase("::ffff:169.254.169.254", false)]
    [TestCase("100.64.0.1", false)]
    [TestCase("fe80::1", false)]
    [TestCase("2606:2800:220:1:248:1893:25c8:1946", true)]
    [TestCase("::5db8:d70e", true)]
    [TestCase("2002:5db8:d70e::1", true)]
    [TestCase("64:ff9b::5db8:d70e", true)]
    [TestCase("2002:0a00:0001::1", false)]
    public void ConnectedAddresses(string address, bool allowed) =>
        Assert.That(WebhookTargetPolicy.IsAllowed(IPAddress.Parse(address), allowInsecure: false), Is.EqualTo(allowed));

    private static Task<IPAddress[]> ResolveOrLocalhost(string host, CancellationToken ct) =>
        host == "localhost" ? Task.FromResult(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }) : Resolve(host, ct);
}
