using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// What Polly v8 itself costs per execution on the success path, apart from any loop around it: one call of a callback
/// that completes synchronously, through an empty pipeline and through each standard strategy alone and together
/// (retry, circuit breaker, time-out, as the release loop's standard pipeline has them), with the callback typed as
/// <c>ValueTask</c> (Polly's void result) and as <c>ValueTask&lt;object&gt;</c>.
/// </summary>
/// <remarks>
/// The non-generic builder's retry and circuit breaker are <c>ResilienceStrategy&lt;object&gt;</c>: a callback whose
/// result is <c>object</c> reaches them directly, while a void callback is wrapped per strategy in an extra async
/// conversion. The release loop therefore calls the pipeline with an <c>object</c> result. Every invocation checks
/// that the callback ran.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class PollyPipelineBenchmarks
{
    private static readonly object s_result = new();
    private ResiliencePipeline _pipeline = ResiliencePipeline.Empty;

    /// <summary>Gets or sets the strategies in the pipeline.</summary>
    [Params("empty", "retry", "circuit-breaker", "timeout", "retry+breaker+timeout")]
    public string Strategies { get; set; } = "empty";

    [GlobalSetup]
    public void Setup()
    {
        var builder = new ResiliencePipelineBuilder();
        static ValueTask<bool> Failed(Outcome<object> outcome) => new(outcome.Exception is not null);
        if (Strategies.Contains("retry", StringComparison.Ordinal))
        {
            builder.AddRetry(new RetryStrategyOptions { ShouldHandle = args => Failed(args.Outcome), UseJitter = true });
        }

        if (Strategies.Contains("breaker", StringComparison.Ordinal))
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions { ShouldHandle = args => Failed(args.Outcome) });
        }

        if (Strategies.Contains("timeout", StringComparison.Ordinal))
        {
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = TimeSpan.FromSeconds(30) });
        }

        _pipeline = builder.Build();
    }

    [Benchmark(Baseline = true, Description = "void callback (ValueTask)")]
    public async Task<int> VoidCallback()
    {
        var box = new StrongBoxInt();
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        await _pipeline.ExecuteAsync(static (_, state) => { state.Value++; return ValueTask.CompletedTask; }, context, box);
        ResilienceContextPool.Shared.Return(context);
        return Check(box);
    }

    [Benchmark(Description = "object callback (ValueTask<object>)")]
    public async Task<int> ObjectCallback()
    {
        var box = new StrongBoxInt();
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        var result = await _pipeline.ExecuteAsync(static (_, state) => { state.Value++; return new ValueTask<object>(s_result); }, context, box);
        ResilienceContextPool.Shared.Return(context);
        return ReferenceEquals(result, s_result) ? Check(box) : throw new InvalidOperationException("Wrong result.");
    }

    private static int Check(StrongBoxInt box) => box.Value == 1 ? 1 : throw new InvalidOperationException("The callback did not run exactly once.");

    private sealed class StrongBoxInt
    {
        public int Value;
    }
}
