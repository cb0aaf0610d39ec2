namespace Ledger.Domain;

/// <summary>
/// A currency code as BitGo names coins: lower-case ASCII letters and digits, with ':' for
/// tokens ("eth:usdc"), '.', '_' and '-'. Whether the ledger supports it is a separate,
/// business question (<see cref="CurrencyCatalog"/>).
/// </summary>
public readonly record struct Currency
{
    public const int LengthMax = 64;

    private Currency(string code)
    {
        Code = code;
    }

    public string Code { get; }

    public static bool TryParse(string? text, out Currency currency)
    {
        currency = default;
        if (string.IsNullOrEmpty(text) || text.Length > LengthMax || !IsLetterOrDigit(text[0]))
        {
            return false;
        }
        foreach (char c in text)
        {
            if (!IsLetterOrDigit(c) && c is not (':' or '.' or '_' or '-'))
            {
                return false;
            }
        }
        currency = new Currency(text);
        return true;
    }

    public static Currency Parse(string text) =>
        TryParse(text, out Currency currency)
            ? currency
            : throw new FormatException("a currency is 1-64 characters of [a-z0-9:._-]");

    public override string ToString() => Code ?? string.Empty;

    private static bool IsLetterOrDigit(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}

/// <summary>The currencies this ledger holds balances in; anything else is refused.</summary>
public sealed class CurrencyCatalog
{
    public static readonly IReadOnlyList<string> DefaultCodes =
    [
        "btc",
        "tbtc",
        "tbtc4",
        "eth",
        "hteth",
        "sol",
        "tsol",
        "xrp",
        "txrp",
        "ltc",
        "tltc",
        "usdc",
        "usdt",
        "eth:usdc",
        "eth:usdt",
        "hteth:usdc",
    ];

    private readonly HashSet<Currency> _supported;

    public CurrencyCatalog(IEnumerable<Currency> supported)
    {
        _supported = [.. supported];
    }

    public static CurrencyCatalog Default { get; } = new(DefaultCodes.Select(Currency.Parse));

    public bool Supports(Currency currency) => _supported.Contains(currency);
}

/// <summary>An amount of one currency, in base units.</summary>
public sealed record Amount(Currency Currency, Quantity Quantity);
