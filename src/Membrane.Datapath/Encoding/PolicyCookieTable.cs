using System.Collections.Immutable;
using Membrane.Policy.Engine.Rules;

namespace Membrane.Datapath.Encoding;

/// <summary>
/// Names the rules behind a policy entry with a 32-bit cookie, which the map value and every event carry; user space
/// turns a cookie back into its rules. One cookie per distinct list of origins, interned, so that 200,000 entries
/// made by one rule share one cookie. Cookie 0 is never given: it means "no entry".
/// </summary>
public sealed class PolicyCookieTable
{
    private readonly Dictionary<string, uint> _byOrigins = new(StringComparer.Ordinal);
    private readonly List<ImmutableArray<RuleOrigin>> _origins = [[]];
    private readonly Lock _lock = new();

    public uint CookieOf(ImmutableArray<RuleOrigin> origins)
    {
        // The origins' text identifies them (kind, name, path, position); a record's own hash would not survive the
        // ImmutableArray wrapper.
        var text = string.Join('\n', origins);
        lock (_lock)
        {
            if (!_byOrigins.TryGetValue(text, out var cookie))
            {
                cookie = (uint)_origins.Count;
                _origins.Add(origins);
                _byOrigins[text] = cookie;
            }

            return cookie;
        }
    }

    /// <summary>The rules behind a cookie; empty for 0 or a cookie this table never gave.</summary>
    public ImmutableArray<RuleOrigin> OriginsOf(uint cookie)
    {
        lock (_lock)
        {
            return cookie < _origins.Count ? _origins[(int)cookie] : [];
        }
    }
}
