using Inference.Streaming.Engine.Inference;
using Inference.Streaming.PredictApi;

namespace Inference.Streaming.Worker.Serving;

/// <summary>The seed's <c>model_loaded</c> and <c>gpu_available</c>.</summary>
public sealed class ModelHealthFacts(IModelCatalog catalog, TorchDevice device) : IHealthFacts
{
    public bool ModelLoaded
    {
        get
        {
            if (!catalog.IsLoaded)
            {
                return false;
            }

            using var lease = catalog.Acquire();
            return lease.Set.Models.Count > 0;
        }
    }

    public bool GpuAvailable => device.IsCuda;
}
