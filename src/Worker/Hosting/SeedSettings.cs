namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// The seed service's environment variables that this design replaced: each named service became a
/// topic or an in-process rule. A variable that is set is not silently ignored: the worker logs one
/// warning per variable at start, saying what configures its replacement (docs/api.md, "Coming from the
/// seed service").
/// </summary>
public sealed partial class SeedSettings(IConfiguration configuration, ILogger<SeedSettings> logger) : IHostedService
{
    private const string DataService =
        "there is no data service: features are computed in process from the market-ticks topic "
        + "(Kafka:BootstrapServers, Kafka:Topics:MarketTicks:Name; Features:* shape the bars)";

    private const string RegimeDetection =
        "there is no regime detection service to call: regimes come from the regime-updates topic "
        + "(Kafka:Topics:RegimeUpdates:Name); in embedded mode the demo feed's detector publishes them (DemoFeed:*)";

    private const string MetaController =
        "there is no meta-controller service: the strategy weights are its rule, (p + 0.1) / sum, "
        + "computed in process; Inference:Selection and Inference:SymbolSelection:<SYMBOL> choose how the "
        + "specialists decide";

    private const string RiskManager =
        "there is no risk manager service: the risk checks run in process on every decision "
        + "(Risk:PositionLimit, Risk:ConcentrationLimit, Risk:DailyLossLimit, Risk:MaxLeverage, "
        + "Risk:WarningThreshold, Risk:Sectors:<SYMBOL>)";

    /// <summary>Each seed variable and what replaced it, in the seed README's order.</summary>
    public static IReadOnlyList<(string Variable, string Instead)> Replaced { get; } =
    [
        ("MOCK_DATA_SERVICE", DataService),
        ("MOCK_REGIME_DETECTION", RegimeDetection),
        ("MOCK_META_CONTROLLER", MetaController),
        ("MOCK_RISK_MANAGER", RiskManager),
        ("DATA_SERVICE_URL", DataService),
        ("REGIME_DETECTION_URL", RegimeDetection),
        ("META_CONTROLLER_URL", MetaController),
        ("RISK_MANAGER_URL", RiskManager),
    ];

    /// <summary>The seed variables set in <paramref name="configuration"/>, with what to set instead.</summary>
    public static IEnumerable<(string Variable, string Instead)> SetIn(IConfiguration configuration) =>
        Replaced.Where(r => configuration[r.Variable] is not null);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (variable, instead) in SetIn(configuration))
        {
            // The value is not logged: a URL may carry credentials.
            Ignored(logger, variable, instead);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(
        EventId = 1002,
        Level = LogLevel.Warning,
        Message = "{Variable} is a setting of the seed service and is ignored here: {Instead}."
    )]
    private static partial void Ignored(ILogger logger, string variable, string instead);
}
