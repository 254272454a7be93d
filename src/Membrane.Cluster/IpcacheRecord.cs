namespace Membrane.Cluster;

/// <summary>An endpoint address as the cluster's ipcache holds it: the identity it has, and the node that owns it (under whose lease it is).</summary>
public sealed record IpcacheRecord(uint Identity, string Node);
