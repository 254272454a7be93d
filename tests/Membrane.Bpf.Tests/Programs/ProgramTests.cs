using Membrane.Bpf.Asm;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using Membrane.Bpf.Tests.Support;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Tests.Programs;

[Collection(KernelCollection.Name)]
public sealed class ProgramTests
{
    [Fact]
    public void Accepted_program_reports_its_statistics()
    {
        Root.Require();
        // Four branches on skb->len with straight-line code between them. The verifier stores a state for pruning only
        // after at least 2 jumps and 8 instructions since the last one (kernel/bpf/verifier.c is_state_visited), so a
        // smaller program reports total_states 0 and would not show that the counts are parsed.
        using var program = BpfProgram.Load(new ProgramSpec("mbr_stats", ProgramType.SchedCls,
        [
            Instruction.LoadMem(R2, R1, SkBuff.LenOffset, Size.Word),
            AluOperation.Mov.Imm(R0, 0),
            JumpOperation.JGT.Imm(R2, 100, "a"),
            AluOperation.Add.Imm(R0, 1),
            AluOperation.Add.Imm(R0, 1),
            JumpOperation.JGT.Imm(R2, 200, "b").WithSymbol("a"),
            AluOperation.Add.Imm(R0, 1),
            AluOperation.Add.Imm(R0, 1),
            JumpOperation.JGT.Imm(R2, 300, "c").WithSymbol("b"),
            AluOperation.Add.Imm(R0, 1),
            AluOperation.Add.Imm(R0, 1),
            JumpOperation.JGT.Imm(R2, 400, "out").WithSymbol("c"),
            AluOperation.Add.Imm(R0, 1),
            Instruction.Exit().WithSymbol("out"),
        ]));
        var statistics = Assert.IsType<VerifierStatistics>(program.Statistics);
        Assert.Equal(14, statistics.InstructionCount);
        Assert.InRange(statistics.ProcessedInstructions, 14, 200); // every branch walked, some pruned
        Assert.True(statistics.TotalStates > 0, $"total_states {statistics.TotalStates}\n{program.VerifierLog}");
        Assert.True(statistics.PeakStates > 0, $"peak_states {statistics.PeakStates}\n{program.VerifierLog}");
        Assert.Contains("processed", program.VerifierLog);
        Assert.True(program.Id > 0);
    }

    [Fact]
    public void Rejected_program_yields_the_whole_verifier_log()
    {
        Root.Require();
        // Reads R0 before writing it: "R0 !read_ok" (kernel/bpf/verifier.c check_reg_arg).
        var error = Assert.Throws<VerifierException>(() => BpfProgram.Load(new ProgramSpec("mbr_reject", ProgramType.SchedCls, [Instruction.Exit()])));
        Assert.Contains("R0 !read_ok", error.Log);
        Assert.Contains("R0 !read_ok", error.Message);
        Assert.Equal(Errno.EACCES, error.Errno);
        Assert.Equal("mbr_reject", error.ProgramName);
        Assert.StartsWith("program 'mbr_reject': BPF_PROG_LOAD: EACCES", error.Message);
        Assert.False(error.LogTruncated);
    }

    [Fact]
    public void A_log_larger_than_the_first_buffer_is_retried_with_a_larger_one()
    {
        Root.Require();
        var options = new ProgramLoadOptions { LogLevel = VerifierLogLevel.Branch | VerifierLogLevel.Statistics, LogSize = 1024 };
        var error = Assert.Throws<VerifierException>(() => BpfProgram.Load(new ProgramSpec("mbr_biglog", ProgramType.SchedCls, LongInvalidBody()), options: options));
        Assert.True(error.Log.Length > 4096, $"log has {error.Log.Length} bytes");
        Assert.Contains("299: (bf) r1 = r1", error.Log); // the walk is complete up to the last instruction before exit
        Assert.Contains("R0 !read_ok", error.Log);
        Assert.Contains("last 12 of", error.Message);
    }

    [Fact]
    public void A_log_that_never_fits_is_reported_as_truncated_with_the_hint()
    {
        Root.Require();
        var options = new ProgramLoadOptions { LogSize = 1024, MaxLogSize = 2048 };
        var error = Assert.Throws<VerifierException>(() => BpfProgram.Load(new ProgramSpec("mbr_trunc", ProgramType.SchedCls, LongInvalidBody()), options: options));
        Assert.True(error.LogTruncated);
        Assert.Equal(Errno.ENOSPC, error.Errno);
        Assert.Contains("retry with a larger log", error.Message);
        Assert.InRange(error.Log.Length, 1000, 2048);
    }

    [Fact]
    public void Loading_without_a_log_gives_no_statistics()
    {
        Root.Require();
        using var program = BpfProgram.Load(Support.Programs.Returning("mbr_nolog", 0), options: new ProgramLoadOptions { LogLevel = VerifierLogLevel.None });
        Assert.Null(program.Statistics);
        Assert.Equal(string.Empty, program.VerifierLog);
    }

    [Fact]
    public void Test_run_returns_the_program_result_data_and_duration()
    {
        Root.Require();
        using var program = BpfProgram.Load(Support.Programs.Returning("mbr_ret", 7));
        var packet = Support.Programs.Packet();
        var output = new byte[128];
        var result = program.TestRun(packet, output, repeat: 1000);
        Assert.Equal(7u, result.ReturnValue);
        Assert.Equal(packet.Length, result.DataOutLength);
        Assert.Equal(packet, output[..result.DataOutLength]);
        Assert.True(result.MeanDurationNanoseconds < 1_000_000, $"{result.MeanDurationNanoseconds} ns per run");
    }

    [Fact]
    public void Test_run_refuses_less_than_an_ethernet_header()
    {
        Root.Require();
        using var program = BpfProgram.Load(Support.Programs.Returning("mbr_short", 0));
        var error = Assert.Throws<ArgumentException>(() => program.TestRun(new byte[13]));
        Assert.Contains("at least 14 bytes", error.Message);
    }

    [Fact]
    public void Test_run_passes_the_sk_buff_context_in()
    {
        Root.Require();
        // return skb->mark + skb->len: the context offsets and the data length are the kernel's.
        using var program = BpfProgram.Load(new ProgramSpec("mbr_mark", ProgramType.SchedCls,
        [
            Instruction.LoadMem(R0, R1, SkBuff.MarkOffset, Size.Word),
            Instruction.LoadMem(R2, R1, SkBuff.LenOffset, Size.Word),
            AluOperation.Add.Reg(R0, R2),
            Instruction.Exit(),
        ]));
        var context = new SkBuff { Mark = 1000 };
        var result = program.TestRun(Support.Programs.Packet(64), Span<byte>.Empty, ref context);
        Assert.Equal(1064u, result.ReturnValue);
        Assert.Equal(1000u, context.Mark);
    }

    [Fact]
    public void Xdp_and_socket_filter_programs_load_and_run()
    {
        Root.Require();
        using var xdp = BpfProgram.Load(Support.Programs.Returning("mbr_xdp", 2, ProgramType.Xdp)); // XDP_PASS
        Assert.Equal(2u, xdp.TestRun(Support.Programs.Packet()).ReturnValue);
        using var filter = BpfProgram.Load(Support.Programs.Returning("mbr_filter", 0, ProgramType.SocketFilter));
        Assert.Equal(0u, filter.TestRun(Support.Programs.Packet()).ReturnValue);
    }

    [Fact]
    public void Map_references_by_name_reach_the_map()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, uint>("mbr_value", MapType.Array, 1));
        map.Update(0u, 4242u);
        // key 0 on the stack, lookup, return the value or 0 when missing.
        using var program = BpfProgram.Load(
            new ProgramSpec("mbr_lookup", ProgramType.SchedCls,
            [
                Instruction.StoreImm(R10, -4, 0, Size.Word),
                Instruction.LoadMapPtr(R1, "values"),
                AluOperation.Mov.Reg(R2, R10),
                AluOperation.Add.Imm(R2, -4),
                HelperFunction.MapLookupElem.Call(),
                AluOperation.Mov.Reg(R1, R0),
                AluOperation.Mov.Imm(R0, 0),
                JumpOperation.JEq.Imm(R1, 0, "out"),
                Instruction.LoadMem(R0, R1, 0, Size.Word),
                Instruction.Exit().WithSymbol("out"),
            ]),
            new Dictionary<string, BpfMap> { ["values"] = map });
        Assert.Equal(4242u, program.TestRun(Support.Programs.Packet()).ReturnValue);
        map.Update(0u, 7u);
        Assert.Equal(7u, program.TestRun(Support.Programs.Packet()).ReturnValue);
    }

    [Fact]
    public void Unresolved_map_reference_is_a_linker_error()
    {
        Root.Require();
        var error = Assert.Throws<LinkerException>(() => BpfProgram.Load(new ProgramSpec("mbr_nomap", ProgramType.SchedCls,
        [
            Instruction.LoadMapPtr(R1, "missing"),
            AluOperation.Mov.Imm(R0, 0),
            Instruction.Exit(),
        ])));
        Assert.Contains("map 'missing'", error.Message);
    }

    [Fact]
    public void Translated_program_disassembles_as_bpftool_shows_it()
    {
        Root.Require();
        using var program = BpfProgram.Load(new ProgramSpec("mbr_xlated", ProgramType.SchedCls,
        [
            AluOperation.Mov.Imm(R0, 0),
            JumpOperation.JEq.Imm(R0, 1, "out"),
            AluOperation.Add.Imm(R0, 2),
            Instruction.Exit().WithSymbol("out"),
        ]));
        // The verifier removes the dead branch and rewrites the program; what it keeps prints like bpftool.
        var text = Disassembler.Disassemble(program.GetTranslatedInstructions());
        Assert.StartsWith("   0: (b7) r0 = 0\n", text);
        Assert.EndsWith("(95) exit\n", text);
    }

    [Fact]
    public void Program_name_beyond_the_kernel_limit_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => BpfProgram.Load(Support.Programs.Returning("a_very_long_program_name", 0)));
        Assert.Contains("at most 15", error.Message);
    }

    /// <summary>300 no-op moves, then an exit that reads the never-written R0: the verifier walks all 300 (each a log
    /// line at the branch log level) before it rejects the program, so the log outgrows small buffers.</summary>
    private static Instruction[] LongInvalidBody() =>
        Enumerable.Range(0, 300).Select(_ => AluOperation.Mov.Reg(R1, R1)).Append(Instruction.Exit()).ToArray();

    [Fact]
    public void A_program_names_the_maps_it_uses_by_their_kernel_ids()
    {
        Root.Require();
        using var used = BpfMap.Create(MapSpec.For<uint, ulong>("mbr_used", MapType.Array, 1));
        using var unused = BpfMap.Create(MapSpec.For<uint, ulong>("mbr_unused", MapType.Array, 1));
        using var program = BpfProgram.Load(new ProgramSpec("mbr_maps", ProgramType.SchedCls,
        [
            Instruction.LoadMapPtr(R1, used.Handle.Value),
            AluOperation.Mov.Imm(R0, 0),
            Instruction.Exit(),
        ]));
        Assert.NotEqual(used.Id, unused.Id);
        Assert.Equal([used.Id], program.MapIds);
        using var none = Support.Programs.LoadDrop();
        Assert.Empty(none.MapIds);
    }
}
