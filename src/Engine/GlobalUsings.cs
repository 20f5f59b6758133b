// The worker's web SDK imports these implicitly; the engine is a plain library.
global using Microsoft.Extensions.Hosting;
global using Microsoft.Extensions.Logging;
