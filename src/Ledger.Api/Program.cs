using Ledger.Api;
using Ledger.Api.Cli;
using Ledger.Api.Hosting;

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
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = Limits.BodyBytesMax);
builder.Services.AddLedger(builder.Configuration);

WebApplication app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapLedger();
await app.RunAsync();
return 0;

/// <summary>The host's entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
