using System.Security.Claims;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Console;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Core.Webhooks;
using MediatR;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.ConsolePages;

/// <summary>
/// The tenant console (SPEC 11): thin actions that send the same MediatR requests as the APIs, render Razor views,
/// and show domain errors next to the form. Cookie-authenticated; antiforgery on every POST; roles on the server.
/// </summary>
[Route("console")]
[Authorize(AuthenticationSchemes = ConsoleAuth.Scheme)]
[AutoValidateAntiforgeryToken]
[ServiceFilter(typeof(ConsoleTenantFilter))]
[ApiExplorerSettings(IgnoreApi = true)]
public sealed class ConsoleController(IMediator mediator) : Controller
{
    private ConsoleContext Ctx => (ConsoleContext)HttpContext.Items[typeof(ConsoleContext)]!;
    private Guid TenantId => Ctx.Current.TenantId;

    [AllowAnonymous, HttpGet("login")]
    public IActionResult Login(string? error = null) => View(new LoginForm(null, error));

    [AllowAnonymous, HttpPost("login")]
    public async Task<IActionResult> Login([FromForm] string? email, [FromForm] string? password, CancellationToken ct)
    {
        try
        {
            var signIn = await mediator.Send(new ConsoleLoginQuery(email, password, ClientIp), ct);
            await ConsoleAuth.SignInAsync(HttpContext, signIn.User, signIn.Memberships[0].TenantId);
            return Redirect(ConsoleRoles.CanManage(signIn.Memberships[0].Role) ? "/console" : "/console/inbox");
        }
        catch (RelayException ex)
        {
            Response.StatusCode = ex.StatusCode is 429 or 403 ? ex.StatusCode : StatusCodes.Status401Unauthorized;
            if (ex is RateLimitedException limited)
            {
                Response.Headers.RetryAfter = limited.Decision.ResetSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return View(new LoginForm(email, ex.Message));
        }
    }

    [AllowAnonymous, HttpGet("password/forgot")]
    public IActionResult ForgotPassword() => View(new ForgotPasswordModel(null, null, false));

    [AllowAnonymous, HttpPost("password/forgot")]
    public async Task<IActionResult> ForgotPassword([FromForm] string? email, [FromServices] IConfiguration configuration,
        [FromServices] IWebHostEnvironment environment, CancellationToken ct)
    {
        // The link goes to the configured public URL; the request's Host (chosen by whoever sends it) only in Development.
        var linkBase = configuration["Relay:PublicUrl"] is { Length: > 0 } publicUrl ? publicUrl
            : environment.IsDevelopment() || environment.IsEnvironment("Testing") ? $"{Request.Scheme}://{Request.Host}" : null;
        try
        {
            await mediator.Send(new RequestPasswordResetCommand(email, linkBase, ClientIp), ct);
            return View(new ForgotPasswordModel(email, "If an account exists for this email, a reset link is on its way (valid 1 hour).", true));
        }
        catch (RelayException ex)
        {
            Response.StatusCode = ex.StatusCode;
            return View(new ForgotPasswordModel(email, ex.Message, false));
        }
    }

    [AllowAnonymous, HttpGet("password/reset/{token}")]
    public IActionResult ResetPassword(string token) => View(new ResetPasswordModel(token, null, null));

    [AllowAnonymous, HttpPost("password/reset/{token}")]
    public async Task<IActionResult> ResetPassword(string token, [FromForm] string? password, CancellationToken ct)
    {
        try
        {
            await mediator.Send(new ResetPasswordCommand(token, password), ct);
            await HttpContext.SignOutAsync(ConsoleAuth.Scheme);
            return Redirect("/console/login?error=" + Uri.EscapeDataString("Password changed. Sign in with your new password."));
        }
        catch (RelayException ex)
        {
            Response.StatusCode = ex.StatusCode;
            return View(new ResetPasswordModel(token, ex.Message, Errors(ex)));
        }
    }

    private string? ClientIp => HttpContext.Connection.RemoteIpAddress?.ToString();

    [HttpPost("logout")]
    public async Task<IActionResult> Logout()
    {
        await HttpContext.SignOutAsync(ConsoleAuth.Scheme);
        return Redirect("/console/login");
    }

    [HttpPost("switch")]
    public async Task<IActionResult> Switch([FromForm] Guid tenantId)
    {
        if (Ctx.Memberships.All(m => m.TenantId != tenantId))
        {
            return NotFound();
        }

        await ConsoleAuth.SignInAsync(HttpContext, new ConsoleUser(Ctx.UserId, Ctx.Email, Ctx.Name, null), tenantId);
        return Redirect("/console");
    }

    [HttpGet(""), ConsoleManage]
    public async Task<IActionResult> Overview([FromServices] IAssignmentRepository assignments, [FromServices] IBrain brain, CancellationToken ct)
    {
        var usage = await mediator.Send(new GetUsageQuery(TenantId, null), ct);
        var previous = await mediator.Send(new GetUsageQuery(TenantId, DateTime.UtcNow.AddMonths(-1).ToString("yyyy-MM")), ct);
        var queue = (await assignments.ListWaitingAsync(TenantId, null, ct)).Count;
        var known = previous.Days.Concat(usage.Days).ToDictionary(d => d.Date, d => d.Messages.Visitor + d.Messages.Operator + d.Messages.Bot);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var days = Enumerable.Range(0, 30).Select(i => today.AddDays(i - 29)).Select(d => (d, known.GetValueOrDefault(d))).ToList();
        var report = await mediator.Send(new Core.Workspace.GetReportQuery(TenantId), ct);
        return View(new OverviewModel(Ctx, usage, days, queue, brain.Name, report));
    }

    /// <summary>The last 30 days' report as CSV: one line per routing key, then the total.</summary>
    [HttpGet("reports.csv"), ConsoleManage]
    public async Task<IActionResult> ReportCsv(CancellationToken ct) =>
        File(System.Text.Encoding.UTF8.GetBytes(Core.Workspace.GetReportHandler.Csv(await mediator.Send(new Core.Workspace.GetReportQuery(TenantId), ct))),
            "text/csv; charset=utf-8", $"bloonio-report-{DateTime.UtcNow:yyyy-MM-dd}.csv");

    [HttpGet("keys"), ConsoleManage]
    public async Task<IActionResult> Keys(CancellationToken ct) =>
        View(new KeysModel(Ctx, await mediator.Send(new GetTenantQuery(TenantId), ct), null));

    [HttpPost("keys/rotate"), ConsoleManage]
    public async Task<IActionResult> Rotate([FromForm] string kind, [FromForm] int graceSeconds, CancellationToken ct)
    {
        var rotated = await mediator.Send(new RotateKeyCommand(TenantId, kind == KeyKinds.WidgetKey ? KeyKinds.WidgetKey : KeyKinds.TenantSecret, graceSeconds), ct);
        // Rendered, not redirected: the new secret is shown this once and never stored in a cookie or TempData.
        return View("Keys", new KeysModel(Ctx, await mediator.Send(new GetTenantQuery(TenantId), ct), rotated));
    }

    [HttpGet("operators"), ConsoleManage]
    public async Task<IActionResult> Operators(CancellationToken ct) =>
        View(new OperatorsModel(Ctx, await mediator.Send(new ListOperatorsQuery(TenantId), ct), null, null));

    [HttpPost("operators"), ConsoleManage]
    public async Task<IActionResult> ProvisionOperator([FromForm] string? email, [FromForm] string? displayName, [FromForm] string? routingKeys,
        [FromForm] int? maxConcurrent, CancellationToken ct)
    {
        var keys = string.IsNullOrWhiteSpace(routingKeys)
            ? null
            : routingKeys.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => (string?)k).ToList();
        return await AttemptAsync(
            () => mediator.Send(new ProvisionOperatorCommand(TenantId, email, displayName, null, keys, maxConcurrent), ct),
            async (errors, message) => View("Operators", new OperatorsModel(Ctx, await mediator.Send(new ListOperatorsQuery(TenantId), ct), message, errors)),
            "/console/operators");
    }

    [HttpPost("operators/deactivate"), ConsoleManage]
    public async Task<IActionResult> DeactivateOperator([FromForm] string email, CancellationToken ct)
    {
        await mediator.Send(new DeprovisionOperatorCommand(TenantId, email), ct);
        return Redirect("/console/operators");
    }

    [HttpGet("members"), ConsoleManage]
    public Task<IActionResult> Members([FromServices] IConsoleRepository console, CancellationToken ct) => MembersViewAsync(console, null, null, null, ct);

    [HttpPost("members/invite"), ConsoleManage]
    public async Task<IActionResult> Invite([FromServices] IConsoleRepository console, [FromForm] string? email, [FromForm] string? role, CancellationToken ct)
    {
        try
        {
            var token = await mediator.Send(new InviteMemberCommand(TenantId, email, role), ct);
            return await MembersViewAsync(console, $"{Request.Scheme}://{Request.Host}/console/invite/{token}", null, null, ct);
        }
        catch (RelayException ex)
        {
            return await MembersViewAsync(console, null, ex.Message, Errors(ex), ct, StatusFor(ex));
        }
    }

    [HttpPost("members/reset-link"), ConsoleManage]
    public async Task<IActionResult> MemberResetLink([FromServices] IConsoleRepository console, [FromForm] Guid userId, CancellationToken ct)
    {
        try
        {
            var token = await mediator.Send(new IssueMemberResetLinkCommand(TenantId, Ctx.UserId, Ctx.Memberships, userId), ct);
            return await MembersViewAsync(console, null, null, null, ct, resetLink: $"{Request.Scheme}://{Request.Host}/console/password/reset/{token}");
        }
        catch (RelayException ex)
        {
            return await MembersViewAsync(console, null, ex.Message, Errors(ex), ct, StatusFor(ex));
        }
    }

    [HttpPost("members/role"), ConsoleManage]
    public async Task<IActionResult> SetRole([FromServices] IConsoleRepository console, [FromForm] Guid userId, [FromForm] string? role, CancellationToken ct)
    {
        try
        {
            await mediator.Send(new SetMemberRoleCommand(TenantId, userId, role is "remove" ? null : role), ct);
            return Redirect("/console/members");
        }
        catch (RelayException ex)
        {
            return await MembersViewAsync(console, null, ex.Message, Errors(ex), ct, StatusFor(ex));
        }
    }

    [HttpGet("canned"), ConsoleManage]
    public async Task<IActionResult> Canned(CancellationToken ct) =>
        View(new CannedModel(Ctx, await mediator.Send(new Core.Workspace.ListCannedResponsesQuery(TenantId), ct), null, null));

    [HttpPost("canned"), ConsoleManage]
    public async Task<IActionResult> SaveCanned([FromForm] Guid? cannedId, [FromForm] string? title, [FromForm] string? shortcut, [FromForm] string? text,
        [FromForm] string? routingKey, CancellationToken ct) =>
        await AttemptAsync(
            () => mediator.Send(new Core.Workspace.SaveCannedResponseCommand(TenantId, cannedId, title, shortcut?.Trim().TrimStart('/'), text,
                string.IsNullOrWhiteSpace(routingKey) ? null : routingKey.Trim()), ct),
            async (errors, message) => View("Canned", new CannedModel(Ctx, await mediator.Send(new Core.Workspace.ListCannedResponsesQuery(TenantId), ct),
                message, errors)),
            "/console/canned");

    [HttpPost("canned/delete"), ConsoleManage]
    public async Task<IActionResult> DeleteCanned([FromForm] Guid cannedId, CancellationToken ct) =>
        await AttemptAsync(
            () => mediator.Send(new Core.Workspace.DeleteCannedResponseCommand(TenantId, cannedId), ct),
            async (errors, message) => View("Canned", new CannedModel(Ctx, await mediator.Send(new Core.Workspace.ListCannedResponsesQuery(TenantId), ct),
                message, errors)),
            "/console/canned");

    [HttpGet("settings"), ConsoleManage]
    public async Task<IActionResult> Settings(CancellationToken ct) =>
        View(new SettingsModel(Ctx, await mediator.Send(new GetTenantQuery(TenantId), ct), null, null));

    [HttpPost("settings"), ConsoleManage]
    public async Task<IActionResult> Settings([FromForm] SettingsForm form, CancellationToken ct) =>
        await AttemptAsync(
            async () => await mediator.Send(new UpdateTenantCommand(TenantId,
                form.ToPatch((await mediator.Send(new GetTenantQuery(TenantId), ct)).Configuration.Branding.Greetings), AllowQuotas: false), ct),
            async (errors, message) => View("Settings", new SettingsModel(Ctx, await mediator.Send(new GetTenantQuery(TenantId), ct), message, errors)),
            "/console/settings?saved=1");

    [HttpGet("webhooks"), ConsoleManage]
    public async Task<IActionResult> Webhooks(CancellationToken ct) =>
        View(new WebhooksModel(Ctx, await mediator.Send(new ListDeliveriesQuery(TenantId, null, 50), ct), null));

    [HttpPost("webhooks/test"), ConsoleManage]
    public Task<IActionResult> SendTest(CancellationToken ct) => WebhookActionAsync(() => mediator.Send(new SendTestWebhookCommand(TenantId), ct), ct);

    [HttpPost("webhooks/replay"), ConsoleManage]
    public Task<IActionResult> Replay([FromForm] Guid deliveryId, CancellationToken ct) =>
        WebhookActionAsync(() => mediator.Send(new ReplayDeliveryCommand(TenantId, deliveryId), ct), ct);

    [HttpPost("webhooks/resume"), ConsoleManage]
    public Task<IActionResult> Resume(CancellationToken ct) => WebhookActionAsync(() => mediator.Send(new ResumeWebhooksCommand(TenantId), ct), ct);

    [HttpGet("audit"), ConsoleManage]
    public async Task<IActionResult> Audit([FromServices] IConsoleRepository console, CancellationToken ct) =>
        View(new AuditModel(Ctx, await console.AuditAsync(TenantId, 200, ct)));

    /// <summary>The operator inbox for a signed-in member: its operator identity in this tenant, a fresh token, the inbox page.</summary>
    [HttpGet("inbox")]
    public async Task<IActionResult> Inbox(CancellationToken ct)
    {
        var existing = (await mediator.Send(new ListOperatorsQuery(TenantId), ct)).FirstOrDefault(o => o.Email == Ctx.Email);
        if (existing is not { Active: true })
        {
            await mediator.Send(new ProvisionOperatorCommand(TenantId, Ctx.Email, Ctx.Name, null, null), ct);
        }

        var token = await mediator.Send(new FetchOperatorTokenCommand(TenantId, Ctx.Email), ct);
        return View(new InboxModel(Ctx, token.OperatorToken));
    }

    [AllowAnonymous, HttpGet("invite/{token}")]
    public IActionResult AcceptInvite(string token) => View(new AcceptInviteModel(token, null, null));

    [AllowAnonymous, HttpPost("invite/{token}")]
    public async Task<IActionResult> AcceptInvite(string token, [FromForm] string? displayName, [FromForm] string? password, CancellationToken ct)
    {
        try
        {
            // Signed in as the invited account already? That proves it; otherwise its password does (or sets it, for a new one).
            var signedIn = await HttpContext.AuthenticateAsync(ConsoleAuth.Scheme);
            Guid? userId = signedIn.Succeeded && Guid.TryParse(signedIn.Principal.FindFirstValue(System.Security.Claims.ClaimTypes.NameIdentifier), out var id)
                ? id
                : null;
            await mediator.Send(new AcceptInviteCommand(token, displayName, password, userId), ct);
            return Redirect("/console/login?error=" + Uri.EscapeDataString("Welcome! Sign in to open the tenant."));
        }
        catch (RelayException ex)
        {
            Response.StatusCode = StatusFor(ex);
            return View(new AcceptInviteModel(token, ex.Message, Errors(ex)));
        }
    }

    private async Task<IActionResult> AttemptAsync<T>(Func<Task<T>> action, Func<IReadOnlyList<FieldError>?, string, Task<IActionResult>> onError, string next)
    {
        try
        {
            await action();
            return Redirect(next);
        }
        catch (RelayException ex)
        {
            Response.StatusCode = StatusFor(ex);
            return await onError(Errors(ex), ex.Message);
        }
    }

    private async Task<IActionResult> WebhookActionAsync<T>(Func<Task<T>> action, CancellationToken ct)
    {
        string? message = null;
        try
        {
            await action();
        }
        catch (RelayException ex)
        {
            Response.StatusCode = StatusFor(ex);
            message = ex.Message;
        }

        return message is null
            ? Redirect("/console/webhooks")
            : View("Webhooks", new WebhooksModel(Ctx, await mediator.Send(new ListDeliveriesQuery(TenantId, null, 50), ct), message));
    }

    private async Task<IActionResult> MembersViewAsync(IConsoleRepository console, string? inviteLink, string? error, IReadOnlyList<FieldError>? errors,
        CancellationToken ct, int status = 200, string? resetLink = null)
    {
        Response.StatusCode = status;
        return View("Members", new MembersModel(Ctx, await console.MembersAsync(TenantId, ct),
            await console.PendingInvitesAsync(TenantId, DateTimeOffset.UtcNow, ct), inviteLink, error, errors, resetLink));
    }

    private static IReadOnlyList<FieldError>? Errors(RelayException ex) => ex is ValidationFailedException v ? v.Errors : null;

    private static int StatusFor(RelayException ex) => ex.StatusCode;
}
