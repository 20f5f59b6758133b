using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using Inference.Streaming.Engine.Diagnostics;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Checks a checkpoint's structure before any parser sees it, so that no length or count written
/// in the file can make the worker allocate more than the file could hold: the file's size against
/// <c>Models:MaxFileBytes</c>; for a <c>torch.save</c> zip, every entry's size, and every length in
/// its pickle (opcode by opcode, as <c>pickletools</c> describes them) against the bytes left; for
/// safetensors, the header length and every tensor's byte range. A file that fails is refused by
/// name with the reason; nothing large has been allocated by then.
/// </summary>
public static class CheckpointGuard
{
    /// <summary>
    /// Refuses, before anything opens it, a file that is not a regular file with content: a FIFO
    /// (whose open blocks until a writer comes), a socket or a device (a link to <c>/dev/zero</c>
    /// reads forever) all report 0 bytes, as an empty file does, and none is opened. Returns the size.
    /// </summary>
    public static long CheckRegular(string path)
    {
        var length = LengthOf(path);
        if (length == 0)
        {
            throw new ModelLoadException(
                path,
                "the file is empty (0 bytes), or not a regular file: a FIFO, socket or device reports 0 bytes; "
                    + "it was not opened"
            );
        }

        return length;
    }

    /// <summary>
    /// The size of what reading <paramref name="path"/> reads: for a link, its final target's (a link's
    /// own size is the length of its target's name, which would let a link to a huge file past
    /// <c>Models:MaxFileBytes</c> and make a linked checkpoint's zip entries look larger than the file).
    /// </summary>
    public static long LengthOf(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            info = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo is { Exists: true } target
                ? target
                : throw new ModelLoadException(
                    path,
                    $"file not found (a link to '{Printable(info.LinkTarget)}', which does not exist)"
                );
        }

        return info.Length;
    }

    /// <summary>Refuses files larger than <paramref name="maxFileBytes"/> before reading them.</summary>
    public static void CheckSize(string path, long maxFileBytes)
    {
        var length = LengthOf(path);
        if (length > maxFileBytes)
        {
            throw new ModelLoadException(
                path,
                $"the file is {length:N0} bytes, over Models:MaxFileBytes ({maxFileBytes:N0})"
            );
        }
    }

    /// <summary>
    /// Whether the file is a TorchScript archive (<c>torch.jit.save</c>): a zip holding the module's code
    /// (<c>code/</c>) and <c>constants.pkl</c> beside its weights. When it is, its entries are held to the same
    /// size budget as a checkpoint's before libtorch reads it. A file that is not a readable zip is not one (the
    /// checkpoint reader says what it is).
    /// </summary>
    public static bool IsTorchScript(string path, long maxFileBytes)
    {
        Span<byte> magic = stackalloc byte[4];
        using (var probe = File.OpenRead(path))
        {
            if (probe.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("PK\u0003\u0004"u8))
            {
                return false;
            }
        }

        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            return false;
        }

        using (zip)
        {
            var script = zip.Entries.Any(e =>
                e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal)
                || e.FullName.Contains("/code/", StringComparison.Ordinal)
            );
            if (script)
            {
                CheckEntries(path, zip, maxFileBytes);
            }

            return script;
        }
    }

    public static void CheckTorchZip(string path, long maxFileBytes)
    {
        using var zip = ZipFile.OpenRead(path);
        var pickle = CheckEntries(path, zip, maxFileBytes);
        if (pickle is null)
        {
            throw new ModelLoadException(path, "the zip holds no data.pkl: not a torch.save checkpoint");
        }

        var bytes = new byte[pickle.Length];
        using (var stream = pickle.Open())
        {
            var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (read != bytes.Length)
            {
                throw new ModelLoadException(path, $"data.pkl is truncated: {read:N0} of {bytes.Length:N0} bytes");
            }
        }

        if (PickleProblem(bytes) is { } problem)
        {
            throw new ModelLoadException(path, "data.pkl " + problem);
        }
    }

    // Every entry within the file's size (stored) and the budget (compressed too); returns data.pkl's entry.
    private static ZipArchiveEntry? CheckEntries(string path, ZipArchive zip, long maxFileBytes)
    {
        var fileLength = LengthOf(path);
        long total = 0;
        ZipArchiveEntry? pickle = null;
        foreach (var entry in zip.Entries)
        {
            // Stored entries (what torch.save writes) cannot be larger than the file; compressed ones
            // are held to the same budget, so a small archive cannot inflate into gigabytes.
            if (
                entry.Length < 0
                || (entry.Length > fileLength && entry.CompressedLength == entry.Length)
                || entry.Length > maxFileBytes
            )
            {
                throw new ModelLoadException(
                    path,
                    $"zip entry '{Printable(entry.FullName)}' claims {entry.Length:N0} bytes, more than the file can "
                        + "hold"
                );
            }

            total += entry.Length;
            if (total > maxFileBytes)
            {
                throw new ModelLoadException(
                    path,
                    $"the zip's entries add up to more than Models:MaxFileBytes ({maxFileBytes:N0})"
                );
            }

            if (entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || entry.FullName == "data.pkl")
            {
                pickle = entry;
            }
        }

        return pickle;
    }

    public static void CheckSafetensors(string path)
    {
        using var stream = File.OpenRead(path);
        var length = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8) || headerLength > 100_000_000)
        {
            throw new ModelLoadException(
                path,
                $"safetensors header claims {headerLength:N0} bytes; the file has {length - 8:N0} after the length"
            );
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataLength = length - 8 - (long)headerLength;
        try
        {
            using var document = JsonDocument.Parse(header);
            foreach (var tensor in document.RootElement.EnumerateObject())
            {
                if (tensor.Name == "__metadata__")
                {
                    continue;
                }

                var value = tensor.Value;
                var offsets = value.GetProperty("data_offsets");
                var begin = offsets[0].GetInt64();
                var end = offsets[1].GetInt64();
                long elements = 1;
                foreach (var dimension in value.GetProperty("shape").EnumerateArray())
                {
                    elements = checked(elements * Math.Max(0, dimension.GetInt64()));
                }

                var width = ElementSize(value.GetProperty("dtype").GetString());
                if (
                    begin < 0
                    || end < begin
                    || end > dataLength
                    || (width > 0 && checked(elements * width) != end - begin)
                )
                {
                    throw new ModelLoadException(
                        path,
                        $"safetensors tensor '{Printable(tensor.Name)}' claims bytes {begin}..{end} for {elements} "
                            + $"elements; the data section has {dataLength:N0} bytes"
                    );
                }
            }
        }
        catch (Exception ex)
            when (ex
                    is JsonException
                        or InvalidOperationException
                        or KeyNotFoundException
                        or IndexOutOfRangeException
                        or OverflowException
                        or FormatException
            )
        {
            throw new ModelLoadException(path, $"safetensors header is not valid: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Walks a pickle opcode by opcode and returns what is wrong, or null: an unknown opcode, a
    /// length or frame larger than the bytes left, a negative length, or no STOP.
    /// </summary>
    public static string? PickleProblem(ReadOnlySpan<byte> pickle)
    {
        var position = 0;
        while (position < pickle.Length)
        {
            var opcode = pickle[position];
            var at = position;
            position++;
            var remaining = pickle.Length - position;
            long skip;
            switch (opcode)
            {
                case (byte)'.': // STOP
                    return null;
                case (byte)'('
                or (byte)'0'
                or (byte)'1'
                or (byte)'2'
                or (byte)'N'
                or (byte)'Q'
                or (byte)'R'
                or (byte)'a'
                or (byte)'b'
                or (byte)'d'
                or (byte)'}'
                or (byte)'e'
                or (byte)'l'
                or (byte)']'
                or (byte)'o'
                or (byte)'s'
                or (byte)'t'
                or (byte)')'
                or (byte)'u'
                or 0x81
                or 0x85
                or 0x86
                or 0x87
                or 0x88
                or 0x89
                or 0x8f
                or 0x90
                or 0x91
                or 0x92
                or 0x93
                or 0x94
                or 0x97
                or 0x98:
                    skip = 0;
                    break;
                case (byte)'K' or (byte)'h' or (byte)'q' or 0x80 or 0x82:
                    skip = 1;
                    break;
                case (byte)'M' or 0x83:
                    skip = 2;
                    break;
                case (byte)'J' or (byte)'j' or (byte)'r' or 0x84:
                    skip = 4;
                    break;
                case (byte)'G':
                    skip = 8;
                    break;
                case 0x95: // FRAME: a length, then the frame's opcodes inline
                    if (remaining < 8)
                    {
                        return $"is truncated at offset {at}";
                    }

                    var frame = BinaryPrimitives.ReadUInt64LittleEndian(pickle.Slice(position, 8));
                    if (frame > (ulong)(remaining - 8))
                    {
                        return $"claims a frame of {frame:N0} bytes at offset {at}; {remaining - 8:N0} are left";
                    }

                    skip = 8;
                    break;
                case (byte)'U' or 0x8c or (byte)'C' or 0x8a: // one-byte length
                    if (remaining < 1)
                    {
                        return $"is truncated at offset {at}";
                    }

                    skip = 1 + pickle[position];
                    break;
                case (byte)'T' or (byte)'X' or (byte)'B' or 0x8b: // four-byte length
                    if (remaining < 4)
                    {
                        return $"is truncated at offset {at}";
                    }

                    var length4 = BinaryPrimitives.ReadInt32LittleEndian(pickle.Slice(position, 4));
                    if (length4 < 0)
                    {
                        return $"claims a negative length ({length4}) at offset {at}";
                    }

                    skip = 4L + length4;
                    break;
                case 0x8d or 0x8e or 0x96: // eight-byte length
                    if (remaining < 8)
                    {
                        return $"is truncated at offset {at}";
                    }

                    var length8 = BinaryPrimitives.ReadUInt64LittleEndian(pickle.Slice(position, 8));
                    skip = length8 > (ulong)remaining ? long.MaxValue : 8L + (long)length8;
                    break;
                case (byte)'I'
                or (byte)'L'
                or (byte)'S'
                or (byte)'V'
                or (byte)'F'
                or (byte)'P'
                or (byte)'g'
                or (byte)'p':
                    skip = LineLength(pickle[position..], 1);
                    break;
                case (byte)'c' or (byte)'i': // module and name, two lines
                    skip = LineLength(pickle[position..], 2);
                    break;
                default:
                    return $"has an unknown pickle opcode 0x{opcode:x2} at offset {at}";
            }

            if (skip < 0 || skip > remaining)
            {
                var claim =
                    skip < 0 || skip == long.MaxValue
                        ? "an unterminated or oversized"
                        : skip.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " bytes of";
                return $"claims {claim} argument at offset {at}; {remaining:N0} bytes are left";
            }

            position += (int)skip;
        }

        return "ends without a STOP opcode";
    }

    // Bytes up to and including the lines' newlines; −1 when a newline is missing.
    private static long LineLength(ReadOnlySpan<byte> data, int lines)
    {
        var length = 0;
        for (var i = 0; i < lines; i++)
        {
            var newline = data[length..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return -1;
            }

            length += newline + 1;
        }

        return length;
    }

    private static int ElementSize(string? dtype) =>
        dtype switch
        {
            "F64" or "I64" or "U64" => 8,
            "F32" or "I32" or "U32" => 4,
            "F16" or "BF16" or "I16" or "U16" => 2,
            "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
            _ => 0,
        };

    private static string Printable(string text) => LogText.Quote(text);
}
