using System.Globalization;
using Ledger.Torture;

// dotnet run --project tools/Ledger.Torture -- --seed 42 --duration-seconds 1800 --mode long
// Exit code 0 when the run found no discrepancy, 1 when it did, 2 on bad arguments.
const string Usage =
    "usage: Ledger.Torture [--seed N] [--duration-seconds S] [--mode short|long] "
    + "[--workers N] [--connections N] [--api-dll PATH] [--non-durable]";

int seed = Environment.TickCount & int.MaxValue;
int? duration = null;
TortureMode mode = TortureMode.Short;
int? workers = null;
int? connections = null;
string? apiDll = null;
bool durable = true;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--non-durable")
    {
        durable = false;
        continue;
    }
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    bool ok = args[i] switch
    {
        "--seed" => int.TryParse(
            value,
            NumberStyles.Integer,
            CultureInfo.InvariantCulture,
            out seed
        ),
        "--duration-seconds" => TryInt(value, out duration),
        "--mode" => Enum.TryParse(value, ignoreCase: true, out mode),
        "--workers" => TryInt(value, out workers),
        "--connections" => TryInt(value, out connections),
        "--api-dll" => (apiDll = value) is not null,
        _ => false,
    };
    if (!ok)
    {
        Console.Error.WriteLine($"bad argument {args[i]} {value}\n{Usage}");
        return 2;
    }
    i++;
}

TortureOptions options = TortureOptions.For(mode, seed, duration) with
{
    ApiDllPath = apiDll,
    Durable = durable,
};
options = options with
{
    Workers = workers ?? options.Workers,
    Connections = connections ?? options.Connections,
};
TortureResult result = await TortureRun.RunAsync(options);
return result.Passed ? 0 : 1;

static bool TryInt(string? text, out int? value)
{
    bool ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed);
    value = ok ? parsed : null;
    return value is not null;
}
