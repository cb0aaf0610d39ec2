using System.Numerics;
using FsCheck;
using FsCheck.Fluent;

namespace Ledger.Domain.Tests;

/// <summary>ADR 0005: a quantity is a canonical non-negative integer of 1-78 digits.</summary>
public sealed class QuantityTests
{
    private static readonly string Digits78 = "1" + new string('0', 77);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("00")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1_000")]
    [InlineData("1,000")]
    public void Quantity_rejects_text_that_is_not_a_canonical_integer(string? text)
    {
        Assert.False(Quantity.TryParse(text, out _));
    }

    [Theory]
    [InlineData("١")]
    [InlineData("１")]
    [InlineData("1٢")]
    public void Quantity_rejects_non_ascii_digits(string text)
    {
        Assert.False(Quantity.TryParse(text, out _));
    }

    [Fact]
    public void Quantity_rejects_79_digits()
    {
        Assert.False(Quantity.TryParse(Digits78 + "0", out _));
    }

    [Fact]
    public void Quantity_Parse_throws_FormatException_on_text_that_TryParse_rejects()
    {
        Assert.Throws<FormatException>(() => Quantity.Parse("01"));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData("21000000", 21_000_000)]
    public void Quantity_accepts_small_canonical_integers(string text, long expected)
    {
        Assert.True(Quantity.TryParse(text, out Quantity quantity));

        Assert.Equal(new BigInteger(expected), quantity.Value);
    }

    [Fact]
    public void Quantity_accepts_78_digits()
    {
        string nines = new('9', Quantity.DigitsMax);

        Assert.True(Quantity.TryParse(nines, out Quantity quantity));

        Assert.Equal(BigInteger.Pow(10, 78) - 1, quantity.Value);
    }

    [Fact]
    public void Quantity_accepts_ten_to_the_thirtieth_beyond_64_bits()
    {
        Assert.True(Quantity.TryParse("1" + new string('0', 30), out Quantity quantity));

        Assert.Equal(BigInteger.Pow(10, 30), quantity.Value);
    }

    [Fact]
    public void Quantity_is_never_negative_From_minus_one_throws()
    {
        Assert.Throws<InvariantViolationException>(() => Quantity.From(BigInteger.MinusOne));
    }

    [Fact]
    public void Quantity_subtraction_below_zero_throws()
    {
        Assert.Throws<InvariantViolationException>(() => Samples.Q("1") - Samples.Q("2"));
    }

    [Fact]
    public void Quantity_subtraction_down_to_exactly_zero_is_zero()
    {
        Assert.True((Samples.Q("7") - Samples.Q("7")).IsZero);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("1000000000000000000000000000000")]
    [InlineData("999999999999999999999999999999999999999999999999999999999999999999999999999999")]
    public void Quantity_round_trips_through_ToString(string text)
    {
        Assert.Equal(text, Quantity.Parse(text).ToString());
    }

    [Fact]
    public void Quantity_From_any_non_negative_integer_round_trips_through_ToString()
    {
        // Any value, not only the listed ones: digits drawn at random, up to the 78 allowed.
        var digits = Gen.Choose(0, 9).ArrayOf();
        Prop.ForAll(
                digits.ToArbitrary(),
                (int[] drawn) =>
                {
                    BigInteger value = drawn
                        .Take(Quantity.DigitsMax)
                        .Aggregate(BigInteger.Zero, (sum, digit) => sum * 10 + digit);
                    Quantity quantity = Quantity.From(value);

                    Assert.Equal(quantity, Quantity.Parse(quantity.ToString()));
                }
            )
            .QuickCheckThrowOnFailure();
    }
}
