namespace Membrane.Datapath.Ebpf.Benchmarking;

/// <summary>One measured case: the mean nanoseconds per packet the kernel reported, at a policy map and ipcache size.</summary>
public sealed record DatapathBenchmarkResult(string Case, int PolicyEntries, int IpcacheEntries, double NsPerPacket);
