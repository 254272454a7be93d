using System.Runtime.InteropServices;

namespace Membrane.Policy.Source;

/// <summary>
/// Flow collections (YAML 1.2 §7.4): "[a, b]" and "{k: v}", over one line or several. The subset
/// takes entries of plain or quoted scalars and nested flow collections, with a trailing comma
/// allowed; empty keys or values, single-pair mappings in a sequence ("[a: b]"), JSON-style
/// adjacent values ("{"a":1}"), anchors and aliases inside are left to YamlDotNet.
/// </summary>
internal sealed partial class FastYamlReader
{
    /// <summary>
    /// A flow collection in a block collection at column <paramref name="indent"/>. The node itself
    /// was counted by the caller; <paramref name="position"/> is its '[' or '{', or its anchor.
    /// </summary>
    private SourceNode ReadFlowCollection(int indent, SourcePosition position, int depth, out long size)
    {
        size = 1;
        if (Peek() == '[')
        {
            _pos++;
            var first = _items.Count;
            while (true)
            {
                SkipFlowSpace();
                if (Peek() == ']')
                {
                    break;
                }

                _path.PushIndex(_items.Count - first);
                var item = ReadFlowNode(indent, depth + 1, out var itemSize);
                _path.Pop();
                size += itemSize;
                _items.Add(item);
                if (!FlowEntryEnd(']'))
                {
                    break;
                }
            }

            _pos++;
            var items = _items.Count == first ? [] : CollectionsMarshal.AsSpan(_items)[first..].ToArray();
            CollectionsMarshal.SetCount(_items, first);
            return new SourceSequence(position, items);
        }

        _pos++;
        var start = _entries.Count;
        while (true)
        {
            SkipFlowSpace();
            if (Peek() == '}')
            {
                break;
            }

            var key = ReadFlowKey(indent, depth + 1);
            _pos++;
            SkipFlowSpace();
            if (Peek() is ',' or '}')
            {
                throw NotHandled();
            }

            _path.PushKey(key.Text);
            var value = ReadFlowNode(indent, depth + 1, out var valueSize);
            _path.Pop();
            size += 1 + valueSize;
            _entries.Add(new SourceEntry(key, value));
            if (!FlowEntryEnd('}'))
            {
                break;
            }
        }

        _pos++;
        var entries = _entries.Count == start ? [] : CollectionsMarshal.AsSpan(_entries)[start..].ToArray();
        CollectionsMarshal.SetCount(_entries, start);
        _findings.CheckDuplicateKeys(_path, entries);
        return new SourceMapping(position, entries);
    }

    /// <summary>After an entry: true at a ',' (consumed), false at the closing bracket (not consumed).</summary>
    private bool FlowEntryEnd(char close)
    {
        SkipFlowSpace();
        if (Peek() == ',')
        {
            _pos++;
            return true;
        }

        if (Peek() != close)
        {
            throw NotHandled();
        }

        return false;
    }

    /// <summary>Spaces, comments and line breaks inside a flow collection, where a document marker is an error (§9.1.4).</summary>
    private void SkipFlowSpace()
    {
        SkipSpace();
        if (AtMarker('-') || AtMarker('.') || AtEnd)
        {
            throw NotHandled();
        }
    }

    private SourceNode ReadFlowNode(int indent, int depth, out long size)
    {
        var position = Here;
        Count(depth);
        if (Peek() is '[' or '{')
        {
            return ReadFlowCollection(indent, position, depth, out size);
        }

        size = 1;
        var (text, kind) = ReadScalarValue(indent, flow: true);
        return new SourceScalar(position, text, kind);
    }

    /// <summary>A flow mapping key (§7.4.1), counted as a node. Leaves the reader at the ':'.</summary>
    private SourceScalar ReadFlowKey(int indent, int depth)
    {
        var position = Here;
        Count(depth);
        var (text, kind) = ReadKey(indent, flow: true);
        return new SourceScalar(position, text, kind);
    }
}
