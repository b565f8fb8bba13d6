using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

/// <summary>Controllers build a request, send it, wrap the result in the envelope: nothing else.</summary>
[ApiController]
[Produces("application/json")]
public abstract class RelayControllerBase(IMediator mediator) : ControllerBase
{
    protected IMediator Mediator { get; } = mediator;

    /// <summary>The tenant HMAC#1 authenticated (only set under <c>/api/v1/relay</c>).</summary>
    protected Guid TenantId =>
        HttpContext.RequestServices.GetRequiredService<ICallerContext>().TenantId
        ?? throw new InvalidOperationException("No authenticated tenant on this route.");

    protected ObjectResult Envelope<T>(int statusCode, T data, string message) =>
        StatusCode(statusCode, new Envelope<T>(statusCode, data, message));
}
