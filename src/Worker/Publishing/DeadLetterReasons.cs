namespace Inference.Streaming.Worker.Publishing;

/// <summary>Every <c>dlq.reason</c> the worker writes (docs/consumers/dead-letters.md explains each).</summary>
public static class DeadLetterReasons
{
    public const string Malformed = "malformed";
    public const string UnknownSchema = "unknown-schema";
    public const string IncompatibleSchema = "incompatible-schema";
    public const string RegistryUnavailable = "registry-unavailable";
    public const string DecodeLimit = "decode-limit";
    public const string WrongPartition = "wrong-partition";
    public const string InvalidTick = "invalid-tick";
    public const string InvalidRegime = "invalid-regime";
    public const string LateTick = "late-tick";
    public const string FutureEvent = "future-event";
    public const string SymbolLimit = "symbol-limit";
    public const string ProcessingError = "processing-error";
    public const string DecisionFailed = "decision-failed";
}
