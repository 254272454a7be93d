using System.CommandLine;
using System.Text;
using Membrane.Cli.Commands;

namespace Membrane.Cli.Tests;

/// <summary>Runs the CLI in-process and keeps the files a test writes in its own temporary directory.</summary>
public sealed class CliHarness : IDisposable
{
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("membrane-cli-").FullName;

    public string Directory => _dir;

    public void Dispose() => System.IO.Directory.Delete(_dir, recursive: true);

    public string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs with the test process's own standard input, as the program would.</summary>
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = MembraneCommand.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs with <paramref name="stdin"/> as standard input.</summary>
    public static (int Code, string Stdout, string Stderr) RunWithInput(string stdin, params string[] args) =>
        RunWith(() => new MemoryStream(Encoding.UTF8.GetBytes(stdin)), [], args);

    /// <summary>Runs with a standard input of the test's choosing, and commands only tests can reach.</summary>
    public static (int Code, string Stdout, string Stderr) RunWith(Func<Stream> stdin, Command[] extraCommands, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = MembraneCommand.Run(args, stdout, stderr, stdin, extraCommands);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
