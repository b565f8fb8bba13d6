namespace Bloonio.Relay.Core;

/// <summary>The settings the product rules depend on; bound by the web layer from <c>Relay:*</c>.</summary>
public sealed class RelayCoreOptions
{
    /// <summary>Allow http and loopback webhook targets (development and tests only).</summary>
    public bool AllowInsecureWebhooks { get; set; }

    public TimeSpan OperatorTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>|now − timestamp| allowed for HMAC#1, and how long an accepted request is remembered.</summary>
    public TimeSpan SignatureWindow { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary><c>Relay:PublicPathBase</c>: a prefix a proxy strips, put back before verifying HMAC#1.</summary>
    public string PublicPathBase { get; set; } = "";

    /// <summary><c>Relay:AbandonAfterSeconds</c>: an assigned operator unseen this long loses its assignments to the queue.</summary>
    public TimeSpan AbandonAfter { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary><c>Relay:JournalRetentionDays</c>: how long the journal of a closed session is kept (the brain keeps it for good).</summary>
    public TimeSpan JournalRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary><c>Relay:Brain:EscalateOnFailure</c>: a dead brain hands the visitor to a human.</summary>
    public bool EscalateOnBrainFailure { get; set; } = true;

    /// <summary><c>Relay:Bot:ReplyDeadlineSeconds</c>: a visitor's message in a bot session is answered within this time
    /// of being stored, or the session escalates (with EscalateOnFailure), whatever held the reply up.</summary>
    public TimeSpan BotReplyDeadline { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Console sign-in attempts per account per minute (Relay:Console:SignInsPerAccountPerMinute).</summary>
    public int ConsoleSignInsPerAccount { get; set; } = 5;

    /// <summary>Console sign-in attempts per client address per minute (Relay:Console:SignInsPerAddressPerMinute).</summary>
    public int ConsoleSignInsPerAddress { get; set; } = 20;
}
