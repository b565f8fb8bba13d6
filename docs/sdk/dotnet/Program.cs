// The in-app SDK path with the official .NET SignalR client (Microsoft.AspNetCore.SignalR.Client):
// get a visitor token from your backend, connect, talk to the bot, ask for a human, and come back after being offline
// without missing a message. Run it against `./scripts/run.sh` with the variables that script prints:
//
//   BASE_URL=http://localhost:7811 TENANT_ID=… TENANT_SECRET=… dotnet run --project docs/sdk/dotnet
//
// Exits 0 when every step was seen, 1 otherwise.
using System.Text.Json;
using Bloonio.Relay.SdkExample;

var baseUrl = new Uri(Environment.GetEnvironmentVariable("BASE_URL") ?? "http://localhost:7811");
var tenantId = Environment.GetEnvironmentVariable("TENANT_ID");
var tenantSecret = Environment.GetEnvironmentVariable("TENANT_SECRET");
if (string.IsNullOrEmpty(tenantId) || string.IsNullOrEmpty(tenantSecret))
{
    Console.Error.WriteLine("Set TENANT_ID and TENANT_SECRET (./scripts/run.sh prints them), and BASE_URL if the relay is not on localhost:7811.");
    return 2;
}

var question = args.Length > 0 ? string.Join(' ', args) : "What are your opening hours?";
using var backend = new TenantBackend(baseUrl, tenantId, tenantSecret);
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
try
{
    // 1. Your app asks your backend, which asks the relay (HMAC#1). The app never holds the tenant secret.
    var user = "sdk-demo-" + Guid.NewGuid().ToString("N")[..8];
    var session = await backend.FetchVisitorTokenAsync(user, "SDK demo user", timeout.Token);
    Console.WriteLine($"backend: visitor token for {user}, session {session.SessionId} ({session.Mode})");

    // 2. The app connects with the official client and talks to the bot.
    await using var chat = new ChatClient(new Uri(baseUrl, session.HubUrl), session.VisitorToken);
    await chat.ConnectAsync(timeout.Token);
    Console.WriteLine("connected");
    var ack = await chat.SendAsync(question, timeout.Token);
    Console.WriteLine($"sent #{ack.Seq}: {question}");
    var bot = await chat.WaitForAsync(m => m.Sender.Type == "bot" && m.Seq > ack.Seq, timeout.Token);
    Console.WriteLine($"bot #{bot.Seq}: {bot.Text}");

    // 3. A person, please.
    var state = await chat.RequestHumanAsync("The SDK example asks for a person", timeout.Token);
    Console.WriteLine($"asked for a human: session {state.Status}");

    // 4. Offline for a while; the conversation goes on without us (here the backend posts a message).
    await chat.DisconnectAsync(timeout.Token);
    var missed = await backend.PostSystemMessageAsync(session.SessionId, "A message sent while the app was offline", timeout.Token);
    Console.WriteLine($"offline; meanwhile #{missed} was posted");

    // 5. Back online: History(after_seq) returns exactly what was missed (the client does this on every reconnect).
    var caughtUp = await chat.ConnectAsync(timeout.Token);
    Console.WriteLine($"back online; caught up with {string.Join(", ", caughtUp.Select(m => $"#{m.Seq} {m.Sender.Type}: {m.Text}"))}");
    if (!caughtUp.Any(m => m.Seq == missed))
    {
        Console.Error.WriteLine($"message #{missed} was not caught up");
        return 1;
    }

    Console.WriteLine("ok");
    return 0;
}
catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or HttpRequestException or JsonException
    or Microsoft.AspNetCore.SignalR.HubException)
{
    Console.Error.WriteLine($"failed: {ex.Message}");
    return 1;
}
