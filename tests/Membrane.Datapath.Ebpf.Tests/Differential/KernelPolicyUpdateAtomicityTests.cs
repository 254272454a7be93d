using Membrane.Datapath.Ebpf.Tests.Loading;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Writing;

namespace Membrane.Datapath.Ebpf.Tests.Differential;

/// <summary>
/// docs/datapath.md §9 on the kernel's own maps: for random pairs of map states (S1, S2), after a random earlier
/// state so that the idle buffer holds stale entries, the writer's steps are applied to the BPF maps one at a time,
/// and after each step random new flows are run through the program (conntrack emptied first, so policy decides).
/// A flow that S1 and S2 both allow must pass, one that both deny must drop.
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class KernelPolicyUpdateAtomicityTests
{
    [Fact]
    public void Every_step_of_an_update_in_the_kernel_gives_each_flow_its_old_or_its_new_verdict()
    {
        Root.Require();
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        using var kernel = new KernelRunner(TestDatapath.SmallMaps with { PolicyEntries = 1024 });
        var checks = 0;
        for (var pair = 0; pair < 40; pair++)
        {
            kernel.ClearPolicy();
            kernel.ClearIpcache();
            var (earlier, before, after) = (new DifferentialWorld(random, 7), new DifferentialWorld(random, 7), new DifferentialWorld(random, 7));
            foreach (var (prefix, identity) in before.Ipcache)
            {
                kernel.SetIpcache(prefix, identity);
            }

            var writer = new PolicyBufferWriter(DifferentialWorld.Ifindex, before.Endpoint, new PolicyCookieTable());
            writer.Apply(earlier.State, kernel.PolicyTarget);
            writer.Apply(before.State, kernel.PolicyTarget);
            var flows = Enumerable.Range(0, 12).Select(_ => new PacketSequence(random, before).Next()).ToList();
            var verdictsBefore = flows.Select(f => Passes(kernel, f.Frame, f.Direction)).ToList();

            var steps = writer.Plan(after.State).Steps;
            if (steps.Count == 0)
            {
                continue; // the same state twice: nothing to watch
            }

            var verdictsAfter = new List<bool>();
            var checkpoints = new List<List<bool>>();
            foreach (var step in steps)
            {
                writer.Apply(step, kernel.PolicyTarget);
                checkpoints.Add(flows.Select(f => Passes(kernel, f.Frame, f.Direction)).ToList());
            }

            verdictsAfter.AddRange(checkpoints[^1]);
            for (var s = 0; s < checkpoints.Count; s++)
            {
                for (var i = 0; i < flows.Count; i++, checks++)
                {
                    if (verdictsBefore[i] == verdictsAfter[i])
                    {
                        Assert.True(checkpoints[s][i] == verdictsBefore[i],
                            $"seed {seed}, pair {pair}, after step {s} ({steps[s]}): {flows[i].What} {(verdictsBefore[i] ? "passes" : "drops")} under S1 and S2 but not now");
                    }
                }
            }
        }

        Assert.True(checks > 1000, $"only {checks} checks");
    }

    private static bool Passes(KernelRunner kernel, byte[] frame, byte direction)
    {
        kernel.ClearFlows();
        return kernel.Run(frame, direction).ReturnValue == DatapathConstants.ActionPass;
    }
}
