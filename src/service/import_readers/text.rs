//! Text files as spreadsheets and ledgers save them: the encoding is told
//! from the bytes (UTF-8 with or without BOM, UTF-16 with its BOM, else
//! Windows-1252), and a file that is not text is refused.

use std::{borrow::Cow, cell::RefCell, io::Read, rc::Rc};

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
    if bytes.starts_with(WORKBOOK) {
        return Err(not_text(A_WORKBOOK));
    }
    if bytes.contains(&0) {
        return Err(not_text(NUL_BYTES));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    })
}

/// How an Excel workbook (a zip file) starts.
const WORKBOOK: &[u8] = b"PK\x03\x04";
const A_WORKBOOK: &str =
    "the file is an Excel workbook (.xlsx); save it as CSV (semicolon or UTF-8) and send that";
const NUL_BYTES: &str = "the file holds NUL bytes, so it is not UTF-8 or Windows-1252 text \
     (UTF-16 needs its byte-order mark); save it as CSV and send that";

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

/// Bytes read ahead of the decoder.
const DECODE_BUFFER: usize = 64 * 1024;

/// How the bytes of a streamed file are read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Only ASCII so far, which reads the same either way.
    Undecided,
    Utf8,
    Windows1252,
}

/// Where a [`DecodedChars`] keeps why it stopped early.
pub type DecodeError = Rc<RefCell<Option<ReadError>>>;

/// The characters of a file as it is read, so that a large file is never
/// held whole: the same encodings as [`decode_text`], told from the bytes
/// as they come. UTF-16 needs its byte-order mark at the start (such a file
/// is then read whole: Excel's "Unicode text", small). Otherwise the first
/// bytes that are not ASCII decide: valid UTF-8 makes the file UTF-8,
/// anything else Windows-1252 (everything before was ASCII, which reads the
/// same in both). A UTF-8 file that later holds bytes that are not UTF-8
/// mixes two encodings and is refused, naming the line, rather than read
/// with its UTF-8 letters garbled. A workbook or NUL bytes are refused as by
/// [`decode_text`]. A refusal ends the characters; [`DecodedChars::error`]
/// says why.
pub struct DecodedChars<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    started: bool,
    encoding: Encoding,
    /// A UTF-16 file, decoded whole, and the next character's offset.
    utf16: Option<(String, usize)>,
    line: usize,
    error: DecodeError,
}

impl<R: Read> DecodedChars<R> {
    pub fn new(inner: R) -> Self {
        DecodedChars {
            inner,
            buf: vec![0; DECODE_BUFFER].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            started: false,
            encoding: Encoding::Undecided,
            utf16: None,
            line: 1,
            error: DecodeError::default(),
        }
    }

    /// Where the reason is kept if the file is refused while it is read.
    pub fn error(&self) -> DecodeError {
        self.error.clone()
    }

    fn fail(&mut self, error: ReadError) -> Option<char> {
        self.error.replace(Some(error));
        self.eof = true;
        self.pos = self.len;
        self.utf16 = None;
        None
    }

    /// Reads until at least `need` bytes are buffered or the input ends.
    fn fill(&mut self, need: usize) -> std::io::Result<()> {
        if self.len - self.pos >= need || self.eof {
            return Ok(());
        }
        self.buf.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        while self.len < need && !self.eof {
            let n = self.inner.read(&mut self.buf[self.len..])?;
            if n == 0 {
                self.eof = true;
            }
            self.len += n;
        }
        Ok(())
    }

    /// Looks at the file's first bytes: a byte-order mark, a workbook.
    fn start(&mut self) -> Result<(), ReadError> {
        self.started = true;
        self.fill(4).map_err(|_| unreadable())?;
        let head = &self.buf[self.pos..self.len];
        if head.starts_with(WORKBOOK) {
            return Err(not_text(A_WORKBOOK));
        }
        if head.starts_with(b"\xef\xbb\xbf") {
            self.pos += 3;
        } else if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
            let little = head[0] == 0xff;
            let mut bytes = self.buf[self.pos + 2..self.len].to_vec();
            self.inner
                .read_to_end(&mut bytes)
                .map_err(|_| unreadable())?;
            let unit = if little {
                u16::from_le_bytes
            } else {
                u16::from_be_bytes
            };
            self.utf16 = Some((decode_utf16(&bytes, unit)?, 0));
            self.pos = self.len;
            self.eof = true;
        }
        Ok(())
    }
}

fn unreadable() -> ReadError {
    not_text("the file could not be read")
}

/// The UTF-8 character `bytes` start with and its length, if they start
/// with a whole, valid one.
fn utf8_char(bytes: &[u8]) -> Option<(char, usize)> {
    let width = match bytes.first()? {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(bytes.get(..width)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, width))
}

impl<R: Read> Iterator for DecodedChars<R> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if !self.started
            && let Err(e) = self.start()
        {
            return self.fail(e);
        }
        if let Some((text, at)) = &mut self.utf16 {
            let c = text[*at..].chars().next()?;
            *at += c.len_utf8();
            return Some(c);
        }
        if self.fill(4).is_err() {
            return self.fail(unreadable());
        }
        let &b = self.buf[..self.len].get(self.pos)?;
        if b == 0 {
            return self.fail(not_text(NUL_BYTES));
        }
        if b < 0x80 {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
            }
            return Some(char::from(b));
        }
        if self.encoding == Encoding::Windows1252 {
            self.pos += 1;
            return Some(windows_1252(b));
        }
        match utf8_char(&self.buf[self.pos..self.len]) {
            Some((c, width)) => {
                self.encoding = Encoding::Utf8;
                self.pos += width;
                Some(c)
            }
            None if self.encoding == Encoding::Undecided => {
                self.encoding = Encoding::Windows1252;
                self.pos += 1;
                Some(windows_1252(b))
            }
            None => {
                let line = self.line;
                self.fail(not_text(&format!(
                    "line {line} holds bytes that are not UTF-8, while the lines before are \
                     UTF-8: the file mixes two encodings; save it as CSV (UTF-8) and send that"
                )))
            }
        }
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

    /// The characters [`DecodedChars`] gives for `bytes` read `chunk` bytes
    /// at a time, or the field and message of its refusal.
    fn streamed(bytes: &[u8], chunk: usize) -> Result<String, String> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let chars = DecodedChars::new(Trickle(bytes, chunk));
        let error = chars.error();
        let text: String = chars.collect();
        match error.take() {
            Some(ReadError::Invalid(errors)) => {
                Err(format!("{}: {}", errors[0].field, errors[0].message))
            }
            Some(other) => Err(format!("{other:?}")),
            None => Ok(text),
        }
    }

    #[test]
    fn streamed_text_decodes_as_the_whole_file_does() {
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Äldre\tö\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let files: [&[u8]; 7] = [
            b"\xef\xbb\xbf\xc3\x84ldre;\xe2\x88\x92100\n\xf0\x9f\x98\x80",
            b"namn;belopp\r\n\xc4ldreomsorg \x80;1\r\n\xf6",
            b"ascii only\n",
            b"",
            b"\xef\xbb",
            b"a\xc3",
            &le,
        ];
        for file in files {
            for chunk in [1, 2, 3, 7, 1 << 20] {
                assert_eq!(
                    streamed(file, chunk).ok(),
                    decode_text(file).ok(),
                    "{file:?} in chunks of {chunk}"
                );
            }
        }
    }

    #[test]
    fn streamed_text_refuses_what_it_cannot_read() {
        for chunk in [1, 5, 1 << 20] {
            let says = |bytes: &[u8]| streamed(bytes, chunk).unwrap_err();
            assert!(says(b"PK\x03\x04\x14\x00").contains(".xlsx"));
            assert!(says(b"n\x00a\x00").contains("NUL"));
            assert!(says(b"\xff\xfe\x00\xd8a\x00").starts_with("file: "));
            // UTF-8 first, then a Windows-1252 ö on line 3.
            let mixed = says(b"a;b\n\xc3\xa5;1\n\xf6;2\n");
            assert!(mixed.starts_with("file: line 3 "), "{mixed}");
        }
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
