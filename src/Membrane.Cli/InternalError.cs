using System.Globalization;

namespace Membrane.Cli;

/// <summary>
/// The last resort: an exception that escapes a command is a bug in Membrane, not a fault of the input. The user
/// gets one line that says so and where the trace is; the trace goes to a file (or, with <c>--debug</c>, to standard
/// error), because a stack trace tells a user nothing and hides the one line that matters. Exit code 2.
/// </summary>
internal static class InternalError
{
    public const int ExitCode = 2;

    /// <summary>Where to send a report; the line names it so the user need not look it up.</summary>
    public const string ReportTo = "the Membrane issue tracker";

    /// <summary>Prints the one line (and, with <paramref name="debug"/>, the trace); returns the exit code.</summary>
    public static int Report(Exception exception, string[] args, TextWriter stderr, bool debug)
    {
        var kind = Unwrap(exception).GetType().Name;
        var lead = $"membrane: internal error ({kind}): this is a bug in Membrane, not in your input; please report it to {ReportTo}";
        if (debug)
        {
            stderr.WriteLine($"{lead} with the trace below");
            stderr.WriteLine(exception.ToString());
        }
        else if (TryWriteTrace(exception, args, out var path, out var failure))
        {
            stderr.WriteLine($"{lead} with the trace in {path}");
        }
        else
        {
            stderr.WriteLine($"{lead}; the trace could not be written to {path} ({failure}); run again with --debug to see it");
        }

        stderr.Flush();
        return ExitCode;
    }

    /// <summary>
    /// The backstop for exceptions on threads no command waits on: the runtime would print the trace and abort
    /// with SIGABRT, so report it as any other and exit 2 from the handler, before the runtime can.
    /// </summary>
    public static void InstallBackstop(string[] args, TextWriter stderr) =>
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            var exception = e.ExceptionObject as Exception ?? new InvalidOperationException($"non-exception thrown: {e.ExceptionObject}");
            Report(exception, args, stderr, debug: args.Contains("--debug"));
            Environment.Exit(ExitCode);
        };

    /// <summary>
    /// Parallel.For and tasks wrap what a worker threw; the kind worth naming is the one inside. Several workers may
    /// fail before the loop stops (how many depends on the cores), so name the first: the trace file keeps them all.
    /// </summary>
    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        return exception;
    }

    /// <summary>
    /// Writes <c>$TMPDIR/membrane-crash-YYYYMMDD-HHMMSS-PID.txt</c>, readable by the user only (the command line
    /// may name private paths) and created new, so a link planted under that name in /tmp is not followed.
    /// </summary>
    private static bool TryWriteTrace(Exception exception, string[] args, out string path, out string failure)
    {
        var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var stem = Path.Combine(Path.GetTempPath(), $"membrane-crash-{stamp}-{Environment.ProcessId}");
        path = stem + ".txt";
        failure = "";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var file = new FileStream(path, options);
                using var writer = new StreamWriter(file);
                writer.WriteLine($"membrane {string.Join(' ', args)}");
                writer.WriteLine($"{DateTime.Now:O}, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
                writer.WriteLine();
                writer.WriteLine(exception.ToString());
                return true;
            }
            catch (IOException) when (File.Exists(path) && attempt < 10)
            {
                // Two crashes of one process in one second: number the later ones.
                path = $"{stem}-{attempt}.txt";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failure = e.Message;
                return false;
            }
        }
    }
}
