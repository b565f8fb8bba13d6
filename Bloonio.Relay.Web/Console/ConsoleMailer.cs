using System.Net;
using System.Net.Mail;
using Bloonio.Relay.Core.Console;

namespace Bloonio.Relay.Web.ConsolePages;

/// <summary>
/// Console mail over SMTP (<c>Relay:Smtp:Host</c>, <c>Port</c> 587, <c>From</c>, <c>User</c>, <c>Password</c>,
/// <c>EnableSsl</c> true). Without SMTP, Development and Testing log the link (there is nobody to mail it to); elsewhere
/// the link is not sent and a warning says why: an owner can still hand a member a reset link from the Members page.
/// </summary>
public sealed class ConsoleMailer(IConfiguration configuration, IWebHostEnvironment environment, ILogger<ConsoleMailer> logger) : IConsoleMailer
{
    public async Task<bool> SendPasswordResetAsync(string email, string link, CancellationToken ct)
    {
        var smtp = configuration.GetSection("Relay:Smtp");
        if (smtp["Host"] is not { Length: > 0 } host)
        {
            if (environment.IsDevelopment() || environment.IsEnvironment("Testing"))
            {
                logger.LogWarning("No SMTP configured (Relay:Smtp:Host): the password reset link for {Email} is {Link}", email, link);
                return true;
            }

            logger.LogWarning("No SMTP configured (Relay:Smtp:Host): a password reset link for an account could not be mailed");
            return false;
        }

        using var client = new SmtpClient(host, smtp.GetValue("Port", 587)) { EnableSsl = smtp.GetValue("EnableSsl", true) };
        if (smtp["User"] is { Length: > 0 } user)
        {
            client.Credentials = new NetworkCredential(user, smtp["Password"]);
        }

        using var message = new MailMessage(smtp["From"] ?? "no-reply@bloonio.local", email)
        {
            Subject = "Reset your Bloonio password",
            Body = $"Someone (hopefully you) asked to reset the password of your Bloonio console account.\n\n{link}\n\n" +
                   "The link works once, for one hour. If it was not you, ignore this message: your password stays as it is.",
        };
        try
        {
            await client.SendMailAsync(message, ct);
            return true;
        }
        catch (SmtpException ex)
        {
            logger.LogWarning("The password reset mail could not be sent ({Error})", ex.Message);
            return false;
        }
    }
}
