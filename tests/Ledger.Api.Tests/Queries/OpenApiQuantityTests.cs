using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Queries;

public sealed class OpenApiQuantityTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task The_OpenAPI_document_describes_a_BitGo_answer_quantity_as_an_integer()
    {
        Answer document = (await fixture.BitGo().GetAsync("/openapi/v1.json")).AssertStatus(
            HttpStatusCode.OK
        );

        JsonNode schemas = document.Json["components"]!["schemas"]!;
        JsonNode quantity = schemas["AmountBody"]!["properties"]!["quantity"]!;
        JsonNode resolved = quantity["$ref"] is { } reference
            ? schemas[reference.GetValue<string>().Split('/')[^1]]!
            : quantity;
        Assert.Equal("integer", resolved["type"]!.GetValue<string>());
        Assert.Null(resolved["properties"]?["isZero"]);
    }
}
