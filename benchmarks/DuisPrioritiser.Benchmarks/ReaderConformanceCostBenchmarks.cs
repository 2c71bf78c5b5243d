#if BASELINE_READER
extern alias baseline;
#endif

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// What the XML conformance checks (issue 16) cost: the reader against the XmlReader extraction baseline of
/// <see cref="ReaderBenchmarks"/> and, when built with <c>-p:BaselineReader=path/DuisPrioritiser.Baseline.dll</c>
/// (the library of an earlier commit built with <c>-p:AssemblyName=DuisPrioritiser.Baseline</c>), against that earlier
/// reader in the same run, so the before/after ratio is measured under the same machine load.
/// </summary>
/// <remarks>Run in-process so the optional baseline reference survives:
/// <c>dotnet run -c Release -p:BaselineReader=... --project benchmarks/DuisPrioritiser.Benchmarks -- --filter *ReaderConformanceCost* --inProcess --warmupCount 5 --iterationCount 20</c>;
/// on a loaded machine compare the Min and Median columns, which shared-core noise inflates least, or use
/// <c>--interleaved-reader</c> (<see cref="InterleavedReaderComparison"/>), which times the two readers in alternating
/// batches so that a change of load between rows cannot move their ratio.</remarks>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class ReaderConformanceCostBenchmarks
{
    private readonly ReaderBenchmarks _xmlReader = new();
    private ReadOnlyMemory<byte> _bytes;

    /// <summary>Gets or sets which message is read.</summary>
    [Params("Status1K", "Read2K", "Profile200K")]
    public string Message { get; set; } = "Status1K";

    [GlobalSetup]
    public void Setup()
    {
        _xmlReader.Message = Message;
        _xmlReader.Setup();
        _bytes = _xmlReader.Bytes;
        var current = DuisMessage.Parse(_bytes);
#if BASELINE_READER
        var previous = baseline::DuisPrioritiser.Duis.DuisMessage.Parse(_bytes);
        if (previous.ServiceReferenceVariant.ToString() != current.ServiceReferenceVariant.ToString() || previous.RequestId != current.RequestId)
        {
            throw new InvalidOperationException("Setup: the two readers disagree.");
        }
#endif
        GC.KeepAlive(current);
    }

    [Benchmark(Baseline = true, Description = "XmlReader extraction")]
    public string? XmlReaderExtract() => _xmlReader.XmlReaderExtract();

    [Benchmark(Description = "TryParse (this commit)")]
    public DuisMessage? Current() => DuisMessage.TryParse(_bytes, out var message, out _) ? message : null;

#if BASELINE_READER
    [Benchmark(Description = "TryParse (baseline commit)")]
    public object? Previous() => baseline::DuisPrioritiser.Duis.DuisMessage.TryParse(_bytes, out var message, out _) ? message : null;
#endif
}
