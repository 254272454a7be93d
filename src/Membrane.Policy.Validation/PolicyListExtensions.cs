using Membrane.Policy.Model;
using Membrane.Policy.Source;

namespace Membrane.Policy.Validation;

internal static class PolicyListExtensions
{
    public static SourcePosition FirstPosition<T>(this PolicyList<T> list)
        where T : PolicyNode => list.Count > 0 ? list[0].Position : SourcePosition.None;
}
