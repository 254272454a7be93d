using Membrane.Bpf.Asm;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using Membrane.Bpf.Tests.Support;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Tests.Programs;

[Collection(KernelCollection.Name)]
public sealed class CollectionTests
{
    private static readonly MapSpec Counts = MapSpec.For<uint, ulong>("mbr_counts", MapType.Array, 1);

    /// <summary>counts[0] += 1 via the map named in the collection; returns 1.</summary>
    private static ProgramSpec Counter(string name) => new(name, ProgramType.SchedCls, new InstructionCollection()
        .Add(Instruction.StoreImm(R10, -4, 0, Size.Word))
        .Add(Instruction.LoadMapPtr(R1, Counts.Name))
        .Add(AluOperation.Mov.Reg(R2, R10))
        .Add(AluOperation.Add.Imm(R2, -4))
        .Add(Instruction.Call(HelperFunction.MapLookupElem))
        .Add(JumpOperation.JEq.Imm(R0, 0, "out"))
        .Add(AluOperation.Mov.Imm(R1, 1))
        .Add(Instruction.AtomicAdd(R0, 0, R1, Size.DWord))
        .Label("out")
        .Add(AluOperation.Mov.Imm(R0, 1))
        .Add(Instruction.Exit()));

    [Fact]
    public void Load_creates_the_maps_and_loads_programs_against_them()
    {
        Root.Require();
        using var collection = Collection.Load(new CollectionSpec([Counts], [Counter("mbr_count_a"), Counter("mbr_count_b")]));
        var packet = new byte[BpfProgram.MinimumPacketLength];
        Assert.Equal(1u, collection.Program("mbr_count_a").TestRun(packet).ReturnValue);
        Assert.Equal(1u, collection.Program("mbr_count_b").TestRun(packet).ReturnValue);
        Assert.True(collection.Map("mbr_counts").TryLookup(0u, out ulong count));
        Assert.Equal(2ul, count);
    }

    [Fact]
    public void A_program_referencing_an_undefined_map_or_a_name_used_twice_is_refused_before_anything_is_created()
    {
        var missing = Assert.Throws<ArgumentException>(() => Collection.Load(new CollectionSpec([], [Counter("mbr_count_a")])));
        Assert.Contains("program 'mbr_count_a' references map 'mbr_counts'", missing.Message);
        var twice = Assert.Throws<ArgumentException>(() => Collection.Load(new CollectionSpec([Counts], [Counter("mbr_counts")])));
        Assert.Contains("'mbr_counts' is used twice", twice.Message);
    }

    [Fact]
    public void A_failing_map_names_itself_and_the_operation()
    {
        Root.Require();
        var bad = new MapSpec("mbr_badring", MapType.RingBuffer, 0, 0, 1000); // not a power of two
        var error = Assert.Throws<MapException>(() => Collection.Load(new CollectionSpec([Counts, bad], [Counter("mbr_count_a")])));
        Assert.StartsWith("map 'mbr_badring': create: BPF_MAP_CREATE: EINVAL", error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void Pinned_maps_and_programs_open_again_and_share_state()
    {
        Root.Require();
        using var pins = new TestPins();
        using (var collection = Collection.Load(new CollectionSpec([Counts], [Counter("mbr_count_a")])))
        {
            collection.Pin(pins.Directory);
            Assert.True(File.Exists(pins.PathOf("mbr_counts")));
            Assert.True(File.Exists(pins.PathOf("mbr_count_a")));
        }

        using var reopened = Collection.OpenPinned(pins.Directory);
        Assert.Equal(["mbr_counts"], reopened.Maps.Keys);
        Assert.Equal(["mbr_count_a"], reopened.Programs.Keys);
        var program = reopened.Program("mbr_count_a");
        Assert.Equal(ProgramType.SchedCls, program.Type);
        Assert.Equal("mbr_count_a", program.Spec.Name);
        Assert.Equal(1u, program.TestRun(new byte[BpfProgram.MinimumPacketLength]).ReturnValue);
        Assert.True(reopened.Map("mbr_counts").TryLookup(0u, out ulong count));
        Assert.Equal(1ul, count); // the reopened program writes the reopened map: they are the same objects
        reopened.Unpin();
        Assert.False(File.Exists(pins.PathOf("mbr_counts")));
    }

    [Fact]
    public void Opening_a_missing_directory_says_so_with_a_hint()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => Collection.OpenPinned("/sys/fs/bpf/membrane-test/mbr_nothing_here"));
        Assert.Contains("Hint", error.Message);
    }

    [Fact]
    public void A_program_pin_that_fails_names_the_program()
    {
        Root.Require();
        using var pins = new TestPins();
        using var program = BpfProgram.Load(Counter("mbr_count_a"), new Dictionary<string, BpfMap> { [Counts.Name] = BpfMap.Create(Counts) });
        program.Pin(pins.PathOf("p"));
        var error = Assert.Throws<ProgramException>(() => program.Pin(pins.PathOf("p")));
        Assert.StartsWith("program 'mbr_count_a': pin at", error.Message);
        Assert.Equal(Errno.EEXIST, error.Errno);
    }

    [Fact]
    public void A_failed_pin_removes_the_pins_made_before_it()
    {
        Root.Require();
        using var pins = new TestPins();
        using var squatter = BpfMap.Create(Counts);
        squatter.Pin(pins.PathOf("mbr_count_a")); // the program's pin path is taken
        using var collection = Collection.Load(new CollectionSpec([Counts], [Counter("mbr_count_a")]));
        var error = Assert.Throws<ProgramException>(() => collection.Pin(pins.Directory));
        Assert.Equal(Errno.EEXIST, error.Errno);
        Assert.False(File.Exists(pins.PathOf("mbr_counts")), "the map's pin was removed again");
        Assert.Null(collection.PinDirectory);
    }

    [Fact]
    public void Opening_a_pinned_map_as_a_program_is_refused_naming_what_is_there()
    {
        Root.Require();
        using var pins = new TestPins();
        using var map = BpfMap.Create(Counts);
        map.Pin(pins.PathOf("m"));
        var error = Assert.Throws<ArgumentException>(() => BpfProgram.OpenPinned(pins.PathOf("m")));
        Assert.Contains("pins a map, not a program", error.Message);
    }
}
