using System.Numerics;

namespace Ledger.Domain;

/// <summary>
/// An amount in a currency's base units (satoshis, wei, ...). It is an integer of any size
/// and never negative: a wei amount overflows 64 bits at about 9.2 ETH, so amounts never pass
/// through long, double or decimal (ADR 0005).
/// </summary>
public readonly record struct Quantity : IComparable<Quantity>
{
    /// <summary>uint256's maximum has 78 digits, so no on-chain amount needs more.</summary>
    public const int DigitsMax = 78;

    private Quantity(BigInteger value)
    {
        Value = value;
    }

    public BigInteger Value { get; }

    public static Quantity Zero => default;

    public bool IsZero => Value.IsZero;

    public static Quantity From(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new InvariantViolationException($"a quantity is never negative, got {value}");
        }
        return new Quantity(value);
    }

    /// <summary>
    /// Parses only the canonical form: ASCII digits, no sign, no leading zero (except "0"),
    /// no fraction, no exponent, at most <see cref="DigitsMax"/> digits.
    /// </summary>
    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = Zero;
        if (string.IsNullOrEmpty(text) || text.Length > DigitsMax)
        {
            return false;
        }
        if (text.Length > 1 && text[0] == '0')
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        quantity = new Quantity(
            BigInteger.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
        );
        return true;
    }

    public static Quantity Parse(string text) =>
        TryParse(text, out Quantity quantity)
            ? quantity
            : throw new FormatException("a quantity is a canonical non-negative integer");

    public static Quantity operator +(Quantity left, Quantity right) =>
        new(left.Value + right.Value);

    /// <summary>Subtraction below zero is a broken invariant, never an expected outcome.</summary>
    public static Quantity operator -(Quantity left, Quantity right) =>
        From(left.Value - right.Value);

    public static bool operator <(Quantity left, Quantity right) => left.Value < right.Value;

    public static bool operator >(Quantity left, Quantity right) => left.Value > right.Value;

    public static bool operator <=(Quantity left, Quantity right) => left.Value <= right.Value;

    public static bool operator >=(Quantity left, Quantity right) => left.Value >= right.Value;

    public int CompareTo(Quantity other) => Value.CompareTo(other.Value);

    public override string ToString() =>
        Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
