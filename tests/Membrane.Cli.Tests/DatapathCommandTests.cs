using Membrane.Testing;
using System.Text.Json;

namespace Membrane.Cli.Tests;

/// <summary>The offline datapath commands: dump-prog needs no kernel; stats and bench load the programs (root).</summary>
public sealed class DatapathCommandTests
{
    [Theory]
    [InlineData("ingress", "mbr_to_ep")]
    [InlineData("egress", "mbr_from_ep")]
    public void Dump_prog_prints_the_commented_program_of_a_direction(string direction, string program)
    {
        var (code, stdout, _) = CliHarness.Run("bpf", "dump-prog", "--direction", direction);
        Assert.Equal(0, code);
        Assert.Contains(program, stdout);
        Assert.Contains("; Endpoint:", stdout); // the generator's comments, printed after the instruction
        Assert.Contains("call bpf_map_lookup_elem", stdout);
        Assert.Contains("exit", stdout);
    }

    [Fact]
    public void Dump_prog_refuses_an_unknown_direction()
    {
        var (code, _, stderr) = CliHarness.Run("bpf", "dump-prog", "--direction", "sideways");
        Assert.Equal(2, code);
        Assert.Contains("sideways", stderr);
    }

    [Fact]
    public void Stats_prints_each_programs_verifier_figures_within_the_budget()
    {
        RequireRoot();
        var (code, stdout, _) = CliHarness.Run("bpf", "stats", "-o", "json");
        Assert.Equal(0, code);
        var programs = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["mbr_from_ep", "mbr_to_ep"], programs.Select(p => p.GetProperty("program").GetString()));
        foreach (var program in programs)
        {
            Assert.InRange(program.GetProperty("instructions").GetInt32(), 1, 4096);
            Assert.InRange(program.GetProperty("processedInstructions").GetInt32(), 1, 131_072);
            Assert.True(program.GetProperty("totalStates").GetInt32() > 0);
            Assert.True(program.GetProperty("peakStates").GetInt32() > 0);
        }

        var text = CliHarness.Run("bpf", "stats");
        Assert.Equal(0, text.Code);
        Assert.Contains("within", text.Stdout);
    }

    [Fact]
    public void Bench_datapath_measures_every_case_at_every_size()
    {
        RequireRoot();
        var (code, stdout, stderr) = CliHarness.Run("bench", "datapath", "--packets", "200", "-o", "json");
        Assert.True(code == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(24, rows.Count);
        string[] cases = ["return", "established", "new-allowed", "denied", "icmp-echo-request", "icmp-echo-reply"];
        Assert.Equal(cases.Order(), rows.Select(r => r.GetProperty("case").GetString()!).Distinct().Order());
        Assert.Equal([10, 100_000], rows.Select(r => r.GetProperty("policyEntries").GetInt32()).Distinct().Order());
        Assert.Equal([10, 100_000], rows.Select(r => r.GetProperty("ipcacheEntries").GetInt32()).Distinct().Order());
        Assert.All(rows, r => Assert.True(r.GetProperty("nsPerPacket").GetDouble() > 0));
        Assert.Contains("100000 policy entries", stderr); // progress on standard error
    }

    private static void RequireRoot()
    {
        Root.Require();
    }
}
