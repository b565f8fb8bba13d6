using System.Xml.Linq;
using Bloonio.Relay.Core.Security;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// ASP.NET Core Data Protection (console cookies, antiforgery tokens) with its key ring in PostgreSQL, so every node
/// reads the same keys and a restart keeps them: a console session or a form opened on one node works on another and
/// after a deploy. Each key's XML is encrypted under <c>Relay:MasterKey</c> (AES-256-GCM, bound to its purpose) before
/// it is stored.
/// </summary>
public static class DataProtectionKeys
{
    public static IServiceCollection AddRelayDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("bloonio-relay");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(p => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new PostgresXmlRepository(p.GetRequiredService<NpgsqlDataSource>());
            o.XmlEncryptor = new MasterKeyXmlEncryptor(p.GetRequiredService<ISecretProtector>());
        }));
        return services;
    }

    /// <summary>
    /// During a master key rotation (<c>Relay:PreviousMasterKeys</c> set), re-encrypts the key ring's keys still under
    /// a previous master key, at start-up: once it is done, the previous key can go without signing anyone out.
    /// </summary>
    public static async Task<int> ReEncryptAsync(IServiceProvider services, CancellationToken ct)
    {
        var protector = services.GetRequiredService<ISecretProtector>();
        if (!protector.Rotating)
        {
            return 0;
        }

        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        var changed = 0;
        foreach (var (name, xml) in await connection.QueryAsync<(string Name, string Xml)>(new CommandDefinition(
                     "SELECT name, xml FROM data_protection_keys", cancellationToken: ct)))
        {
            var document = XElement.Parse(xml);
            var value = document.Descendants("encryptedKey").Elements("value").FirstOrDefault();
            if (value is null || protector.Upgrade(Convert.FromBase64String(value.Value), SecretPurpose.DataProtectionKey) is not { } current)
            {
                continue;
            }

            value.Value = Convert.ToBase64String(current);
            changed += await connection.ExecuteAsync(new CommandDefinition("UPDATE data_protection_keys SET xml = @updated WHERE name = @name AND xml = @xml",
                new { updated = document.ToString(SaveOptions.DisableFormatting), name, xml }, cancellationToken: ct));
        }

        return changed;
    }
}

/// <summary>The key ring's elements, one row each (<c>data_protection_keys</c>).</summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY created_at").Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = dataSource.OpenConnection();
        connection.Execute("INSERT INTO data_protection_keys (name, xml) VALUES (@name, @xml) ON CONFLICT (name) DO NOTHING",
            new { name = friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}

/// <summary>Encrypts a key's XML under the master key; <see cref="MasterKeyXmlDecryptor"/> reads it back.</summary>
public sealed class MasterKeyXmlEncryptor(ISecretProtector protector) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedKey = protector.Protect(plaintextElement.ToString(SaveOptions.DisableFormatting), SecretPurpose.DataProtectionKey);
        return new EncryptedXmlInfo(new XElement("encryptedKey", new XComment(" AES-256-GCM under Relay:MasterKey "),
            new XElement("value", Convert.ToBase64String(sealedKey))), typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>Made by Data Protection itself (by type name, with the service provider).</summary>
public sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<ISecretProtector>()
            .Unprotect(Convert.FromBase64String(encryptedElement.Element("value")!.Value), SecretPurpose.DataProtectionKey));
}
