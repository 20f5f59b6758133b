namespace Inference.Streaming.Worker.State;

/// <summary>
/// Where the ingest thread puts each closed bar's observation for readers outside the stream (the
/// REST path's <see cref="SymbolDirectory"/>), and withdraws the symbols it no longer holds.
/// </summary>
public interface IObservationSink
{
    void Publish(ObservationSnapshot snapshot);

    void Remove(string symbol);

    void RemovePartitions(IEnumerable<int> partitions);
}
