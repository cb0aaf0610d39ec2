namespace Ledger.LocalPostgres;

/// <summary>
/// A local PostgreSQL cluster could not be provided: the binaries are missing, or the server did
/// not start. The message says why and what to do instead.
/// </summary>
public sealed class LocalPostgresUnavailableException : Exception
{
    public LocalPostgresUnavailableException() { }

    public LocalPostgresUnavailableException(string message)
        : base(message) { }

    public LocalPostgresUnavailableException(string message, Exception? innerException)
        : base(message, innerException) { }
}
