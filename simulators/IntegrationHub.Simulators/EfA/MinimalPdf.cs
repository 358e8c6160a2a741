using System.Globalization;
using System.Text;

namespace IntegrationHub.Simulators.EfA;

/// <summary>Builds a tiny but structurally valid one-page PDF (correct xref offsets) with one line of text.</summary>
public static class MinimalPdf
{
    public static byte[] Create(string text)
    {
        // Only printable ASCII in the content stream: no font encoding questions in a test fixture.
        var safe = new StringBuilder();
        foreach (var c in text)
        {
            if (c is '(' or ')' or '\\')
            {
                safe.Append('\\').Append(c);
            }
            else if (c is >= ' ' and <= '~')
            {
                safe.Append(c);
            }
            else
            {
                safe.Append('?');
            }
        }

        var stream = $"BT /F1 12 Tf 72 770 Td ({safe}) Tj ET";
        var objects = new[]
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            $"<< /Length {Encoding.ASCII.GetByteCount(stream)} >>\nstream\n{stream}\nendstream",
        };

        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(Encoding.ASCII.GetByteCount(pdf.ToString()));
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }

        var xrefOffset = Encoding.ASCII.GetByteCount(pdf.ToString());
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            pdf.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xrefOffset}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(pdf.ToString());
    }
}
