# The ledger API, built from source. Not exercised on our machines (no Docker engine runs there);
# kept simple enough to be checked by reading.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Ledger.Api/Ledger.Api.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Listen on all interfaces inside the container; compose publishes the port on loopback.
ENV ASPNETCORE_URLS=http://0.0.0.0:5080
EXPOSE 5080
USER app
ENTRYPOINT ["dotnet", "Ledger.Api.dll"]
