namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// What a reload would read from a model directory, without opening a file: for each model's
/// checkpoint candidates and manifest, whether it exists, its size, its modification time and the
/// link it resolves through, and where the directory itself resolves. Two equal states load the
/// same set; any edit, copy, delete or symlink swap changes it.
/// </summary>
public static class ModelDirectoryState
{
    public static string Of(string directory)
    {
        var state = new System.Text.StringBuilder();
        Describe(state, new DirectoryInfo(directory));
        foreach (var name in ModelNames.All)
        {
            var folder = ModelNames.FolderOf(directory, name);
            foreach (
                var file in new[]
                {
                    ModelNames.CheckpointFile,
                    ModelNames.SafetensorsFile,
                    ModelNames.TorchScriptFile,
                    ModelManifest.FileName,
                }
            )
            {
                Describe(state, new FileInfo(Path.Combine(folder, file)));
            }
        }

        Describe(state, new FileInfo(Path.Combine(directory, BackgroundSet.FileName)));

        return state.ToString();
    }

    private static void Describe(System.Text.StringBuilder state, FileSystemInfo entry)
    {
        try
        {
            state.Append(entry.FullName).Append('|');
            if (entry.LinkTarget is { } link)
            {
                state
                    .Append("->")
                    .Append(entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? link)
                    .Append('|');
            }

            if (entry.Exists)
            {
                state
                    .Append(entry is FileInfo file ? file.Length : -1)
                    .Append('|')
                    .Append(entry.LastWriteTimeUtc.Ticks);
            }
            else
            {
                state.Append("absent");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            state.Append("unreadable:").Append(ex.GetType().Name);
        }

        state.Append('\n');
    }
}
