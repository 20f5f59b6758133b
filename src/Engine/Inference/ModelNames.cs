namespace Inference.Streaming.Engine.Inference;

/// <summary>The seed's model names and where each lives in the model directory.</summary>
public static class ModelNames
{
    public const string Bull = "bull_specialist";
    public const string Bear = "bear_specialist";
    public const string Sideways = "sideways_specialist";
    public const string Universal = "universal";
    public const string CheckpointFile = "best_model.pth";
    public const string SafetensorsFile = "best_model.safetensors";

    /// <summary>A TorchScript module (<c>torch.jit.save</c>): any architecture, under the contract of
    /// <see cref="TorchScriptPolicy"/>.</summary>
    public const string TorchScriptFile = "best_model.pt";

    public static readonly IReadOnlyList<string> Specialists = [Bull, Bear, Sideways];

    public static readonly IReadOnlyList<string> All = [Bull, Bear, Sideways, Universal];

    /// <summary>The folder of a model: its own sub-folder for specialists, the root for universal.</summary>
    public static string FolderOf(string root, string name) => name == Universal ? root : Path.Combine(root, name);
}
