using System.Runtime.CompilerServices;

namespace IntegrationHub.Storage;

/// <summary>The embedded default: blobs as files under one root folder, written atomically.</summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private readonly string _root;

    public FileSystemBlobStore(string rootDirectory)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        Directory.CreateDirectory(_root);
    }

    public async Task PutAsync(string name, Stream content, CancellationToken ct = default)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write to a temporary file and rename, so a crash never leaves a half-written blob.
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(file, ct);
                await file.FlushAsync(ct);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            // An aborted or refused upload leaves nothing behind, not even its temporary file.
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken ct = default)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) throw new BlobNotFoundException(name);
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true));
    }

    public Task<bool> ExistsAsync(string name, CancellationToken ct = default) => Task.FromResult(File.Exists(PathOf(name)));

    public Task DeleteAsync(string name, CancellationToken ct = default)
    {
        var path = PathOf(name);
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await Task.Yield();
        // Start in the prefix's folder: listing one submission's blobs (retention) must not walk the whole store.
        var slash = prefix.LastIndexOf('/');
        var start = slash <= 0 ? _root : PathOf(prefix[..slash]);
        if (!Directory.Exists(start)) yield break;
        foreach (var file in Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories))
        {
            ct.ThrowIfCancellationRequested();
            if (file.EndsWith(".tmp", StringComparison.Ordinal)) continue;
            var name = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(prefix, StringComparison.Ordinal)) yield return name;
        }
    }

    private string PathOf(string name)
    {
        // Blob names come from the hub, never from a caller; still refuse anything that leaves the root.
        var path = Path.GetFullPath(Path.Combine(_root, name));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException("Blob name leaves the store's root.", nameof(name));
        return path;
    }
}
