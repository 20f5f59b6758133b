namespace Inference.Streaming.Engine.Inference;

/// <summary>A catalog (the champion's) that may also hold a challenger, leased together.</summary>
public interface IChampionChallenger : IModelCatalog
{
    /// <summary>Leases the champion's set and the challenger's (null when there is none or it has not loaded)
    /// from one role assignment, so a promotion never splits a batch, with the control generation that
    /// assignment was made under.</summary>
    (ModelLease Champion, ModelLease? Challenger, long Generation) AcquireBoth();

    /// <summary>Leases the challenger's set alone.</summary>
    /// <exception cref="ModelsNotReadyException">No challenger is configured, or it has not loaded.</exception>
    ModelLease AcquireChallenger();
}
