namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>The maps of docs/datapath.md §3, by the names the programs reference them by and the loader pins them under.</summary>
public static class DatapathMapNames
{
    public const string Endpoints = "mbr_endpoints";
    public const string Policy = "mbr_policy";
    public const string Ipcache = "mbr_ipcache";
    public const string Conntrack = "mbr_ct";
    public const string Fragments = "mbr_fragments";
    public const string Config = "mbr_config";
    public const string Counters = "mbr_counters";
    public const string Bucket = "mbr_bucket";
    public const string Events = "mbr_events";

    public static IReadOnlyList<string> All { get; } = [Endpoints, Policy, Ipcache, Conntrack, Fragments, Config, Counters, Bucket, Events];
}
