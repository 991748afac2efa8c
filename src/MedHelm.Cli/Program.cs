using MedHelm.Cli.Commands;

// Composition lives in Hosting/; commands in Commands/. This file only parses and dispatches.
// Ctrl+C / SIGTERM cancel the command's token; a run then commits what finished and records how to resume,
// which may take longer than System.CommandLine's default 2 s grace period.
return await MedHelmCommandLine.Build().Parse(args).InvokeAsync(
    new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
