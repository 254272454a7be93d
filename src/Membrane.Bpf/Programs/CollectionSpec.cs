using Membrane.Bpf.Maps;

namespace Membrane.Bpf.Programs;

/// <summary>
/// A set of maps and the programs that use them, as plain data: <see cref="Collection.Load"/> creates the maps and
/// then loads the programs against them, resolving each program's map references by name. Every name is unique across
/// maps and programs, because <see cref="Collection.Pin"/> pins each object under its name in one directory.
/// </summary>
public sealed record CollectionSpec(IReadOnlyList<MapSpec> Maps, IReadOnlyList<ProgramSpec> Programs)
{
    /// <summary>
    /// Says what is wrong with the spec, or null when it can be loaded: a name used twice, or a program that
    /// references a map the collection does not define.
    /// </summary>
    public string? Validate()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Maps.Select(map => map.Name).Concat(Programs.Select(program => program.Name)))
        {
            if (!names.Add(name))
            {
                return $"the name '{name}' is used twice; maps and programs are pinned by name in one directory, so every name must be unique";
            }
        }

        var mapNames = Maps.Select(map => map.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var program in Programs)
        {
            foreach (var instruction in program.Instructions)
            {
                if (instruction.IsMapLoad && instruction.Reference is { } mapName && !mapNames.Contains(mapName))
                {
                    return $"program '{program.Name}' references map '{mapName}', which the collection does not define";
                }
            }
        }

        return null;
    }
}
