using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using Ledger.Domain.Balances;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;
using Ledger.Domain.Tests.Model;

namespace Ledger.Domain.Tests;

/// <summary>
/// Random call sequences against <see cref="LedgerModel"/>, which routes BitGo's calls through
/// the domain's pure functions the way the API's handlers do. After every call the balances
/// must agree with the holds' lifecycles, whatever the order of opens, retries and settles.
/// </summary>
public sealed class HoldLifecyclePropertyTests
{
    private const int TestCountMax = 200;

    private static readonly HoldStatus[] TerminalStatuses =
    [
        HoldStatus.Cleared,
        HoldStatus.Released,
        HoldStatus.Rejected,
    ];

    [Fact]
    public void Balances_match_hold_lifecycles_after_any_sequence_of_calls()
    {
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(TestCountMax),
            Property(LedgerModel.Faithful)
        );
    }

    /// <summary>
    /// The property is only as good as the paths it walks: the generated calls must reach
    /// every outcome, or a bug on a missed path would pass unseen.
    /// </summary>
    [Fact]
    public void Generated_calls_reach_every_outcome_of_both_kinds()
    {
        var seen = new HashSet<string>();
        foreach (Scenario scenario in Scenarios.Arbitrary.Generator.Sample(TestCountMax))
        {
            LedgerModel model = LedgerModel.Faithful();
            foreach (Operation operation in scenario.Operations)
            {
                seen.Add(Label(operation, model.Run(operation, scenario.KeyCount)));
            }
        }

        string[] expected =
        [
            "allocation Opened Reserved",
            $"allocation Opened Rejected {RejectionReasons.PartnerClientMismatch}",
            "deallocation Opened Reserved",
            $"deallocation Opened Rejected {RejectionReasons.InsufficientFunds}",
            $"deallocation Opened Rejected {RejectionReasons.PartnerClientMismatch}",
            "Clear Settled Cleared",
            "Release Settled Released",
            "Clear AlreadyDone",
            "Release AlreadyDone",
            "Clear Conflict",
            "Release Conflict",
            "Clear NotFound",
            "allocation Conflict",
            "deallocation Conflict",
            "Retry Repeated",
        ];
        Assert.Empty(expected.Except(seen));
    }

    /// <summary>
    /// The property must be able to fail. With the funds check removed (a deallocation always
    /// sees ample funds), a deallocation above the available balance is reserved and the
    /// available part goes negative, which Balance.Apply and the explicit check both catch.
    /// </summary>
    [Fact]
    public void Property_catches_a_deallocation_that_skips_the_funds_check()
    {
        var noFundsCheck = HoldKind.Deallocation with
        {
            Request = (request, connection, _, partnerId) =>
                HoldKind.Deallocation.Request(
                    request,
                    connection,
                    Quantity.From(BigInteger.Pow(10, 40)),
                    partnerId
                ),
        };

        AssertFalsified(() =>
            new LedgerModel(HoldKind.Allocation, noFundsCheck, BalanceEffects.Of)
        );
    }

    /// <summary>A wrong row of the balance table breaks conservation, and is caught.</summary>
    [Fact]
    public void Property_catches_a_deallocation_release_that_does_not_restore_available()
    {
        static BalanceDelta? WrongTable(object e) =>
            e is DeallocationReleased
                ? BalanceEffects.Of(e)! with
                {
                    Available = 0,
                }
                : BalanceEffects.Of(e);

        AssertFalsified(() =>
            new LedgerModel(HoldKind.Allocation, HoldKind.Deallocation, WrongTable)
        );
    }

    private static void AssertFalsified(Func<LedgerModel> mutant)
    {
        Exception failure = Assert.ThrowsAny<Exception>(() =>
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(TestCountMax), Property(mutant))
        );

        Assert.Contains("Falsifiable", failure.Message, StringComparison.Ordinal);
    }

    private static Property Property(Func<LedgerModel> newModel) =>
        Prop.ForAll(Scenarios.Arbitrary, (Scenario scenario) => Run(newModel(), scenario));

    private static void Run(LedgerModel model, Scenario scenario)
    {
        var terminal = new Dictionary<Guid, HoldStatus>();
        foreach (Operation operation in scenario.Operations)
        {
            int eventsBefore = model.EventCount;
            CallOutcome outcome = model.Run(operation, scenario.KeyCount);

            AssertAppendedOnlyOnChange(outcome, model.EventCount - eventsBefore);
            AssertExactRetryRepeats(operation, outcome);
            AssertBalancesMatchHolds(model);
            AssertTerminalStatusesNeverChange(model, terminal);
        }
    }

    /// <summary>Only a new hold (2 events) or a settlement (1 event) appends.</summary>
    private static void AssertAppendedOnlyOnChange(CallOutcome outcome, int appended)
    {
        int expected = outcome switch
        {
            CallOutcome.Opened => 2,
            CallOutcome.Settled => 1,
            _ => 0,
        };
        Assert.Equal(expected, appended);
    }

    /// <summary>An exact retry of an open that created a hold is answered as before.</summary>
    private static void AssertExactRetryRepeats(Operation operation, CallOutcome outcome)
    {
        if (operation is RetryOpen)
        {
            Assert.True(
                outcome is CallOutcome.Repeated or CallOutcome.NothingToRetry,
                $"{outcome}"
            );
        }
    }

    private static void AssertBalancesMatchHolds(LedgerModel model)
    {
        var holds = model.Holds().ToList();
        Assert.DoesNotContain(holds, h => h.Hold.Status == HoldStatus.Requested);
        foreach (BalanceKey key in LedgerModel.Keys)
        {
            Balance balance = model.BalanceOf(key);
            Assert.True(balance.Available.Value.Sign >= 0, $"{key}: available < 0");
            Assert.True(balance.Reserved.Value.Sign >= 0, $"{key}: reserved < 0");
            Assert.True(balance.PendingCredit.Value.Sign >= 0, $"{key}: pending credit < 0");

            var onKey = holds.Where(h => KeyOf(h.Hold) == key).ToList();
            BigInteger clearedIn = Sum(onKey, HoldKind.Allocation, HoldStatus.Cleared);
            BigInteger clearedOut = Sum(onKey, HoldKind.Deallocation, HoldStatus.Cleared);
            // Conservation: what came in and stayed, minus what left, is still on the exchange.
            Assert.Equal(clearedIn - clearedOut, balance.Available.Value + balance.Reserved.Value);
            Assert.Equal(
                Sum(onKey, HoldKind.Allocation, HoldStatus.Reserved),
                balance.PendingCredit.Value
            );
            Assert.Equal(
                Sum(onKey, HoldKind.Deallocation, HoldStatus.Reserved),
                balance.Reserved.Value
            );
        }
    }

    private static void AssertTerminalStatusesNeverChange(
        LedgerModel model,
        Dictionary<Guid, HoldStatus> terminal
    )
    {
        foreach ((_, Hold hold) in model.Holds())
        {
            if (terminal.TryGetValue(hold.Id, out HoldStatus reached))
            {
                Assert.Equal(reached, hold.Status);
            }
            else if (TerminalStatuses.Contains(hold.Status))
            {
                terminal.Add(hold.Id, hold.Status);
            }
        }
    }

    private static string Label(Operation operation, CallOutcome outcome)
    {
        string call = operation switch
        {
            OpenHold open => open.Kind,
            SettleHold settle => settle.Settlement.ToString(),
            _ => "Retry",
        };
        string status = outcome switch
        {
            CallOutcome.Opened opened => $" {opened.Hold.Status} {opened.Hold.RejectionReason}",
            CallOutcome.Settled settled => $" {settled.Hold.Status}",
            _ => "",
        };
        return $"{call} {outcome.GetType().Name}{status}".TrimEnd();
    }

    private static BigInteger Sum(
        IEnumerable<(HoldKind Kind, Hold Hold)> holds,
        HoldKind kind,
        HoldStatus status
    ) =>
        holds
            .Where(h => h.Kind.Name == kind.Name && h.Hold.Status == status)
            .Aggregate(BigInteger.Zero, (sum, h) => sum + h.Hold.Request.Amount.Quantity.Value);

    private static BalanceKey KeyOf(Hold hold) =>
        new(hold.Request.ClientId, hold.Request.ConnectionId, hold.Request.Amount.Currency);
}
