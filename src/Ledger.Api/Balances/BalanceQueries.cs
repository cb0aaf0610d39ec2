namespace Ledger.Api.Balances;

/// <summary>Placeholder so the route table compiles until the query API lands.</summary>
public static class BalanceQueries
{
    public static RouteGroupBuilder MapBalanceQueries(this RouteGroupBuilder query) => query;
}
