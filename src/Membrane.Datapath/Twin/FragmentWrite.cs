using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Twin;

/// <summary>The entry a first fragment left for its later fragments.</summary>
public sealed record FragmentWrite(FragmentKey Key, FragmentEntry Entry);
