namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// The outputs still owed for one input record, as the publishers see it. Each publisher announces the records
/// it produces for the input itself, just before handing them to the producer
/// (<see cref="OutputAcknowledgement.Produce"/>), and each is then acknowledged or lost: no file counts another
/// file's outputs. The ingest side decides what that
/// means for the input's offset (<c>Ingest/TrackedRecord</c>).
/// </summary>
public interface IOutputTracker
{
    /// <summary><paramref name="count"/> more outputs are owed for the input.</summary>
    void AddPending(int count);

    /// <summary>One of them was acknowledged (or withdrawn before it was produced).</summary>
    void Complete();

    /// <summary>One of them was lost: the input must be processed again after a restart.</summary>
    void Fail();
}
