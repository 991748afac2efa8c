using MedHelm.Cli.Commands;

// Composition lives in Hosting/; commands in Commands/. This file only parses and dispatches.
return await MedHelmCommandLine.Build().Parse(args).InvokeAsync();
