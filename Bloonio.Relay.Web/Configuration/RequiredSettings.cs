namespace Bloonio.Relay.Web.Configuration;

/// <summary>Outside Development, the relay refuses to start without its keys, and says which one is missing.</summary>
public static class RequiredSettings
{
    public static IReadOnlyList<string> Missing(IConfiguration configuration)
    {
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString("Relay")))
        {
            missing.Add("ConnectionStrings:Relay (PostgreSQL connection string)");
        }

        var master = configuration["Relay:MasterKey"];
        if (string.IsNullOrWhiteSpace(master))
        {
            missing.Add("Relay:MasterKey (base64 of 32 random bytes: openssl rand -base64 32)");
        }
        else if (!IsBase64OfLength(master, 32))
        {
            missing.Add("Relay:MasterKey must be base64 of exactly 32 bytes");
        }

        var previous = (configuration["Relay:PreviousMasterKeys"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (previous.Any(k => !IsBase64OfLength(k, 32)))
        {
            missing.Add("Relay:PreviousMasterKeys must be a comma-separated list of base64 keys of exactly 32 bytes");
        }

        if (JwtKeyRing.TryParse(configuration.GetSection("Relay:Jwt"), out _) is { } error)
        {
            missing.Add(error);
        }

        return missing;
    }

    private static bool IsBase64OfLength(string value, int length)
    {
        var buffer = new byte[length + 3];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var written) && written == length;
    }
}
