using System.Text;

namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>
/// The key files a municipality file names (keys.destinationKeyFile, keys.signingCertificateFile), read only offline
/// (hubctl tenant validate) and only as regular files below the municipality file's folder, reached without symbolic
/// links, of at most <see cref="MaxBytes"/>. The hub itself reads none: a file sent over the API with key paths is refused.
/// </summary>
public static class MunicipalityKeyFiles
{
    /// <summary>A PEM key or certificate is a few KiB; more is not a key file.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The text of the file, or null when it does not exist; or the finding that refuses to read it.</summary>
    public static (string? Text, MunicipalityFinding? Refused) Read(FilePosition at, string path, string written, string folder)
    {
        MunicipalityFinding Refuse(string code, string why) => MunicipalityFinding.Error(at, code, $"{path} '{written}' {why}");

        var root = Path.GetFullPath(folder);
        var full = Path.GetFullPath(Path.Combine(root, written));
        if (Path.IsPathRooted(written) || !full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            return (null, Refuse("key-file-outside-folder", "is not below the municipality file's folder; expected a path relative to it, without '..'."));

        // Each step from the folder down must be a plain directory or file: a symbolic link could lead anywhere.
        var current = root;
        foreach (var part in Path.GetRelativePath(root, full).Split(Path.DirectorySeparatorChar))
        {
            current = Path.Combine(current, part);
            FileSystemInfo step = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (step.LinkTarget is not null)
                return (null, Refuse("key-file-outside-folder", "goes through a symbolic link; expected a regular file below the municipality file's folder."));
            if (!step.Exists) return (null, null);
        }

        var info = new FileInfo(full);
        // Devices and pipes have no size: /dev/zero would never end, a pipe would block.
        if (!info.Exists || info.Length == 0)
            return (null, Refuse("key-file-not-regular", "is not a regular file with content (a folder, a device, a pipe or empty); expected a PEM file."));
        if (info.Length > MaxBytes)
            return (null, Refuse("key-file-too-large", $"has {info.Length} bytes; a PEM key or certificate has at most {MaxBytes / 1024} KiB."));
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            var buffer = new byte[MaxBytes + 1];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return read > MaxBytes
                ? (null, Refuse("key-file-too-large", $"has more than {MaxBytes / 1024} KiB; a PEM key or certificate has at most that."))
                : (Encoding.UTF8.GetString(buffer, 0, read), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, Refuse("key-file-not-regular", "cannot be read; expected a readable PEM file."));
        }
    }
}
