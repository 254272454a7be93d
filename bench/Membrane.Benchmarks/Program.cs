using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Membrane.Benchmarks.ValidationBenchmarks).Assembly).Run(args);
