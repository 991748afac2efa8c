using MedHelm.Service;

// The composition is in MedHelmServiceApp (shared with `medhelm serve` and the tests' WebApplicationFactory).
await using var app = MedHelmServiceApp.Create(args);
await app.RunAsync();
