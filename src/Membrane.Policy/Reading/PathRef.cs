namespace Membrane.Policy.Reading;

/// <summary>
/// A field path that is only turned into a string when something needs it, which is when a
/// finding is reported. Building every node's path eagerly cost a string per node read.
/// </summary>
internal readonly struct PathRef
{
    private readonly MappingReader? _parent;
    private readonly string? _root;
    private readonly string? _field;
    private readonly int _index;

    private PathRef(MappingReader? parent, string? root, string? field, int index)
    {
        _parent = parent;
        _root = root;
        _field = field;
        _index = index;
    }

    public static PathRef Of(string path) => new(null, path, null, -1);

    /// <summary>The path of <paramref name="field"/> (and, if given, its item <paramref name="index"/>) in a mapping.</summary>
    public static PathRef In(MappingReader parent, string field, int index = -1) => new(parent, null, field, index);

    public PathRef Item(int index) => _index < 0 ? new(_parent, _root, _field, index) : Of(FieldPath.Index(ToString(), index));

    public override string ToString()
    {
        var path = _parent?.Path ?? _root ?? "";
        if (_field is not null)
        {
            path = FieldPath.Child(path, _field);
        }

        return _index < 0 ? path : FieldPath.Index(path, _index);
    }
}
