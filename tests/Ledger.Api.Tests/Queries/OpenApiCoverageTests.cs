using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Queries;

public sealed partial class OpenApiCoverageTests(LedgerApiFixture fixture)
    : IClassFixture<LedgerApiFixture>
{
    private const string DocumentPath = "/openapi/v1.json";

    [Fact]
    public async Task Every_mapped_route_and_method_appears_in_the_OpenAPI_document()
    {
        Answer document = (await fixture.BitGo().GetAsync(DocumentPath)).AssertStatus(
            HttpStatusCode.OK
        );
        HashSet<string> documented = Operations(document.Element.GetProperty("paths"));

        List<string> mapped = MappedOperations();

        Assert.Contains("GET /api/v1/deallocations/{id}", mapped); // the list is really read
        Assert.All(mapped, operation => Assert.Contains(operation, documented));
    }

    /// <summary>"METHOD /path" for every route endpoint, except the document's own route.</summary>
    private List<string> MappedOperations()
    {
        var endpoints = fixture.Factory.Services.GetRequiredService<EndpointDataSource>();
        var operations = new List<string>();
        foreach (RouteEndpoint endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            string path = Normalise(endpoint.RoutePattern.RawText ?? "");
            if (path.StartsWith("/openapi/", StringComparison.Ordinal))
            {
                continue;
            }
            // A route without a method would not be documented: it shows as its own entry.
            IReadOnlyList<string> methods =
                endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods
                ?? ["(any method)"];
            operations.AddRange(methods.Select(m => $"{m.ToUpperInvariant()} {path}"));
        }
        return operations;
    }

    private static HashSet<string> Operations(JsonElement paths)
    {
        var operations = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty path in paths.EnumerateObject())
        {
            foreach (JsonProperty operation in path.Value.EnumerateObject())
            {
                operations.Add($"{operation.Name.ToUpperInvariant()} {Normalise(path.Name)}");
            }
        }
        return operations;
    }

    /// <summary>OpenAPI writes "{id}" where a route may say "{id:guid}" or "{id?}".</summary>
    private static string Normalise(string path) =>
        "/" + RouteConstraint().Replace(path, "{$1}").TrimStart('/');

    [GeneratedRegex(@"\{\*{0,2}([A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex RouteConstraint();
}
