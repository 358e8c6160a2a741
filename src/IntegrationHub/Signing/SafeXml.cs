using System.Text;
using System.Xml;

namespace IntegrationHub.Signing;

/// <summary>Raised by <see cref="SafeXml"/> when the input is larger than the caller's limit.</summary>
public sealed class XmlSizeLimitException : XmlException
{
    public XmlSizeLimitException(long maxBytes)
        : base($"XML input exceeds the limit of {maxBytes} bytes.")
    {
        MaxBytes = maxBytes;
    }

    public long MaxBytes { get; }
}

/// <summary>
/// Hardened XML loading for signing, verification and validation: no DTD, no external resolution,
/// whitespace preserved (signatures depend on it), hard size limit. All failures are <see cref="XmlException"/>
/// (<see cref="XmlSizeLimitException"/> for the size limit).
/// </summary>
public static class SafeXml
{
    public static XmlDocument Load(Stream input, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        using var limited = new LimitedReadStream(input, maxBytes);
        return LoadCore(limited, maxBytes);
    }

    public static XmlDocument Load(byte[] input, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        if (input.LongLength > maxBytes)
        {
            throw new XmlSizeLimitException(maxBytes);
        }

        using var stream = new MemoryStream(input, writable: false);
        return LoadCore(stream, maxBytes);
    }

    /// <summary>Reader settings used by <see cref="Load(Stream, long)"/>, for callers that need an XmlReader (e.g. XSD validation).</summary>
    public static XmlReaderSettings CreateReaderSettings(long maxBytes) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        // A character never takes less than one byte, so the byte limit bounds the character count too.
        MaxCharactersInDocument = maxBytes,
        // No DTD means no entity declarations. Note: 0 would mean "unlimited" in .NET, so the smallest non-zero value is used.
        MaxCharactersFromEntities = 1,
        IgnoreComments = false, // the verifier must see comments to refuse them
        IgnoreProcessingInstructions = false,
        IgnoreWhitespace = false,
        CloseInput = false,
    };

    /// <summary>
    /// Serializes without indentation or BOM. Use this (not XmlDocument.Save with default settings) for signed
    /// documents: re-indentation would change the signed content.
    /// </summary>
    public static byte[] ToBytes(XmlDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        using var buffer = new MemoryStream();
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = false,
            NewLineHandling = NewLineHandling.None,
            OmitXmlDeclaration = false,
        };
        using (var writer = XmlWriter.Create(buffer, settings))
        {
            document.Save(writer);
        }

        return buffer.ToArray();
    }

    private static XmlDocument LoadCore(Stream stream, long maxBytes)
    {
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using var reader = XmlReader.Create(stream, CreateReaderSettings(maxBytes));
        document.Load(reader);
        if (document.DocumentElement is null)
        {
            throw new XmlException("XML document has no root element.");
        }

        return document;
    }

    /// <summary>Read-only wrapper that fails once more than the limit has been read.</summary>
    private sealed class LimitedReadStream(Stream inner, long maxBytes) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            _read += n;
            if (_read > maxBytes)
            {
                throw new XmlSizeLimitException(maxBytes);
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
