using System.Net;
using System.Numerics;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// Issue 3's balance table, one row per test, read from ledger.balances after the call: each
/// step moves exactly its quantity between available, reserved and pending_credit.
/// </summary>
public sealed class BalanceTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "eth";

    [Fact]
    public async Task Allocation_reserved_adds_the_quantity_to_pending_credit_only()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);

        await bitgo.OpenReservedAsync(HoldKind.Allocation, Guid.NewGuid(), c, Currency, "30");

        Assert.Equal(BalanceRow.Of(100, 0, 30), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Allocation_cleared_moves_the_quantity_from_pending_credit_to_available()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);
        Guid id = Guid.NewGuid();
        await bitgo.OpenReservedAsync(HoldKind.Allocation, id, c, Currency, "30");

        await SettleAsync(bitgo, HoldKind.Allocation, id, "clear");

        Assert.Equal(BalanceRow.Of(130, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Allocation_released_removes_the_quantity_from_pending_credit_only()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);
        Guid id = Guid.NewGuid();
        await bitgo.OpenReservedAsync(HoldKind.Allocation, id, c, Currency, "30");

        await SettleAsync(bitgo, HoldKind.Allocation, id, "release");

        Assert.Equal(BalanceRow.Of(100, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Deallocation_reserved_moves_the_quantity_from_available_to_reserved()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);

        Answer answer = await bitgo.DeallocateAsync(Guid.NewGuid(), c, Currency, "40");

        Assert.Null(answer.AssertStatus(HttpStatusCode.OK).RejectionReason());
        Assert.Equal(BalanceRow.Of(60, 40, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Deallocation_cleared_removes_the_quantity_from_reserved_only()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);
        Guid id = Guid.NewGuid();
        (await bitgo.DeallocateAsync(id, c, Currency, "40")).AssertStatus(HttpStatusCode.OK);

        await SettleAsync(bitgo, HoldKind.Deallocation, id, "clear");

        Assert.Equal(BalanceRow.Of(60, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Deallocation_released_moves_the_quantity_from_reserved_back_to_available()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);
        Guid id = Guid.NewGuid();
        (await bitgo.DeallocateAsync(id, c, Currency, "40")).AssertStatus(HttpStatusCode.OK);

        await SettleAsync(bitgo, HoldKind.Deallocation, id, "release");

        Assert.Equal(BalanceRow.Of(100, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Deallocation_of_exactly_the_available_quantity_is_reserved()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);

        Answer answer = await bitgo.DeallocateAsync(Guid.NewGuid(), c, Currency, "100");

        Assert.Null(answer.AssertStatus(HttpStatusCode.OK).RejectionReason());
        Assert.Equal(BalanceRow.Of(0, 100, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Balances_are_kept_per_connection_and_currency()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedAsync(bitgo, 100);
        TestConnection sameClient = await bitgo.ConnectAsync(c.ClientId);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer other = await bitgo.DeallocateAsync(Guid.NewGuid(), sameClient, Currency, "1");
        Answer otherCurrency = await bitgo.DeallocateAsync(Guid.NewGuid(), c, "btc", "1");

        Assert.Equal("insufficient funds", other.RejectionReason());
        Assert.Equal("insufficient funds", otherCurrency.RejectionReason());
        // Each refusal records only its request and its rejection.
        Assert.Equal(eventsBefore + 4, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(100, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    /// <summary>
    /// Conservation over a seeded mix of every step: what cleared allocations brought in, less
    /// what cleared deallocations took out, is exactly available + reserved. It is checked
    /// against a model of the answers and against the log itself.
    /// </summary>
    [Fact]
    public async Task Cleared_allocations_minus_cleared_deallocations_are_available_plus_reserved()
    {
        const int StepCount = 60;
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        var random = new Random(20_240_611);
        var model = new ConservationModel();
        var open = new List<(HoldKind Kind, Guid Id, int Quantity)>();

        for (int step = 0; step < StepCount; step++)
        {
            if (open.Count > 0 && random.Next(3) == 0)
            {
                int index = random.Next(open.Count);
                var hold = open[index];
                open.RemoveAt(index);
                string settlement = random.Next(2) == 0 ? "clear" : "release";
                await SettleAsync(bitgo, hold.Kind, hold.Id, settlement);
                model.Settle(hold.Kind, settlement, hold.Quantity);
                continue;
            }
            HoldKind kind = random.Next(2) == 0 ? HoldKind.Allocation : HoldKind.Deallocation;
            int quantity = random.Next(1, 500);
            Guid id = Guid.NewGuid();
            Answer answer = await bitgo.PostAsync(
                kind.OpenPath,
                kind.Body(id, c, Currency, $"{quantity}")
            );
            bool reserved = answer.AssertStatus(HttpStatusCode.OK).RejectionReason() is null;
            Assert.Equal(kind == HoldKind.Allocation || quantity <= model.Available, reserved);
            if (reserved)
            {
                model.Reserve(kind, quantity);
                open.Add((kind, id, quantity));
            }
        }

        BalanceRow balance = await fixture.BalanceAsync(c, Currency);
        Assert.Equal(new BalanceRow(model.Available, model.Reserved, model.PendingCredit), balance);
        Assert.Equal(model.ClearedIn - model.ClearedOut, balance.Available + balance.Reserved);
        Assert.Equal(await ClearedNetFromLogAsync(c), balance.Available + balance.Reserved);
    }

    private async Task<BigInteger> ClearedNetFromLogAsync(TestConnection c)
    {
        string? net = await fixture.ScalarAsync<string>(
            """
            SELECT COALESCE(sum(CASE type WHEN 'allocation_cleared' THEN 1 ELSE -1 END
                * (data -> 'amount' ->> 'quantity')::numeric), 0)::text
            FROM ledger.events
            WHERE type IN ('allocation_cleared', 'deallocation_cleared')
              AND (data ->> 'connectionId')::uuid = $1 AND data -> 'amount' ->> 'currency' = $2
            """,
            c.ConnectionId,
            Currency
        );
        return BigInteger.Parse(net!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task SettleAsync(
        BitGoClient bitgo,
        HoldKind kind,
        Guid id,
        string settlement
    ) => (await bitgo.PutAsync(kind.SettlePath(id, settlement))).AssertStatus(HttpStatusCode.OK);

    private static async Task<TestConnection> FundedAsync(BitGoClient bitgo, int quantity)
    {
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, $"{quantity}");
        return c;
    }

    /// <summary>Issue 3's table, applied by hand to the answers the ledger gave.</summary>
    private sealed class ConservationModel
    {
        public BigInteger Available { get; private set; }

        public BigInteger Reserved { get; private set; }

        public BigInteger PendingCredit { get; private set; }

        public BigInteger ClearedIn { get; private set; }

        public BigInteger ClearedOut { get; private set; }

        public void Reserve(HoldKind kind, int q)
        {
            if (kind == HoldKind.Allocation)
            {
                PendingCredit += q;
                return;
            }
            Available -= q;
            Reserved += q;
        }

        public void Settle(HoldKind kind, string settlement, int q)
        {
            switch (kind == HoldKind.Allocation, settlement == "clear")
            {
                case (true, true):
                    PendingCredit -= q;
                    Available += q;
                    ClearedIn += q;
                    break;
                case (true, false):
                    PendingCredit -= q;
                    break;
                case (false, true):
                    Reserved -= q;
                    ClearedOut += q;
                    break;
                case (false, false):
                    Reserved -= q;
                    Available += q;
                    break;
            }
        }
    }
}
