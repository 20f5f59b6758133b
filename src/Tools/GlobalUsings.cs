// What the worker's Web SDK imports implicitly, for the code the tools share with it.
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Hosting;
global using Microsoft.Extensions.Logging;
