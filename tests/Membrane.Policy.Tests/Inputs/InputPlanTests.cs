using Membrane.Policy.Inputs;

namespace Membrane.Policy.Tests.Inputs;

public sealed class InputPlanTests : IDisposable
{
    private readonly InputTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_plan_reads_a_file_only_when_asked()
    {
        _tree.File("p/a.yaml", "before");

        var plan = new InputCollector().Plan([_tree["p"]]);
        File.WriteAllText(_tree["p/a.yaml"], "after");

        Assert.Equal("after", Assert.Single(plan.Read(0).Texts).Text);
    }

    [Fact]
    public void Reads_in_any_order_merge_as_a_sequential_collect_gives()
    {
        _tree.File("p/a.yaml", "a");
        _tree.Link("p/b.yaml", "a.yaml");
        _tree.File("p/c.yaml", new string('x', 20));
        _tree.Link("p/loop", ".");
        _tree.File("p/d.yaml", "d");
        string[] paths = [_tree["p"], _tree["missing.yaml"], _tree["p/d.yaml"]];
        var options = new InputOptions { MaxInputSize = 10 };

        var expected = new InputCollector(options).Collect(paths);
        var plan = new InputCollector(options).Plan(paths);
        var reads = new InputSet[plan.Count];
        for (var i = plan.Count - 1; i >= 0; i--)
        {
            if (!plan.IsRepeat(i))
            {
                reads[i] = plan.Read(i);
            }
        }

        for (var i = 0; i < plan.Count; i++)
        {
            if (plan.IsRepeat(i))
            {
                reads[i] = plan.Read(i);
            }
        }

        var merged = plan.Merge(reads);
        Assert.True(plan.HasErrors);
        Assert.Equal(expected.Texts, merged.Texts);
        Assert.Equal(expected.Findings.Select(f => f.ToString()), merged.Findings.Select(f => f.ToString()));
        Assert.Equal(5, expected.Findings.Length);
    }
}
