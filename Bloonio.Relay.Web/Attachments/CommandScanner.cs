using System.Diagnostics;
using Bloonio.Relay.Core.Attachments;

namespace Bloonio.Relay.Web.Attachments;

/// <summary>
/// The scanning hook wired to a program (<c>Relay:Attachments:ScanCommand</c>, e.g. <c>clamdscan --no-summary -</c>):
/// the file on its standard input; exit code 0 is clean, anything else refuses the file with the program's first output
/// line as the reason. A scanner that cannot run or takes longer than 30 s refuses too (fail closed).
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

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.StandardInput.BaseStream.WriteAsync(data, timeout.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode == 0)
            {
                return null;
            }

            var line = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            return string.IsNullOrEmpty(line) ? $"exit code {process.ExitCode}" : line;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(ex, "The attachment scanner could not scan {FileName}; the file is refused", fileName);
            return "the scanner is unavailable";
        }
    }
}
