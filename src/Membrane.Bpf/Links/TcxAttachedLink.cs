namespace Membrane.Bpf.Links;

/// <summary>One program attached at a tcx hook, in the order it runs, with the link that attaches it.</summary>
public readonly record struct TcxAttachedLink(uint ProgramId, uint LinkId);
