namespace Bloonio.Relay.Web.Configuration;

/// <summary>The <c>Relay:*</c> section (SPEC 14). Names match the README and every script.</summary>
public sealed class RelayOptions
{
    public const string Section = "Relay";

    public string? Redis { get; set; }
    public string? AdminApiKey { get; set; }
    public string? MasterKey { get; set; }
    public JwtOptions Jwt { get; set; } = new();
    public BrainOptions Brain { get; set; } = new();
    public bool AllowInsecureWebhooks { get; set; }
    public string PublicPathBase { get; set; } = "";
    public int AbandonAfterSeconds { get; set; } = 120;
    public int JournalRetentionDays { get; set; } = 30;

    /// <summary><c>postgres</c> (default, shared by every node) or <c>memory</c> (one node only).</summary>
    public string ReplayCache { get; set; } = "postgres";

    /// <summary>The public URL printed in Development (the demo, curl examples).</summary>
    public string? PublicUrl { get; set; }
}

public sealed class JwtOptions
{
    /// <summary>
    /// The key ring as <c>id=base64,id=base64</c> (the first signs, all verify), or as a map id → base64 with
    /// <see cref="ActiveKeyId"/> naming the signer.
    /// </summary>
    public string? SigningKeys { get; set; }

    public string? ActiveKeyId { get; set; }
}

public sealed class BrainOptions
{
    public string? BaseUrl { get; set; }
    public string? KeyId { get; set; }
    public string? Secret { get; set; }
    public bool EscalateOnFailure { get; set; } = true;

    /// <summary>Per-attempt time-out (SPEC 9: 15 s); a bot reply also has its overall deadline (Relay:Bot:ReplyDeadlineSeconds).</summary>
    public int TimeoutSeconds { get; set; } = 15;

    /// <summary>How long the brain's circuit stays open before a trial call.</summary>
    public int BreakSeconds { get; set; } = 30;
}
