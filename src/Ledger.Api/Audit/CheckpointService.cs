using System.Globalization;
using Ledger.Api.Hosting;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>
/// Writes a checkpoint every Audit:CheckpointIntervalSeconds (default an hour), skipping the
/// tick when nothing was appended since the latest one. Several nodes each write their own;
/// that costs a row per node per interval and proves the same thing.
/// </summary>
public sealed class CheckpointService(
    LedgerDatabase database,
    IConfiguration configuration,
    ILogger<CheckpointService> logger
) : BackgroundService
{
    public const string IntervalSetting = "Audit:CheckpointIntervalSeconds";

    public const int IntervalSecondsDefault = 3_600;

    /// <summary>A digest reads every stream's head; more often than this is a mistake.</summary>
    public const int IntervalSecondsMin = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan interval = Interval(configuration);
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                StoredCheckpoint? checkpoint = await new CheckpointWriter(
                    database.DataSource
                ).WriteAsync(onlyIfNew: true, stoppingToken);
                if (checkpoint is not null)
                {
                    logger.LogInformation(
                        "Checkpoint {Id} at seq {AtSeq}: {Streams} streams, digest {Digest}",
                        checkpoint.Id,
                        checkpoint.AtSeq,
                        checkpoint.StreamCount,
                        Convert.ToHexStringLower(checkpoint.Digest)
                    );
                }
            }
            catch (NpgsqlException e)
            {
                logger.LogWarning(
                    e,
                    "Writing a checkpoint failed; retrying in {Interval}",
                    interval
                );
            }
        }
    }

    public static TimeSpan Interval(IConfiguration configuration)
    {
        string? text = configuration[IntervalSetting];
        if (string.IsNullOrEmpty(text))
        {
            return TimeSpan.FromSeconds(IntervalSecondsDefault);
        }
        if (
            !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds)
            || seconds < IntervalSecondsMin
        )
        {
            throw new InvalidOperationException(
                $"{IntervalSetting} must be a whole number of seconds >= {IntervalSecondsMin}, "
                    + $"got '{text}'"
            );
        }
        return TimeSpan.FromSeconds(seconds);
    }
}
