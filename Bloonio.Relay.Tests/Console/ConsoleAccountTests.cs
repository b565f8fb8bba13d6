using System.Net;
using System.Text.RegularExpressions;
using Bloonio.Relay.Core.Console;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using static Bloonio.Relay.Tests.Console.ConsoleTests;

namespace Bloonio.Relay.Tests.Console;

/// <summary>
/// Console accounts across tenants: an invite never hands a tenant to an account someone else holds, a password is never
/// kept for someone who typed another, a reset link takes an account back (and signs every other session out), an owner's
/// reset link reaches only accounts all of whose tenants that owner owns, and sign-in is throttled per account.
/// </summary>
public sealed partial class ConsoleAccountTests
{
    [GeneratedRegex("(/console/invite/bmi_[A-Za-z0-9_-]+)<")]
    private static partial Regex InviteLink();

    [GeneratedRegex("/console/password/reset/(bpr_[A-Za-z0-9_-]+)")]
    private static partial Regex ResetLink();

    private static async Task<(Guid TenantId, string OwnerEmail)> TenantWithOwnerAsync()
    {
        var tenant = await new RelayApi(RelayFactory.Shared).CreateTenantAsync();
        var email = $"owner-{Guid.NewGuid():N}@console.test";
        var services = RelayFactory.Shared.Services;
        await services.GetRequiredService<IConsoleRepository>().EnsureMemberAsync(tenant.TenantId, email, "Owner",
            services.GetRequiredService<IPasswordHasher>().Hash(Password), ConsoleRoles.Owner, DateTimeOffset.UtcNow, default);
        return (tenant.TenantId, email);
    }

    private static async Task<HttpClient> SignInAsync(string email, string password, HttpStatusCode expected = HttpStatusCode.Redirect)
    {
        var browser = ConsoleTests.Browser();
        var response = await PostAsync(browser, "/console/login", new() { ["email"] = email, ["password"] = password });
        Assert.That(response.StatusCode, Is.EqualTo(expected), $"sign-in of {email}");
        return browser;
    }

    private static async Task<string> InviteAsync(HttpClient owner, string email, string role)
    {
        var page = await PostAsync(owner, "/console/members/invite", new() { ["email"] = email, ["role"] = role }, "/console/members");
        return InviteLink().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
    }

    private static async Task<IReadOnlyList<ConsoleMembership>> TenantsOfAsync(string email)
    {
        var console = RelayFactory.Shared.Services.GetRequiredService<IConsoleRepository>();
        var user = await console.FindUserAsync(email, default);
        return user is null ? [] : await console.MembershipsAsync(user.UserId, default);
    }

    [Test]
    public async Task AnOwnerWhoAcceptsHisOwnInviteForSomeoneElseNeverGetsIntoTheirOtherTenant()
    {
        var (x, attackerEmail) = await TenantWithOwnerAsync();
        var (a, ownerOfA) = await TenantWithOwnerAsync();
        var victim = $"victim-{Guid.NewGuid():N}@console.test";
        const string p = "attacker's password", q = "the victim's own password";

        // The owner of X invites the victim and accepts the link himself, choosing P.
        var attacker = await SignInAsync(attackerEmail, Password);
        var toX = await InviteAsync(attacker, victim, "operator");
        Assert.That((await PostAsync(ConsoleTests.Browser(), toX, new() { ["password"] = p })).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var attackerAsVictim = await SignInAsync(victim, p);

        // Tenant A invites the same person as admin; the real person accepts with Q: refused, and told why.
        var toA = await InviteAsync(await SignInAsync(ownerOfA, Password), victim, "admin");
        var refused = await PostAsync(ConsoleTests.Browser(), toA, new() { ["password"] = q });
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("already has a Bloonio account"));
        Assert.That((await TenantsOfAsync(victim)).Select(m => m.TenantId), Is.EqualTo(new[] { x }), "A is not attached to the attacker's account");
        await SignInAsync(victim, q, HttpStatusCode.Unauthorized); // Q was not silently dropped in favour of P, nor stored

        // The real person takes the account back by mail (logged in Testing), which signs the attacker out.
        var forgot = await PostAsync(ConsoleTests.Browser(), "/console/password/forgot", new() { ["email"] = victim });
        Assert.That(forgot.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var reset = RelayFactory.Shared.Logs.Lines.Where(l => l.Contains(victim, StringComparison.Ordinal))
            .Select(l => ResetLink().Match(l)).Last(m => m.Success).Groups[1].Value;
        var changed = await PostAsync(ConsoleTests.Browser(), $"/console/password/reset/{reset}", new() { ["password"] = q });
        Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That((await attackerAsVictim.GetAsync("/console/inbox")).StatusCode, Is.EqualTo(HttpStatusCode.Redirect),
            "the attacker's session ends with the password change");
        Assert.That((await attackerAsVictim.GetAsync("/console/inbox")).Headers.Location?.AbsolutePath, Is.EqualTo("/console/login"));
        await SignInAsync(victim, p, HttpStatusCode.Unauthorized);
        var reused = await PostAsync(ConsoleTests.Browser(), $"/console/password/reset/{reset}", new() { ["password"] = "yet another password" });
        Assert.That(reused.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a reset link works once");

        // Now the invite to A is accepted with the account's own password.
        Assert.That((await PostAsync(ConsoleTests.Browser(), toA, new() { ["password"] = q })).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That((await TenantsOfAsync(victim)).Select(m => m.TenantId), Is.EquivalentTo(new[] { x, a }));

        // The owner of X can no longer make a reset link for an account that also opens A.
        var victimId = (await RelayFactory.Shared.Services.GetRequiredService<IConsoleRepository>().FindUserAsync(victim, default))!.UserId;
        attacker = await SignInAsync(attackerEmail, Password);
        var handOver = await PostAsync(attacker, "/console/members/reset-link", new() { ["userId"] = victimId.ToString() }, "/console/members");
        Assert.That(handOver.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await handOver.Content.ReadAsStringAsync(), Does.Not.Contain("/console/password/reset/bpr_"));
    }

    [Test]
    public async Task AnOwnerCanHandAResetLinkToAMemberOfHisTenantsOnly()
    {
        var (_, owner) = await TenantWithOwnerAsync();
        var browser = await SignInAsync(owner, Password);
        var member = $"member-{Guid.NewGuid():N}@console.test";
        var link = await InviteAsync(browser, member, "operator");
        Assert.That((await PostAsync(ConsoleTests.Browser(), link, new() { ["password"] = "first password here" })).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var memberId = (await RelayFactory.Shared.Services.GetRequiredService<IConsoleRepository>().FindUserAsync(member, default))!.UserId;

        var page = await PostAsync(browser, "/console/members/reset-link", new() { ["userId"] = memberId.ToString() }, "/console/members");
        var token = ResetLink().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.That(token, Does.StartWith("bpr_"));
        Assert.That((await PostAsync(ConsoleTests.Browser(), $"/console/password/reset/{token}", new() { ["password"] = "second password here" })).StatusCode,
            Is.EqualTo(HttpStatusCode.Redirect));
        await SignInAsync(member, "second password here");
    }

    [Test]
    public async Task SignInIsThrottledPerAccountEvenForTheRightPassword()
    {
        var (_, owner) = await TenantWithOwnerAsync();
        for (var i = 0; i < 5; i++)
        {
            await SignInAsync(owner, $"wrong password {i}", HttpStatusCode.Unauthorized);
        }

        var browser = ConsoleTests.Browser();
        var throttled = await PostAsync(browser, "/console/login", new() { ["email"] = owner, ["password"] = Password });
        Assert.That(throttled.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(throttled.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(await throttled.Content.ReadAsStringAsync(), Does.Contain("Too many sign-in attempts"));
        await SignInAsync($"someone-else-{Guid.NewGuid():N}@console.test", "whatever it is", HttpStatusCode.Unauthorized); // others are not locked out
    }
}
