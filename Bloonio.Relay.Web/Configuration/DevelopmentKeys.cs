using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bloonio.Relay.Web.Configuration;

/// <summary>
/// In Development the relay needs no set-up: missing keys are generated once and kept in a file outside the
/// repository, so tenant secrets encrypted under the master key still decrypt after a restart.
/// </summary>
public static class DevelopmentKeys
{
    public sealed record Keys(
        [property: JsonPropertyName("master_key")] string MasterKey,
        [property: JsonPropertyName("jwt_key")] string JwtKey,
        [property: JsonPropertyName("admin_api_key")] string AdminApiKey);

    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".bloonio-relay", "development-keys.json");

    /// <summary>Adds the generated keys under any key the configuration lacks; returns the file and whether it is new.</summary>
    public static (string Path, bool Created) Apply(ConfigurationManager configuration)
    {
        var path = configuration["Relay:DevelopmentKeysFile"] ?? DefaultPath;
        var created = !File.Exists(path);
        Keys keys;
        if (created)
        {
            keys = new Keys(NewKey(), NewKey(), "bra_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllText(path, JsonSerializer.Serialize(keys));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        else
        {
            keys = JsonSerializer.Deserialize<Keys>(File.ReadAllText(path))
                ?? throw new InvalidOperationException($"Cannot read {path}; delete it to generate new development keys.");
        }

        var defaults = new Dictionary<string, string?>();
        AddIfMissing(configuration, defaults, "Relay:MasterKey", keys.MasterKey);
        AddIfMissing(configuration, defaults, "Relay:AdminApiKey", keys.AdminApiKey);
        AddIfMissing(configuration, defaults, "Relay:Jwt:SigningKeys", "dev=" + keys.JwtKey);
        configuration.AddInMemoryCollection(defaults);
        return (path, created);
    }

    private static void AddIfMissing(IConfiguration configuration, Dictionary<string, string?> defaults, string key, string value)
    {
        if (string.IsNullOrWhiteSpace(configuration[key]) && !configuration.GetSection(key).GetChildren().Any())
        {
            defaults[key] = value;
        }
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
