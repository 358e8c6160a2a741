using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace IntegrationHub.Jose.Streaming;

/// <summary>Which GHASH multiplication to use. Tests force <see cref="Portable"/> to cover the fallback on any CPU.</summary>
internal enum GHashImplementation
{
    /// <summary>Carry-less multiply when the CPU has it, otherwise the portable code.</summary>
    Auto,

    /// <summary>PCLMULQDQ (x86); refused when the CPU lacks it.</summary>
    Pclmulqdq,

    /// <summary>Constant-time 64-bit integer multiplication with "holes" (BearSSL ghash_ctmul64), any CPU.</summary>
    Portable,
}

/// <summary>
/// Incremental GHASH (NIST SP 800-38D, 6.4) over whole 16-byte blocks; the caller pads. Both implementations run
/// without secret-dependent branches or table look-ups, so the hash subkey does not leak through cache timing.
/// </summary>
internal sealed class GHash
{
    private readonly bool _clmul;

    // PCLMULQDQ state: byte-reversed blocks (Intel's GCM white paper representation) and H^1..H^4 for 4-block aggregation.
    private Vector128<ulong> _x;
    private readonly Vector128<ulong> _h1;
    private readonly Vector128<ulong> _h2;
    private readonly Vector128<ulong> _h3;
    private readonly Vector128<ulong> _h4;

    // Portable state: y1/h1 hold the first 8 bytes big-endian, y0/h0 the last 8.
    private ulong _y0;
    private ulong _y1;
    private readonly ulong _hp0;
    private readonly ulong _hp1;
    private readonly ulong _hp0r;
    private readonly ulong _hp1r;

    public GHash(ReadOnlySpan<byte> hashSubkey, GHashImplementation implementation = GHashImplementation.Auto)
    {
        if (hashSubkey.Length != 16)
        {
            throw new ArgumentException("The hash subkey has 16 bytes.", nameof(hashSubkey));
        }

        _clmul = implementation switch
        {
            GHashImplementation.Auto => IsClmulSupported,
            GHashImplementation.Pclmulqdq when IsClmulSupported => true,
            GHashImplementation.Pclmulqdq => throw new PlatformNotSupportedException("PCLMULQDQ is not available on this CPU."),
            _ => false,
        };

        if (_clmul)
        {
            _h1 = ByteReverse(Vector128.Create(hashSubkey).AsUInt64());
            _h2 = ClmulMultiply(_h1, _h1);
            _h3 = ClmulMultiply(_h2, _h1);
            _h4 = ClmulMultiply(_h3, _h1);
        }
        else
        {
            _hp1 = BinaryPrimitives.ReadUInt64BigEndian(hashSubkey);
            _hp0 = BinaryPrimitives.ReadUInt64BigEndian(hashSubkey[8..]);
            _hp0r = Rev64(_hp0);
            _hp1r = Rev64(_hp1);
        }
    }

    public static bool IsClmulSupported => Pclmulqdq.IsSupported && Ssse3.IsSupported;

    /// <summary>True when this instance uses the carry-less multiply instruction.</summary>
    public bool UsesClmul => _clmul;

    /// <summary>Absorbs whole blocks; <paramref name="blocks"/> must be a multiple of 16 bytes long.</summary>
    public void Update(ReadOnlySpan<byte> blocks)
    {
        if ((blocks.Length & 15) != 0)
        {
            throw new ArgumentException("GHASH input must be whole 16-byte blocks.", nameof(blocks));
        }

        if (_clmul)
        {
            UpdateClmul(blocks);
        }
        else
        {
            UpdatePortable(blocks);
        }
    }

    /// <summary>Writes the current hash value (16 bytes, big-endian as in SP 800-38D).</summary>
    public void GetValue(Span<byte> destination)
    {
        if (_clmul)
        {
            ByteReverse(_x).AsByte().CopyTo(destination);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _y1);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _y0);
        }
    }

    private void UpdateClmul(ReadOnlySpan<byte> blocks)
    {
        ref var start = ref MemoryMarshal.GetReference(blocks);
        var x = _x;
        var i = 0;

        // Four blocks per reduction: X' = (X ^ C1)·H^4 ^ C2·H^3 ^ C3·H^2 ^ C4·H, reduced once.
        for (; i + 64 <= blocks.Length; i += 64)
        {
            var c1 = ByteReverse(Vector128.LoadUnsafe(ref start, (nuint)i).AsUInt64()) ^ x;
            var c2 = ByteReverse(Vector128.LoadUnsafe(ref start, (nuint)(i + 16)).AsUInt64());
            var c3 = ByteReverse(Vector128.LoadUnsafe(ref start, (nuint)(i + 32)).AsUInt64());
            var c4 = ByteReverse(Vector128.LoadUnsafe(ref start, (nuint)(i + 48)).AsUInt64());
            var lo = Vector128<ulong>.Zero;
            var hi = Vector128<ulong>.Zero;
            MultiplyAccumulate(c1, _h4, ref lo, ref hi);
            MultiplyAccumulate(c2, _h3, ref lo, ref hi);
            MultiplyAccumulate(c3, _h2, ref lo, ref hi);
            MultiplyAccumulate(c4, _h1, ref lo, ref hi);
            x = Reduce(lo, hi);
        }

        for (; i < blocks.Length; i += 16)
        {
            x = ClmulMultiply(ByteReverse(Vector128.LoadUnsafe(ref start, (nuint)i).AsUInt64()) ^ x, _h1);
        }

        _x = x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> ByteReverse(Vector128<ulong> value) =>
        Ssse3.Shuffle(value.AsByte(), Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)).AsUInt64();

    private static Vector128<ulong> ClmulMultiply(Vector128<ulong> a, Vector128<ulong> b)
    {
        var lo = Vector128<ulong>.Zero;
        var hi = Vector128<ulong>.Zero;
        MultiplyAccumulate(a, b, ref lo, ref hi);
        return Reduce(lo, hi);
    }

    /// <summary>256-bit carry-less product a·b (schoolbook, four multiplications) XORed into hi:lo.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAccumulate(Vector128<ulong> a, Vector128<ulong> b, ref Vector128<ulong> lo, ref Vector128<ulong> hi)
    {
        var low = Pclmulqdq.CarrylessMultiply(a, b, 0x00);
        var mid = Pclmulqdq.CarrylessMultiply(a, b, 0x10) ^ Pclmulqdq.CarrylessMultiply(a, b, 0x01);
        var high = Pclmulqdq.CarrylessMultiply(a, b, 0x11);
        lo ^= low ^ Sse2.ShiftLeftLogical128BitLane(mid, 8);
        hi ^= high ^ Sse2.ShiftRightLogical128BitLane(mid, 8);
    }

    /// <summary>
    /// Shifts the bit-reflected 256-bit product left by one and reduces it modulo x^128 + x^7 + x^2 + x + 1
    /// (Gueron/Kounavis, Intel carry-less multiplication white paper, algorithm 5).
    /// </summary>
    private static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> hi)
    {
        var t3 = lo.AsUInt32();
        var t6 = hi.AsUInt32();

        var t7 = Sse2.ShiftRightLogical(t3, 31);
        var t8 = Sse2.ShiftRightLogical(t6, 31);
        t3 = Sse2.ShiftLeftLogical(t3, 1);
        t6 = Sse2.ShiftLeftLogical(t6, 1);
        var t9 = Sse2.ShiftRightLogical128BitLane(t7, 12);
        t8 = Sse2.ShiftLeftLogical128BitLane(t8, 4);
        t7 = Sse2.ShiftLeftLogical128BitLane(t7, 4);
        t3 |= t7;
        t6 |= t8 | t9;

        t7 = Sse2.ShiftLeftLogical(t3, 31) ^ Sse2.ShiftLeftLogical(t3, 30) ^ Sse2.ShiftLeftLogical(t3, 25);
        t8 = Sse2.ShiftRightLogical128BitLane(t7, 4);
        t7 = Sse2.ShiftLeftLogical128BitLane(t7, 12);
        t3 ^= t7;

        var t2 = Sse2.ShiftRightLogical(t3, 1) ^ Sse2.ShiftRightLogical(t3, 2) ^ Sse2.ShiftRightLogical(t3, 7) ^ t8;
        t3 ^= t2;
        return (t6 ^ t3).AsUInt64();
    }

    private void UpdatePortable(ReadOnlySpan<byte> blocks)
    {
        var y0 = _y0;
        var y1 = _y1;
        var h0 = _hp0;
        var h1 = _hp1;
        var h0r = _hp0r;
        var h1r = _hp1r;
        var h2 = h0 ^ h1;
        var h2r = h0r ^ h1r;

        for (var i = 0; i < blocks.Length; i += 16)
        {
            y1 ^= BinaryPrimitives.ReadUInt64BigEndian(blocks[i..]);
            y0 ^= BinaryPrimitives.ReadUInt64BigEndian(blocks[(i + 8)..]);

            // Karatsuba over 64-bit halves; the high halves of the 64x64 products come from bit-reversed operands.
            var y0r = Rev64(y0);
            var y1r = Rev64(y1);
            var y2 = y0 ^ y1;
            var y2r = y0r ^ y1r;

            var z0 = Bmul64(y0, h0);
            var z1 = Bmul64(y1, h1);
            var z2 = Bmul64(y2, h2);
            var z0h = Bmul64(y0r, h0r);
            var z1h = Bmul64(y1r, h1r);
            var z2h = Bmul64(y2r, h2r);
            z2 ^= z0 ^ z1;
            z2h ^= z0h ^ z1h;
            z0h = Rev64(z0h) >> 1;
            z1h = Rev64(z1h) >> 1;
            z2h = Rev64(z2h) >> 1;

            var v0 = z0;
            var v1 = z0h ^ z2;
            var v2 = z1 ^ z2h;
            var v3 = z1h;

            v3 = (v3 << 1) | (v2 >> 63);
            v2 = (v2 << 1) | (v1 >> 63);
            v1 = (v1 << 1) | (v0 >> 63);
            v0 <<= 1;

            v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
            v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
            v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
            v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);

            y0 = v2;
            y1 = v3;
        }

        _y0 = y0;
        _y1 = y1;
    }

    /// <summary>
    /// Low 64 bits of the carry-less product, via integer multiplication of operands masked to every fourth bit:
    /// sums of at most 15 terms per bit fit in the 3-bit holes (the single sum of 16 lands beyond bit 63).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bmul64(ulong x, ulong y)
    {
        const ulong M0 = 0x1111111111111111;
        const ulong M1 = 0x2222222222222222;
        const ulong M2 = 0x4444444444444444;
        const ulong M3 = 0x8888888888888888;
        var x0 = x & M0;
        var x1 = x & M1;
        var x2 = x & M2;
        var x3 = x & M3;
        var y0 = y & M0;
        var y1 = y & M1;
        var y2 = y & M2;
        var y3 = y & M3;
        var z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
        var z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
        var z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
        var z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
        return (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Rev64(ulong x)
    {
        x = ((x & 0x5555555555555555) << 1) | ((x >> 1) & 0x5555555555555555);
        x = ((x & 0x3333333333333333) << 2) | ((x >> 2) & 0x3333333333333333);
        x = ((x & 0x0F0F0F0F0F0F0F0F) << 4) | ((x >> 4) & 0x0F0F0F0F0F0F0F0F);
        return BinaryPrimitives.ReverseEndianness(x);
    }
}
