using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>The refusals both hold kinds share, and how a retry is compared.</summary>
public sealed class HoldRulesTests
{
    private static readonly CurrencyCatalog Currencies = CurrencyCatalog.Default;

    [Fact]
    public void Hold_on_an_unknown_connection_is_refused_as_unknown_connection()
    {
        string? reason = HoldRules.RefusalBeforeFunds(Samples.Request(), null, Currencies);

        Assert.Equal(RejectionReasons.UnknownConnection, reason);
    }

    [Fact]
    public void Hold_whose_clientId_is_not_the_connections_is_refused_as_client_mismatch()
    {
        HoldRequest request = Samples.Request() with { ClientId = Guid.NewGuid() };

        string? reason = HoldRules.RefusalBeforeFunds(
            request,
            Samples.ActiveConnection(),
            Currencies
        );

        Assert.Equal(RejectionReasons.ClientMismatch, reason);
    }

    [Fact]
    public void Hold_whose_partnersConnectionId_differs_is_refused_as_partners_connection_mismatch()
    {
        HoldRequest request = Samples.Request() with { PartnersConnectionId = "pconn_other" };

        string? reason = HoldRules.RefusalBeforeFunds(
            request,
            Samples.ActiveConnection(),
            Currencies
        );

        Assert.Equal(RejectionReasons.PartnersConnectionMismatch, reason);
    }

    [Fact]
    public void Hold_whose_partnerClientId_differs_is_refused_as_partner_client_mismatch()
    {
        // Ordinal comparison: a different case is a different id.
        HoldRequest request = Samples.Request() with
        {
            PartnerClientId = Samples.PartnersClientId.ToUpperInvariant(),
        };

        string? reason = HoldRules.RefusalBeforeFunds(
            request,
            Samples.ActiveConnection(),
            Currencies
        );

        Assert.Equal(RejectionReasons.PartnerClientMismatch, reason);
    }

    [Fact]
    public void Hold_on_an_inactive_connection_is_refused_as_inactive_connection()
    {
        string? reason = HoldRules.RefusalBeforeFunds(
            Samples.Request(),
            Samples.InactiveConnection(),
            Currencies
        );

        Assert.Equal(RejectionReasons.InactiveConnection, reason);
    }

    [Fact]
    public void Hold_in_a_currency_outside_the_catalog_is_refused_as_unknown_currency()
    {
        HoldRequest request = Samples.Request() with
        {
            Amount = new Amount(Currency.Parse("doge"), Samples.Q("10")),
        };

        string? reason = HoldRules.RefusalBeforeFunds(
            request,
            Samples.ActiveConnection(),
            Currencies
        );

        Assert.Equal(RejectionReasons.UnknownCurrency, reason);
    }

    [Fact]
    public void Hold_matching_an_active_connection_in_a_known_currency_is_not_refused()
    {
        string? reason = HoldRules.RefusalBeforeFunds(
            Samples.Request(),
            Samples.ActiveConnection(),
            Currencies
        );

        Assert.Null(reason);
    }

    [Theory]
    [InlineData("amount.currency")]
    [InlineData("amount.quantity")]
    [InlineData("clientId")]
    [InlineData("connectionId")]
    [InlineData("partnersConnectionId")]
    [InlineData("partnerClientId")]
    public void Retry_that_differs_in_one_field_is_named_by_that_field(string field)
    {
        HoldRequest original = Samples.Request();
        HoldRequest retry = field switch
        {
            "amount.currency" => original with
            {
                Amount = new Amount(Currency.Parse("eth"), original.Amount.Quantity),
            },
            "amount.quantity" => original with { Amount = Samples.Btc("11") },
            "clientId" => original with { ClientId = Guid.NewGuid() },
            "connectionId" => original with { ConnectionId = Guid.NewGuid() },
            "partnersConnectionId" => original with { PartnersConnectionId = "pconn_other" },
            "partnerClientId" => original with { PartnerClientId = "pc_other" },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal(field, HoldRules.FirstDifference(original, retry));
    }

    [Fact]
    public void Retry_with_the_same_request_has_no_difference()
    {
        // A copy, not the same instance, so equality is by value as on the wire.
        HoldRequest original = Samples.Request();
        HoldRequest retry = Samples.Request();

        Assert.Null(HoldRules.FirstDifference(original, retry));
    }

    [Fact]
    public void Retry_differing_in_several_fields_names_the_first_in_contract_order()
    {
        HoldRequest original = Samples.Request();
        HoldRequest retry = original with { ClientId = Guid.NewGuid(), Amount = Samples.Btc("11") };

        Assert.Equal("amount.quantity", HoldRules.FirstDifference(original, retry));
    }

    [Fact]
    public void Requests_with_different_ids_are_never_compared()
    {
        HoldRequest original = Samples.Request();

        Assert.Throws<InvariantViolationException>(() =>
            HoldRules.FirstDifference(original, original with { Id = Guid.NewGuid() })
        );
    }
}
