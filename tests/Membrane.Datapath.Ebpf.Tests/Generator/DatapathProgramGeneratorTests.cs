using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Generator;

namespace Membrane.Datapath.Ebpf.Tests.Generator;

/// <summary>What the generator emits, without a kernel: names, type, license, maps and a commented listing.</summary>
public sealed class DatapathProgramGeneratorTests
{
    [Fact]
    public void The_two_programs_are_sched_cls_with_a_gpl_compatible_license_and_their_directions()
    {
        var from = DatapathProgramGenerator.FromEndpoint();
        var to = DatapathProgramGenerator.ToEndpoint();
        Assert.Equal(("mbr_from_ep", ProgramType.SchedCls, "Dual MIT/GPL"), (from.Name, from.Type, from.License));
        Assert.Equal(("mbr_to_ep", ProgramType.SchedCls, "Dual MIT/GPL"), (to.Name, to.Type, to.License));
        // The direction is written into the event and the keys; beyond that, the two images differ only in the source
        // address check and the sources neighbour discovery may have, which only packets leaving the endpoint get
        // (docs/datapath.md §2 steps 3 and 3a).
        var fromListing = Disassembler.Disassemble(from.Instructions);
        var toListing = Disassembler.Disassemble(to.Instructions);
        Assert.Contains("*(u8 *)(r10 -78) = 1", fromListing);
        Assert.Contains("*(u8 *)(r10 -78) = 0", toListing);
        Assert.Contains("SourceAddress", fromListing);
        Assert.DoesNotContain("SourceAddress", toListing);
        Assert.InRange(from.Instructions.Count - to.Instructions.Count, 1, 80);
    }

    [Theory]
    [InlineData(DatapathConstants.DirectionEgress)]
    [InlineData(DatapathConstants.DirectionIngress)]
    public void Each_program_references_every_map_but_none_other_and_stays_within_the_instruction_budget(byte direction)
    {
        var code = DatapathProgramGenerator.Generate(direction);
        Assert.Equal(DatapathMapNames.All.Order(StringComparer.Ordinal), code.MapNames.Order(StringComparer.Ordinal));
        Assert.InRange(code.SlotCount, 1, 4096 / 2);
        _ = code.Link(); // every label resolves
    }

    [Fact]
    public void The_listing_names_the_stages_and_says_why()
    {
        var listing = DatapathProgramGenerator.Generate(DatapathConstants.DirectionEgress).Disassemble();
        foreach (var stage in new[] { "Endpoint", "Parse", "AlwaysAllowed", "SourceAddress", "LaterFragment", "Conntrack", "Identity", "Policy", "Record", "Account" })
        {
            Assert.Contains($"; {stage}", listing);
        }

        Assert.Contains("an Echo Request is never a reply", listing);
        Assert.Contains("record:\n", listing);
        Assert.Contains("map[mbr_ct]", listing);
    }

    [Fact]
    public void A_direction_other_than_ingress_or_egress_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DatapathProgramGenerator.Generate(2));
    }
}
