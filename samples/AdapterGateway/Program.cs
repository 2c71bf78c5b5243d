// AdapterGateway: a DCC User's receive endpoint in front of DuisPrioritiser.
// POST DUIS XML to /duis; it is prioritised and released to a simulated back-end of limited capacity.
// See docs/adapter-gateway.md for a walk-through with curl.
using AdapterGateway;

await using var app = AdapterGatewayApp.Build(args);
await app.RunAsync();
