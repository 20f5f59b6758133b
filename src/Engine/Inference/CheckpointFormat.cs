namespace Inference.Streaming.Engine.Inference;

/// <summary>How a checkpoint file stores its weights.</summary>
public enum CheckpointFormat
{
    /// <summary><c>torch.save(model.state_dict())</c>, zip format (torch ≥ 1.6).</summary>
    TorchStateDict,

    /// <summary><c>torch.save({"policy_state_dict": ..., "optimizer_state_dict": ...})</c>, the seed trainer's
    /// checkpoints.</summary>
    TorchTrainingCheckpoint,

    /// <summary>Hugging Face safetensors.</summary>
    Safetensors,

    /// <summary>A TorchScript module written by <c>torch.jit.save</c> (traced or scripted): code and weights.</summary>
    TorchScript,
}
