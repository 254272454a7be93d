namespace Membrane.Agent.Node;

/// <summary>A map's name and how many entries it holds at most (its max_entries), as a change that does not fit names them.</summary>
public readonly record struct MapLimit(string Name, long Capacity);
