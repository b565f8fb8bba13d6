using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

public sealed record RotateBody(int? GraceSeconds);

public sealed record CreateTenantBody(string? Name, List<string?>? AllowedOrigins, string? WebhookUrl, string? OwnerEmail, TenantQuotas? Quotas);

/// <summary>SPEC 12: the platform admin's tenant API (<c>Authorization: Bearer &lt;Relay:AdminApiKey&gt;</c>).</summary>
[Route("api/v1/admin/tenants")]
[Tags("Admin")]
public sealed class AdminTenantsController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpPost]
    [ProducesResponseType<Envelope<CreatedTenant>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> Create(CreateTenantBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created,
            await Mediator.Send(new CreateTenantCommand(body.Name, body.AllowedOrigins, body.WebhookUrl, body.OwnerEmail, body.Quotas), ct),
            "Tenant created; store tenant_secret now, it is not shown again");

    [HttpGet]
    [ProducesResponseType<Envelope<IReadOnlyList<Tenant>>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> List([FromQuery] Guid? after, [FromQuery] int limit = 100, CancellationToken ct = default) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new ListTenantsQuery(after, limit), ct), "Tenants");

    /// <summary>With an <c>ETag</c>: send it back as <c>If-Match</c> on PATCH to refuse (412) a write over someone else's.</summary>
    [HttpGet("{tenantId:guid}")]
    [ProducesResponseType<Envelope<Tenant>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Get(Guid tenantId, CancellationToken ct) =>
        Tagged(await Mediator.Send(new GetTenantQuery(tenantId), ct), "Tenant");

    /// <summary>
    /// Changes only the fields sent (concurrent patches of other fields are kept). <c>If-Match: "v7"</c> makes it
    /// conditional: 412 <c>precondition_failed</c> if the tenant changed since; anything else in If-Match is 412 too.
    /// </summary>
    [HttpPatch("{tenantId:guid}")]
    [ProducesResponseType<Envelope<Tenant>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Update(Guid tenantId, TenantPatch body, CancellationToken ct)
    {
        long? ifMatch = null;
        if (Request.Headers.IfMatch.ToString() is { Length: > 0 } header && header != "*")
        {
            ifMatch = TenantETag.Parse(header.Trim())
                ?? throw new PreconditionFailedException("If-Match must be an ETag of this tenant (\"v<version>\"), as GET returns it");
        }

        return Tagged(await Mediator.Send(new UpdateTenantCommand(tenantId, body, AllowQuotas: true, ifMatch), ct), "Tenant updated");
    }

    private IActionResult Tagged(Tenant tenant, string message)
    {
        Response.Headers.ETag = TenantETag.Of(tenant);
        return Envelope(StatusCodes.Status200OK, tenant, message);
    }

    [HttpPost("{tenantId:guid}/rotate-secret")]
    [ProducesResponseType<Envelope<RotatedKey>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> RotateSecret(Guid tenantId, [FromBody] RotateBody? body, CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created, await Mediator.Send(new RotateKeyCommand(tenantId, KeyKinds.TenantSecret, body?.GraceSeconds), ct),
            "Tenant secret rotated; store the new one now, it is not shown again");

    [HttpPost("{tenantId:guid}/rotate-widget-key")]
    [ProducesResponseType<Envelope<RotatedKey>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> RotateWidgetKey(Guid tenantId, [FromBody] RotateBody? body, CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created, await Mediator.Send(new RotateKeyCommand(tenantId, KeyKinds.WidgetKey, body?.GraceSeconds), ct),
            "Widget key rotated");

    [HttpPost("{tenantId:guid}/suspend")]
    [ProducesResponseType<Envelope<Tenant>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Suspend(Guid tenantId, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new SetTenantStatusCommand(tenantId, TenantStatuses.Suspended), ct),
            "Tenant suspended");

    [HttpPost("{tenantId:guid}/resume")]
    [ProducesResponseType<Envelope<Tenant>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Resume(Guid tenantId, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new SetTenantStatusCommand(tenantId, TenantStatuses.Active), ct),
            "Tenant resumed");
}
