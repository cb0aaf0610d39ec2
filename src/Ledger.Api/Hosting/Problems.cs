using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

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
        Create(
            StatusCodes.Status413PayloadTooLarge,
            "Payload too large",
            $"body: larger than {Limits.BodyBytesMax} bytes"
        );

    public static ProblemHttpResult UnsupportedMediaType() =>
        Create(
            StatusCodes.Status415UnsupportedMediaType,
            "Unsupported media type",
            "content-type: must be application/json"
        );

    public static ProblemHttpResult Create(int status, string title, string error) =>
        TypedResults.Problem(Details(status, title, error));

    /// <summary>
    /// Gives the problems ASP.NET Core writes itself (an unknown path's 404, a 405, status code
    /// pages) the same "error" member and detail as the handlers' own, so that every error
    /// body BitGo sees carries its string "error" (contract, "BitGo's error vocabulary").
    /// </summary>
    public static void AddErrorMember(ProblemDetailsContext context)
    {
        ProblemDetails details = context.ProblemDetails;
        if (details.Extensions.ContainsKey("error"))
        {
            return;
        }
        HttpRequest request = context.HttpContext.Request;
        string error = details.Status switch
        {
            StatusCodes.Status404NotFound => $"path: no endpoint at {request.Path}",
            StatusCodes.Status405MethodNotAllowed =>
                $"method: {request.Method} is not allowed at {request.Path}",
            _ => $"request: {details.Detail ?? details.Title ?? "refused"}",
        };
        details.Detail ??= error;
        details.Extensions["error"] = error;
    }

    public static ProblemDetails Details(int status, string title, string error) =>
        new()
        {
            Status = status,
            Title = title,
            Detail = error,
            Extensions = { ["error"] = error },
        };
}

/// <summary>
/// Writes a problem as application/problem+json whatever the request's Accept header says. The
/// framework's writer declines a client that does not accept JSON, and the status code pages
/// then answered routing's 404/405 in text/plain, without the "error" member (issue 4's
/// hostile corpus, "Accept: text/html"). It is registered after the framework's writer, so it
/// only writes the problems that one declines.
/// </summary>
public sealed class ProblemJsonWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        HttpContext http = context.HttpContext;
        int status = context.ProblemDetails.Status ??= http.Response.StatusCode;
        context.ProblemDetails.Title ??= ReasonPhrases.GetReasonPhrase(status);
        Problems.AddErrorMember(context);
        return new ValueTask(
            http.Response.WriteAsJsonAsync(
                context.ProblemDetails,
                (JsonSerializerOptions?)null,
                "application/problem+json",
                http.RequestAborted
            )
        );
    }
}
