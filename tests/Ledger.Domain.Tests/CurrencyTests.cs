namespace Ledger.Domain.Tests;

/// <summary>A currency code is 1-64 characters of [a-z0-9:._-], starting with [a-z0-9].</summary>
public sealed class CurrencyTests
{
    [Theory]
    [InlineData("btc")]
    [InlineData("eth:usdc")]
    [InlineData("hteth:usdc")]
    [InlineData("0x-token_v1.2")]
    public void Currency_accepts_lower_case_codes_and_tokens(string text)
    {
        Assert.True(Currency.TryParse(text, out Currency currency));

        Assert.Equal(text, currency.Code);
    }

    [Fact]
    public void Currency_accepts_64_characters()
    {
        string code = new('a', Currency.LengthMax);

        Assert.True(Currency.TryParse(code, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("BTC")]
    [InlineData("Btc")]
    [InlineData(":btc")]
    [InlineData("-btc")]
    [InlineData("b tc")]
    [InlineData("btc\n")]
    [InlineData(" btc")]
    [InlineData("btc/usdc")]
    [InlineData("bťc")]
    public void Currency_rejects_codes_outside_the_lower_case_ascii_alphabet(string? text)
    {
        Assert.False(Currency.TryParse(text, out _));
    }

    [Fact]
    public void Currency_rejects_65_characters()
    {
        Assert.False(Currency.TryParse(new string('a', Currency.LengthMax + 1), out _));
    }

    [Fact]
    public void Currency_catalog_supports_only_its_listed_codes()
    {
        Assert.True(CurrencyCatalog.Default.Supports(Currency.Parse("eth:usdc")));
        Assert.False(CurrencyCatalog.Default.Supports(Currency.Parse("doge")));
    }
}
