using Microsoft.AspNetCore.Identity;

namespace Bloonio.Relay.Web.Auth;

/// <summary>ASP.NET Core Identity's PBKDF2 hasher (SPEC 11), behind Core's interface.</summary>
public sealed class AspNetPasswordHasher : Core.Security.IPasswordHasher
{
    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object User = new();

    public string Hash(string password) => Hasher.HashPassword(User, password);

    public bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(User, hash, password) is not PasswordVerificationResult.Failed;
}
