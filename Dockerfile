# Builds the hub and the simulators; the target chooses which one runs.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/IntegrationHub.Host -c Release -o /out/hub \
 && dotnet publish simulators/IntegrationHub.Simulators.Host -c Release -o /out/simulators

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS hub
WORKDIR /app
COPY --from=build /out/hub .
ENV Urls=http://0.0.0.0:8080 Hub__DataDirectory=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["dotnet", "IntegrationHub.Host.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS simulators
WORKDIR /app
COPY --from=build /out/simulators .
EXPOSE 8090
ENTRYPOINT ["dotnet", "IntegrationHub.Simulators.Host.dll", "--urls", "http://0.0.0.0:8090"]
