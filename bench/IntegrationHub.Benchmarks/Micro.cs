using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using IntegrationHub.Contracts;
using IntegrationHub.Contracts.Xoev.Wohngeld;
using IntegrationHub.Signing;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Benchmarks;

/// <summary>Hot-path pieces of the hub (issue 9): contract serialization, validation, signing, routing lookup.</summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private static readonly XmlSerializer Serializer = new(typeof(WohngeldAntrag0001));
    private Workload _work = null!;
    private WohngeldAntrag0001 _application = null!;
    private XmlSerializerNamespaces _namespaces = null!;
    private TenantDirectory _directory = null!;
    private string[] _ars = null!;
    private Guid[] _destinations = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _work = new Workload(wohngeld: true);
        _application = (WohngeldAntrag0001)Serializer.Deserialize(new MemoryStream(_work.Xml))!;
        _namespaces = XoevSchemas.CreateSerializerNamespaces();
        (_directory, _ars, _destinations) = Directory(200);
    }

    [GlobalCleanup]
    public void Cleanup() => _work.Dispose();

    /// <summary>200 municipalities with one destination and two services each, routed to shared targets.</summary>
    public static (TenantDirectory, string[], Guid[]) Directory(int municipalities)
    {
        var hub = new HubOptions();
        foreach (var name in new[] { "marius", "prosoz", "dms" }) hub.Targets[name] = new TargetOptions { Kind = name, BaseUrl = $"http://{name}.example" };
        var ars = new string[municipalities];
        var destinations = new Guid[municipalities];
        for (var i = 0; i < municipalities; i++)
        {
            ars[i] = $"0643800{i:D5}";
            destinations[i] = Guid.NewGuid();
            hub.Tenants.Add(new TenantOptions
            {
                Ars = ars[i],
                Name = $"Gemeinde {i}",
                Destinations =
                [
                    new DestinationOptions
                    {
                        Id = destinations[i],
                        Services =
                        [
                            new ServiceOptions { LeikaKey = "99107004017000", Name = "Wohngeld", SchemaUri = "urn:integrationhub:xoev:wohngeld:1.0" },
                            new ServiceOptions { LeikaKey = "99079005000000", Name = "Sozialhilfe", SchemaUri = "urn:integrationhub:xoev:sozialhilfe:1.0" },
                        ],
                    },
                ],
                Routes =
                [
                    new RouteOptions { LeikaKey = "99107004017000", Targets = ["marius", "dms"] },
                    new RouteOptions { LeikaKey = "99079005000000", Targets = ["prosoz"] },
                ],
            });
        }
        return (new TenantDirectory(Options.Create(hub)), ars, destinations);
    }

    [Benchmark(Description = "contract deserialize (Wohngeld, XmlSerializer)")]
    public object ContractDeserialize() => Serializer.Deserialize(new MemoryStream(_work.Xml, writable: false))!;

    [Benchmark(Description = "contract serialize (Wohngeld, XmlSerializer)")]
    public long ContractSerialize()
    {
        var stream = new MemoryStream();
        Serializer.Serialize(stream, _application, _namespaces);
        return stream.Length;
    }

    [Benchmark(Description = "XSD validation (LoadAndValidate)")]
    public XmlDocument XsdValidation() => XmlContractValidator.LoadAndValidate(_work.Xml, Workload.MaxXmlCharacters);

    [Benchmark(Description = "intake XML policy + XSD validation (LoadSubmission)")]
    public XmlDocument IntakeValidation() => XmlContractValidator.LoadSubmission(_work.Xml, new IntakeLimits(), ApplicationFactoryNamespace);

    private const string ApplicationFactoryNamespace = Simulators.EfA.ApplicationFactory.WohngeldNamespace;

    [Benchmark(Description = "handover clone (baseline of the signing benchmark)")]
    public XmlDocument HandoverClone() => (XmlDocument)_work.Handover.Clone();

    [Benchmark(Description = "XMLDSig sign handover (RSA 3072, incl. clone)")]
    public XmlDocument XmlDsigSign()
    {
        var document = (XmlDocument)_work.Handover.Clone();
        XmlDocumentSigner.SignEnveloped(document, _work.SigningCertificate);
        return document;
    }

    [Benchmark(Description = "routing TargetsFor (200 municipalities)")]
    public int RoutingTargetsFor()
    {
        var i = _next = (_next + 1) % _ars.Length;
        return _directory.TargetsFor(_ars[i], "99107004017000").Count;
    }

    [Benchmark(Description = "routing FindDestination (200 municipalities)")]
    public object? RoutingFindDestination()
    {
        var i = _next = (_next + 1) % _destinations.Length;
        return _directory.FindDestination(_destinations[i]);
    }
}

public static class Micro
{
    public static JsonObject Run()
    {
        // In-process: no generated project to build per benchmark, so the run takes minutes, not tens of them.
        var job = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess");
        var config = ManualConfig.CreateMinimumViable().AddJob(job).AddLogger(ConsoleLogger.Default)
            .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "integrationhub-bench-artifacts"));
        var summary = BenchmarkRunner.Run<HotPathBenchmarks>(config);
        var results = new JsonArray();
        foreach (var report in summary.Reports)
        {
            var stats = report.ResultStatistics;
            if (stats is null)
            {
                results.Add(new JsonObject { ["name"] = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), ["error"] = "no result (benchmark failed)" });
                continue;
            }
            var us = stats.OriginalValues.Select(ns => ns / 1000.0).ToList();
            var figure = new Figure("µs/op", us).ToJson();
            figure["mean"] = Figure.Round(stats.Mean / 1000);
            figure["stdDev"] = Figure.Round(stats.StandardDeviation / 1000);
            results.Add(new JsonObject
            {
                ["name"] = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                ["method"] = report.BenchmarkCase.Descriptor.WorkloadMethod.Name,
                ["time"] = figure,
                ["allocatedBytesPerOp"] = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase),
            });
        }
        return new JsonObject
        {
            ["description"] = "BenchmarkDotNet 0.14.0, ShortRun job (1 launch, 3 warm-up, 3 measured iterations) with the in-process emit toolchain; wall time per operation, spread over the 3 measured iterations (thin: the ceilings above are the robust figures; a busy machine shows here first).",
            ["job"] = "ShortRun, InProcessEmitToolchain",
            ["benchmarks"] = results,
        };
    }
}
