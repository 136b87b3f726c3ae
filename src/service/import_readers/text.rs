//! Text files as spreadsheets and ledgers save them: the encoding is told
//! from the bytes (UTF-8 with or without BOM, UTF-16 with its BOM, else
//! Windows-1252), and a file that is not text is refused.

use std::{borrow::Cow, io::Read};

use super::ReadError;

/// Decodes a file: UTF-8 (with or without BOM), UTF-16 with its BOM (Excel's
/// "Unicode text"), else Windows-1252. A file with NUL bytes and no UTF-16
/// BOM is not text (a workbook, say) and is refused rather than misread.
pub fn decode_text(bytes: &[u8]) -> Result<String, ReadError> {
    decode_borrowed(bytes).map(Cow::into_owned)
}

/// [`decode_text`] without copying a UTF-8 file.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub fn decode_borrowed(bytes: &[u8]) -> Result<Cow<'_, str>, ReadError> {
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return decode_utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return decode_utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(not_text(
            "the file is an Excel workbook (.xlsx); save it as CSV (semicolon or UTF-8) and send that",
        ));
    }
    if bytes.contains(&0) {
        return Err(not_text(
            "the file holds NUL bytes, so it is not UTF-8 or Windows-1252 text \
             (UTF-16 needs its byte-order mark); save it as CSV and send that",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    })
}

fn not_text(message: &str) -> ReadError {
    ReadError::invalid("file", message)
}

/// UTF-16 after its BOM, with the byte order `unit` reads.
fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ReadError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(not_text(
            "the file starts with a UTF-16 byte-order mark but has an odd number of bytes: it is cut short",
        ));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| {
            not_text(&format!(
                "the file is not valid UTF-16: an unpaired surrogate {:#06x}",
                e.unpaired_surrogate()
            ))
        })
}

/// Windows-1252: Latin-1 except 0x80–0x9F.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// What `inner` reads, less a UTF-8 byte-order mark at its start: a body
/// read as it arrives, for a parser that expects plain UTF-8.
pub struct SkipBom<R> {
    inner: R,
    /// The first bytes, read ahead to look for the mark; served first.
    start: Vec<u8>,
    started: bool,
}

impl<R: Read> SkipBom<R> {
    pub fn new(inner: R) -> Self {
        SkipBom {
            inner,
            start: Vec::new(),
            started: false,
        }
    }

    /// Gathers the first three bytes (or the whole input, if shorter) and
    /// drops a byte-order mark among them.
    fn skip_bom(&mut self) -> std::io::Result<()> {
        let mut buf = [0u8; 3];
        while self.start.len() < 3 {
            let n = self.inner.read(&mut buf[..3 - self.start.len()])?;
            if n == 0 {
                break;
            }
            self.start.extend_from_slice(&buf[..n]);
        }
        if self.start.as_slice() == b"\xef\xbb\xbf" {
            self.start.clear();
        }
        self.started = true;
        Ok(())
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if !self.started {
            self.skip_bom()?;
        }
        if self.start.is_empty() {
            return self.inner.read(out);
        }
        let n = out.len().min(self.start.len());
        out[..n].copy_from_slice(&self.start[..n]);
        self.start.drain(..n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_and_bom() {
        assert_eq!(
            decode_text(b"\xef\xbb\xbf\xc3\x84ldre").ok().as_deref(),
            Some("Äldre")
        );
        assert_eq!(
            decode_text(b"\xc4ldreomsorg \x80").ok().as_deref(),
            Some("Äldreomsorg €")
        );
    }

    #[test]
    fn utf16_with_its_bom_and_no_binary() {
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Äldre\tö".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&le).ok().as_deref(), Some("Äldre\tö"));
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("Äldre".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&be).ok().as_deref(), Some("Äldre"));
        let field = |bytes: &[u8]| match decode_text(bytes) {
            Err(ReadError::Invalid(errors)) => errors[0].field.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(field(&le[..le.len() - 1]), "file", "cut short");
        assert_eq!(field(b"\xff\xfe\x00\xd8a\x00"), "file", "lone surrogate");
        assert_eq!(field(b"PK\x03\x04\x14\x00"), "file", "a workbook");
        assert_eq!(field(b"n\x00a\x00"), "file", "UTF-16 without BOM");
    }

    #[test]
    fn a_reader_without_its_bom() {
        let read = |bytes: &[u8]| {
            let mut out = Vec::new();
            SkipBom::new(bytes).read_to_end(&mut out).ok();
            out
        };
        assert_eq!(read(b"\xef\xbb\xbfxy"), b"xy");
        assert_eq!(read(b"\xef\xbb\xbf"), b"");
        assert_eq!(read(b"\xef\xbb"), b"\xef\xbb");
        assert_eq!(read(b"ab"), b"ab");
        assert_eq!(read(b""), b"");
    }
}
