using Bloonio.Relay.Core.Operators;

namespace Bloonio.Relay.Web.Auth;

/// <summary>Presence before the operator hub exists: nobody is connected, so everyone is offline.</summary>
public sealed class NoConnectionPresence : IOperatorPresence
{
    public Task<IReadOnlyDictionary<Guid, string>> GetAsync(Guid tenantId, IReadOnlyCollection<Guid> operatorIds, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<Guid, string>>(operatorIds.ToDictionary(id => id, _ => Presence.Offline));
}
