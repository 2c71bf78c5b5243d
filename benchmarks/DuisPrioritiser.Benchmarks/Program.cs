using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

// --outage-cpu: the release loop's CPU use while the back-end is down (a measurement on the real clock, not BenchmarkDotNet).
if (args is ["--outage-cpu", ..])
{
    return await DuisPrioritiser.Benchmarks.OutageCpuProbe.RunAsync(args);
}

// DUIS_BENCH_QUICK=1: one in-process job (no per-benchmark build, which times out on a loaded machine), 1 warm-up and
// 3 iterations of 150 ms, and a 30-minute limit per benchmark for the deep-backlog set-ups. Ratios stay valid: every
// row of a table runs in the same way, in the same run.
// `large-backlog ...`: the console measurement of 1-10 million held messages (benchmarks/results/LargeBacklog.md).
if (args.Length > 0 && args[0] == "large-backlog")
{
    return await DuisPrioritiser.Benchmarks.LargeBacklog.LargeBacklogHarness.RunAsync(args[1..]);
}

// `--path-loop <seconds> [held]`: the public scheduler path of QueueDepthBenchmarks in a plain loop, for a profiler
// (`perf record -p <pid>`); prints ns per message. Not a measurement to publish: BenchmarkDotNet is.
if (args is ["--path-loop", ..])
{
    return DuisPrioritiser.Benchmarks.PathLoop.Run(args[1..]);
}

IConfig config = DefaultConfig.Instance;
if (Environment.GetEnvironmentVariable("DUIS_BENCH_QUICK") == "1")
{
    config = config.AddJob(Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(1)
        .WithIterationCount(3)
        .WithIterationTime(TimeInterval.FromMilliseconds(150))
        .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: false))
        .WithId("Quick"));
}

// --interleaved-reader: the reader against the baseline reader in alternating batches (InterleavedReaderComparison).
if (args is ["--interleaved-reader", ..])
{
    return DuisPrioritiser.Benchmarks.InterleavedReaderComparison.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;
