namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// The outputs still owed for one input record, as the publishers see it: each record produced for
/// it is announced, then acknowledged or lost. The ingest side decides what that means for the
/// input's offset (<c>Ingest/TrackedRecord</c>).
/// </summary>
public interface IOutputTracker
{
    /// <summary><paramref name="count"/> more records will be produced for the input.</summary>
    void AddPending(int count);

    /// <summary>One of them was acknowledged.</summary>
    void Complete();

    /// <summary>One of them was lost: the input must be processed again after a restart.</summary>
    void Fail();
}
