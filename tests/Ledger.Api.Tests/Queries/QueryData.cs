using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Queries;

/// <summary>Shortcuts the query tests share: holds made through BitGo's calls, pages.</summary>
public static class QueryData
{
    public static async Task<Guid> AllocateAsync(
        this BitGoClient bitgo,
        TestConnection c,
        string currency,
        string quantity
    )
    {
        Guid id = Guid.NewGuid();
        (
            await bitgo.PostAsync(
                "/bitgo/v1/allocations",
                BitGoClient.HoldBody("allocationId", id, c, currency, quantity)
            )
        ).AssertStatus(HttpStatusCode.OK);
        return id;
    }

    /// <summary>A deallocation that must be reserved (the connection holds enough funds).</summary>
    public static async Task<Guid> ReserveDeallocationAsync(
        this BitGoClient bitgo,
        TestConnection c,
        string currency,
        string quantity
    )
    {
        Guid id = Guid.NewGuid();
        Answer answer = (await bitgo.DeallocateAsync(id, c, currency, quantity)).AssertStatus(
            HttpStatusCode.OK
        );
        Assert.Null(answer.Json["rejectionReason"]);
        return id;
    }

    public static async Task ClearAsync(this BitGoClient bitgo, string kind, Guid id) =>
        (await bitgo.PutAsync($"/bitgo/v1/{kind}/{id}/clear")).AssertStatus(HttpStatusCode.OK);

    public static IReadOnlyList<Guid> Ids(this Answer page) =>
        page.Json["items"]!
            .AsArray()
            .Select(item => Guid.Parse(item!["id"]!.GetValue<string>()))
            .ToList();

    public static string? Next(this Answer page) => page.Json["next"]?.GetValue<string>();

    public static JsonValueKind Kind(this JsonNode? node) =>
        node is null ? JsonValueKind.Null : node.GetValueKind();
}
