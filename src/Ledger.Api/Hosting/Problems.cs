using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.Api.Hosting;

/// <summary>
/// Every error is ProblemDetails with an extra string member "error", which is what BitGo's
/// error bodies carry (contract, "BitGo's error vocabulary"). One body fits both conventions.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult Invalid(string error) =>
        Create(StatusCodes.Status400BadRequest, "Invalid request", error);

    public static ProblemHttpResult NotFound(string error) =>
        Create(StatusCodes.Status404NotFound, "Not found", error);

    public static ProblemHttpResult Conflict(string error) =>
        Create(StatusCodes.Status409Conflict, "Conflict", error);

    public static ProblemHttpResult TooLarge() =>
        Create(StatusCodes.Status413PayloadTooLarge, "Payload too large",
            $"body: larger than {Limits.BodyBytesMax} bytes");

    public static ProblemHttpResult UnsupportedMediaType() =>
        Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
            "content-type: must be application/json");

    public static ProblemHttpResult Create(int status, string title, string error) =>
        TypedResults.Problem(Details(status, title, error));

    public static ProblemDetails Details(int status, string title, string error) => new()
    {
        Status = status,
        Title = title,
        Detail = error,
        Extensions = { ["error"] = error },
    };
}
