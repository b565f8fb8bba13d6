namespace Bloonio.Relay.Core.Common;

/// <summary>The stable machine codes of the envelope's <c>error_code</c> (SPEC 1, 2, 4, 13).</summary>
public static class ErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string PayloadTooLarge = "payload_too_large";
    public const string ValidationFailed = "validation_failed";
    public const string InternalError = "internal_error";
    public const string Conflict = "conflict";
    public const string PreconditionFailed = "precondition_failed";
    public const string DependencyUnavailable = "dependency_unavailable";

    /// <summary>The hubs' prefix for a dependency that is down (SPEC 6).</summary>
    public const string Unavailable = "unavailable";

    public const string MissingSignature = "missing_signature";
    public const string UnknownTenant = "unknown_tenant";
    public const string InvalidSignature = "invalid_signature";
    public const string TimestampOutOfWindow = "timestamp_out_of_window";
    public const string ReplayedRequest = "replayed_request";
    public const string TenantSuspended = "tenant_suspended";

    public const string TenantNotFound = "tenant_not_found";
    public const string OperatorNotFound = "operator_not_found";
    public const string MembershipInactive = "membership_inactive";

    public const string InvalidWidgetKey = "invalid_widget_key";
    public const string OriginNotAllowed = "origin_not_allowed";
    public const string SessionNotFound = "session_not_found";
    public const string SessionClosed = "session_closed";
    public const string AssignmentNotFound = "not_found";
    public const string AlreadyAssigned = "already_assigned";
    public const string ForbiddenRoutingKey = "forbidden_routing_key";
    public const string NotAssigned = "not_assigned";
    public const string MaxConcurrentReached = "max_concurrent_reached";
    public const string AlreadyEscalated = "already_escalated";
    public const string HandoffDisabled = "handoff_disabled";
    public const string BotDisabled = "bot_disabled";
    public const string DeliveryNotFound = "delivery_not_found";
    public const string RateLimited = "rate_limited";
    public const string InvalidCredentials = "invalid_credentials";
    public const string InviteNotFound = "invite_not_found";
    public const string LastOwner = "last_owner";
    public const string QuotaExceeded = "quota_exceeded";
    public const string AttachmentsDisabled = "attachments_disabled";
    public const string AttachmentNotAvailable = "attachment_not_available";
    public const string WebhookNotConfigured = "webhook_not_configured";
}
