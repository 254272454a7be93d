using Membrane.Policy.Reading;

namespace Membrane.Policy.Source;

/// <summary>
/// The field path of the node a reader is in, kept as a stack of keys and indexes and only turned
/// into a string when a finding needs it, so reading costs no string per node.
/// </summary>
internal sealed class SourcePath
{
    private readonly List<(string? Key, int Index)> _segments = [];

    public void PushKey(string key) => _segments.Add((key, -1));

    public void PushIndex(int index) => _segments.Add((null, index));

    public void Pop() => _segments.RemoveAt(_segments.Count - 1);

    public string Child(string key) => FieldPath.Child(ToString(), key);

    public override string ToString()
    {
        var path = "";
        foreach (var (key, index) in _segments)
        {
            path = key is not null ? FieldPath.Child(path, key) : FieldPath.Index(path, index);
        }

        return path;
    }
}
