using Ledger.Api;
using Ledger.Api.Cli;

if (LedgerCli.Handles(args))
{
    return await LedgerCli.RunAsync(args);
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    // The documented default; ASPNETCORE_URLS or --urls override it.
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

WebApplication app = builder.BuildLedger();
await app.RunAsync();
return 0;

/// <summary>The host's entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
