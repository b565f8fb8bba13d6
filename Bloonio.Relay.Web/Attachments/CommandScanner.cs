using System.Diagnostics;
using Bloonio.Relay.Core.Attachments;

namespace Bloonio.Relay.Web.Attachments;

/// <summary>
/// The scanning hook wired to a program (<c>Relay:Attachments:ScanCommand</c>, e.g. <c>clamdscan --no-summary -</c>):
/// the file on its standard input; exit code 0 is clean, anything else refuses the file with the program's first output
/// line as the reason. A scanner that cannot run or takes longer than 30 s makes the upload fail as a dependency's
/// outage (503; fail closed: nothing is stored unscanned), and a scanner still running is killed.
/// </summary>
public sealed class CommandScanner(string command, ILogger<CommandScanner> logger) : IAttachmentScanner
{
    public async Task<string?> ScanAsync(string fileName, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(parts[0])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in parts.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        Process? process = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            process = Process.Start(start)!;
            // Both outputs read as they come (a scanner that writes a lot must not block on a full pipe).
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(data, timeout.Token);
            }
            catch (IOException)
            {
                // the scanner stopped reading (it decided early): its exit code says what it found
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await errors;
            if (process.ExitCode == 0)
            {
                return null;
            }

            var line = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            return string.IsNullOrEmpty(line) ? $"exit code {process.ExitCode}" : line;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Could not scan (no such program, a time-out): not the file's fault, so not a refusal of it — the upload is
            // refused as a dependency's outage (503), and nothing is stored unscanned.
            logger.LogWarning(ex, "The attachment scanner could not scan {FileName}; the upload is refused for now", fileName);
            throw new Core.Common.UnavailableException("The file scanner is unavailable; retry in a few seconds");
        }
        finally
        {
            if (process is { HasExited: false })
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // exited meanwhile
                }
            }

            process?.Dispose();
        }
    }
}
