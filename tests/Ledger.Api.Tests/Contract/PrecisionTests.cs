using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// Amounts are integers of any size (contract: a wei amount overflows 64 bits at about 9.2
/// ETH). They must come back with exactly the digits that went in: as a JSON number in
/// BitGo's answers, as numeric in ledger.balances, never through double or decimal.
/// </summary>
public sealed class PrecisionTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "eth";

    /// <summary>10^30 wei: beyond long (about 9.2e18) and beyond decimal (about 7.9e28).</summary>
    private const string TenToThirtyWei = "1000000000000000000000000000000";

    /// <summary>uint256's maximum, 78 digits: the most that Quantity.DigitsMax allows.</summary>
    private const string UInt256Max =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";

    private static readonly BigInteger TenToThirty = BigInteger.Pow(10, 30);

    [Fact]
    public async Task Quantity_of_10_to_the_30_wei_round_trips_exactly_through_every_step()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Assert.Equal(TenToThirtyWei, TenToThirty.ToString(CultureInfo.InvariantCulture));
        HoldKind allocation = HoldKind.Allocation;
        HoldKind deallocation = HoldKind.Deallocation;
        Guid allocationId = Guid.NewGuid();
        Guid deallocationId = Guid.NewGuid();

        AssertExactNumber(
            await bitgo.PostAsync(
                allocation.OpenPath,
                allocation.Body(allocationId, c, Currency, TenToThirtyWei)
            ),
            TenToThirtyWei
        );
        Assert.Equal(new BalanceRow(0, 0, TenToThirty), await fixture.BalanceAsync(c, Currency));

        AssertExactNumber(
            await bitgo.PutAsync(allocation.SettlePath(allocationId, "clear")),
            TenToThirtyWei
        );
        Assert.Equal(new BalanceRow(TenToThirty, 0, 0), await fixture.BalanceAsync(c, Currency));

        // BitGo's answers show quantity as a number, so a request may carry it that way too.
        JsonObject body = deallocation.Body(deallocationId, c, Currency, TenToThirtyWei);
        body["amount"]!["quantity"] = JsonNode.Parse(TenToThirtyWei);
        Answer deallocated = await bitgo.PostAsync(deallocation.OpenPath, body);
        AssertExactNumber(deallocated, TenToThirtyWei);
        Assert.Null(deallocated.RejectionReason());
        Assert.Equal(new BalanceRow(0, TenToThirty, 0), await fixture.BalanceAsync(c, Currency));
        AssertExactNumber(
            await bitgo.GetAsync(deallocation.StatusPath(deallocationId)),
            TenToThirtyWei
        );

        AssertExactNumber(
            await bitgo.PutAsync(deallocation.SettlePath(deallocationId, "clear")),
            TenToThirtyWei
        );
        Assert.Equal(BalanceRow.Zero, await fixture.BalanceAsync(c, Currency));

        Answer status = await bitgo.GetAsync(deallocation.StatusPath(deallocationId));
        AssertExactNumber(status, TenToThirtyWei);
        Assert.Equal("cleared", status.Text("status"));
        Assert.Equal(
            TenToThirtyWei,
            await fixture.ScalarAsync<string>(
                "SELECT quantity::text FROM ledger.hold_status WHERE id = $1",
                deallocationId
            )
        );
        // The log stores the quantity as a string of the same digits (ADR 0005).
        Assert.Equal(
            TenToThirtyWei,
            await fixture.ScalarAsync<string>(
                """
                SELECT data -> 'amount' ->> 'quantity' FROM ledger.events
                WHERE stream_id = $1 AND version = 1
                """,
                deallocationId
            )
        );
    }

    [Fact]
    public async Task Quantity_of_uint256_max_is_accepted_and_round_trips_exactly()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();

        Answer allocated = await bitgo.PostAsync(
            HoldKind.Allocation.OpenPath,
            HoldKind.Allocation.Body(id, c, Currency, UInt256Max)
        );
        Answer cleared = await bitgo.PutAsync(HoldKind.Allocation.SettlePath(id, "clear"));

        AssertExactNumber(allocated, UInt256Max);
        AssertExactNumber(cleared, UInt256Max);
        BigInteger max = BigInteger.Parse(UInt256Max, CultureInfo.InvariantCulture);
        Assert.Equal(new BalanceRow(max, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Deallocation_of_one_wei_more_than_a_huge_available_balance_is_refused()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, TenToThirtyWei);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await bitgo.DeallocateAsync(
            Guid.NewGuid(),
            c,
            Currency,
            (TenToThirty + 1).ToString(CultureInfo.InvariantCulture)
        );

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("insufficient funds", answer.RejectionReason());
        Assert.Equal(new BalanceRow(TenToThirty, 0, 0), await fixture.BalanceAsync(c, Currency));
        // Only the request and its rejection are recorded.
        Assert.Equal(eventsBefore + 2, await fixture.CountEventsAsync());
    }

    /// <summary>
    /// The raw body carries the quantity as a JSON number of exactly these digits, closed by
    /// the amount's brace, so no further digit, fraction or exponent follows.
    /// </summary>
    private static void AssertExactNumber(Answer answer, string digits)
    {
        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Contains($"\"quantity\":{digits}}}", answer.Body, StringComparison.Ordinal);
    }
}
