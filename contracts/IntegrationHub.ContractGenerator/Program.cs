using IntegrationHub.ContractGenerator;

if (args.Length != 2 || args.Any(a => a is "-h" or "--help"))
{
    Console.Error.WriteLine("Usage: dotnet run --project contracts/IntegrationHub.ContractGenerator -- <xsdDir> <outDir>");
    return 2;
}

try
{
    var files = ContractGenerator.Generate(args[0]);
    foreach (var path in ContractGenerator.WriteFiles(files, args[1]))
    {
        Console.WriteLine($"generated {path}");
    }

    return 0;
}
catch (Exception ex) when (ex is System.Xml.Schema.XmlSchemaException or NotSupportedException or InvalidOperationException or IOException or System.Xml.XmlException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
