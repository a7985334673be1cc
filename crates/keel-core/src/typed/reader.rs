//! A pull reader over one JSON text, made for the typed decoder: the decoder asks for the token
//! its schema expects next, and strings and numbers come out as the scalars it checks, with no
//! visitor in between and no tree built.
//!
//! The text is `&str`, so it is valid UTF-8 already (the body is checked once): a string without
//! escapes is borrowed as it is, and every cut falls on an ASCII byte, hence on a character
//! boundary. The grammar is RFC 8259's, as strict as serde_json's: no trailing commas, no
//! comments, no control characters inside strings, no lone surrogates. A method that finds the
//! text broken records why in the reader and returns [`Abort`], and the decoder unwinds with `?`
//! without reading further.

use std::borrow::Cow;

use super::scalar::Scalar;

/// The reader or the decoder recorded why it stopped; unwind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort;

pub type Step<T> = Result<T, Abort>;

/// Where and why the text is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the offending byte (the text's length at its end).
    pub at: usize,
    pub problem: &'static str,
}

pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// The first syntax error found (the walk stops there).
    pub error: Option<SyntaxError>,
}

/// 2^53: integers up to this magnitude are exact in an f64 (and in JavaScript's number).
const EXACT_LIMIT: u64 = 1 << 53;

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Self { text, pos: 0, error: None }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn fail<T>(&mut self, at: usize, problem: &'static str) -> Step<T> {
        if self.error.is_none() {
            self.error = Some(SyntaxError { at, problem });
        }
        Err(Abort)
    }

    /// "EOF while parsing …" at the end, else `problem` at the current byte.
    fn unexpected<T>(&mut self, eof: &'static str, problem: &'static str) -> Step<T> {
        let (at, pos) = (self.bytes().len(), self.pos);
        if pos >= at {
            self.fail(at, eof)
        } else {
            self.fail(pos, problem)
        }
    }

    /// The next byte that is not whitespace, without consuming it.
    pub fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&byte) = bytes.get(self.pos) {
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(byte);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes the byte [`peek`](Self::peek) returned.
    pub fn bump(&mut self) {
        self.pos += 1;
    }

    /// After the root value: only whitespace may follow.
    pub fn end(&mut self) -> Step<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => self.fail(self.pos, "trailing characters"),
        }
    }

    /// Consumes `word` (`true`, `false` or `null`) whose first byte was peeked.
    pub fn word(&mut self, word: &'static [u8]) -> Step<()> {
        let bytes = self.bytes();
        for (i, &expected) in word.iter().enumerate() {
            match bytes.get(self.pos + i) {
                Some(&byte) if byte == expected => {}
                Some(_) => return self.fail(self.pos + i, "expected ident"),
                None => return self.fail(bytes.len(), "EOF while parsing a value"),
            }
        }
        self.pos += word.len();
        Ok(())
    }

    // ---- strings ----

    /// For the string whose opening quote is at `self.pos`: where its closing quote is, when
    /// nothing but plain bytes (no escape, no control character) stands before it.
    fn plain_string_end(&self) -> Option<usize> {
        let bytes = self.bytes();
        let start = self.pos + 1;
        let end = start + plain_run(bytes.get(start..).unwrap_or_default());
        (bytes.get(end) == Some(&b'"')).then_some(end)
    }

    /// Reads the string whose opening quote was peeked: borrowed when it holds no escape.
    pub fn string(&mut self) -> Step<Cow<'a, str>> {
        let (text, bytes) = (self.text, self.bytes());
        let mut start = self.pos + 1;
        if let Some(end) = self.plain_string_end() {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&text[start..end]));
        }
        // An escape, a control character or the end: the general case scans that run again.
        let mut decoded: Option<String> = None;
        loop {
            let end = start + plain_run(bytes.get(start..).unwrap_or_default());
            match bytes.get(end) {
                Some(b'"') => {
                    self.pos = end + 1;
                    return Ok(match decoded {
                        None => Cow::Borrowed(&text[start..end]),
                        Some(mut out) => {
                            out.push_str(&text[start..end]);
                            Cow::Owned(out)
                        }
                    });
                }
                Some(b'\\') => {
                    let out = decoded.get_or_insert_with(|| String::with_capacity(end - start + 16));
                    out.push_str(&text[start..end]);
                    self.pos = end;
                    self.escape(out)?;
                    start = self.pos;
                }
                Some(_) => return self.fail(end, "control character (\\u0000-\\u001F) found while parsing a string"),
                None => return self.fail(bytes.len(), "EOF while parsing a string"),
            }
        }
    }

    /// Decodes the escape at `self.pos` (a backslash) into `out`.
    fn escape(&mut self, out: &mut String) -> Step<()> {
        let bytes = self.bytes();
        let Some(&kind) = bytes.get(self.pos + 1) else {
            return self.fail(bytes.len(), "EOF while parsing a string");
        };
        let simple = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.pos += 2;
                let unit = self.hex4()?;
                let c = match unit {
                    0xD800..=0xDBFF => {
                        if bytes.len() < self.pos + 2 {
                            return self.fail(bytes.len(), "EOF while parsing a string");
                        }
                        if bytes.get(self.pos) != Some(&b'\\') || bytes.get(self.pos + 1) != Some(&b'u') {
                            return self.fail(self.pos, "lone leading surrogate in hex escape");
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return self.fail(self.pos - 1, "lone leading surrogate in hex escape");
                        }
                        char::from_u32(0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00))
                    }
                    _ => char::from_u32(u32::from(unit)),
                };
                return match c {
                    Some(c) => {
                        out.push(c);
                        Ok(())
                    }
                    None => self.fail(self.pos - 1, "invalid unicode code point"),
                };
            }
            _ => return self.fail(self.pos + 1, "invalid escape"),
        };
        out.push(simple);
        self.pos += 2;
        Ok(())
    }

    /// Four hex digits at `self.pos`.
    fn hex4(&mut self) -> Step<u16> {
        let bytes = self.bytes();
        let mut unit = 0u16;
        for i in 0..4 {
            let digit = match bytes.get(self.pos + i) {
                Some(&byte) => (byte as char).to_digit(16),
                None => return self.fail(bytes.len(), "EOF while parsing a string"),
            };
            match digit {
                Some(digit) => unit = unit * 16 + digit as u16,
                None => return self.fail(self.pos + i, "invalid escape"),
            }
        }
        self.pos += 4;
        Ok(unit)
    }

    // ---- numbers ----

    /// Reads the number whose first byte (`-` or a digit) was peeked. An integer without
    /// fraction or exponent is `Scalar::Int` when it fits 64 bits (exact when |n| ≤ 2^53); any
    /// other number is `Scalar::Float`, correctly rounded, and one too large for an f64 is an
    /// error rather than infinity.
    pub fn number(&mut self) -> Step<Scalar<'a>> {
        let bytes = self.bytes();
        let start = self.pos;
        let negative = bytes.get(start) == Some(&b'-');
        let mut at = start + usize::from(negative);
        let mut magnitude: u64 = 0;
        let mut fits = true;
        match bytes.get(at) {
            Some(b'0') => {
                at += 1;
                if matches!(bytes.get(at), Some(b'0'..=b'9')) {
                    return self.fail(at, "invalid number");
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
                    match magnitude.checked_mul(10).and_then(|m| m.checked_add(u64::from(digit - b'0'))) {
                        Some(m) => magnitude = m,
                        None => fits = false,
                    }
                    at += 1;
                }
            }
            Some(_) => return self.fail(at, "invalid number"),
            None if negative => return self.fail(at, "invalid number"),
            None => return self.fail(bytes.len(), "EOF while parsing a value"),
        }
        let mut integer = true;
        if bytes.get(at) == Some(&b'.') {
            integer = false;
            at = self.digits(at + 1)?;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            integer = false;
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            at = self.digits(at)?;
        }
        self.pos = at;
        if integer && fits {
            if !negative {
                return Ok(Scalar::Int(magnitude as f64, magnitude <= EXACT_LIMIT));
            }
            if magnitude <= i64::MIN.unsigned_abs() {
                // `-0` stays negative zero, as JSON.parse reads it.
                return Ok(Scalar::Int(-(magnitude as f64), magnitude <= EXACT_LIMIT));
            }
        }
        match self.text[start..at].parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Scalar::Float(value)),
            _ => self.fail(start, "number out of range"),
        }
    }

    /// One or more digits from `at`; returns the offset after them.
    fn digits(&mut self, mut at: usize) -> Step<usize> {
        let bytes = self.bytes();
        let first = at;
        while matches!(bytes.get(at), Some(b'0'..=b'9')) {
            at += 1;
        }
        if at == first {
            return self.fail(at, "invalid number");
        }
        Ok(at)
    }

    // ---- containers ----

    /// After an object's `{`: whether a member follows (read its key next); false when the `}`
    /// was consumed.
    pub fn first_member(&mut self) -> Step<bool> {
        self.first_item(b'}', "EOF while parsing an object")
    }

    /// After a member's value: whether another member follows (its `,` consumed; read its key
    /// next); false when the object's `}` was consumed.
    pub fn next_member(&mut self) -> Step<bool> {
        self.next_item(b'}', "EOF while parsing an object", "expected `,` or `}`")
    }

    /// A member's key, and its `:`.
    pub fn key(&mut self) -> Step<Cow<'a, str>> {
        match self.peek() {
            Some(b'"') => {}
            _ => return self.unexpected("EOF while parsing a value", "key must be a string"),
        }
        let key = self.string()?;
        self.colon()?;
        Ok(key)
    }

    /// Whether the member's key is `name`; if so, the key and its `:` are consumed, else nothing
    /// is (read it with [`key`](Self::key)). Only a key written without escapes is compared,
    /// in place, so a key in the expected place costs one scan and one comparison.
    pub fn key_is(&mut self, name: &str) -> Step<bool> {
        if self.peek() != Some(b'"') {
            return Ok(false);
        }
        let start = self.pos + 1;
        match self.plain_string_end() {
            Some(end) if self.bytes().get(start..end) == Some(name.as_bytes()) => self.pos = end + 1,
            _ => return Ok(false),
        }
        self.colon()?;
        Ok(true)
    }

    fn colon(&mut self) -> Step<()> {
        match self.peek() {
            Some(b':') => {
                self.bump();
                Ok(())
            }
            _ => self.unexpected("EOF while parsing an object", "expected `:`"),
        }
    }

    /// After an array's `[`: whether an element follows (false: the `]` was consumed).
    pub fn first_element(&mut self) -> Step<bool> {
        self.first_item(b']', "EOF while parsing a list")
    }

    /// After an element: whether another follows (false: the `]` was consumed).
    pub fn next_element(&mut self) -> Step<bool> {
        self.next_item(b']', "EOF while parsing a list", "expected `,` or `]`")
    }

    /// After a container's opening byte: whether an item follows; false when `close` was consumed.
    fn first_item(&mut self, close: u8, eof: &'static str) -> Step<bool> {
        match self.peek() {
            Some(byte) if byte == close => {
                self.bump();
                Ok(false)
            }
            Some(_) => Ok(true),
            None => self.fail(self.bytes().len(), eof),
        }
    }

    /// After an item: whether another follows (its `,` consumed); false when `close` was consumed.
    fn next_item(&mut self, close: u8, eof: &'static str, expected: &'static str) -> Step<bool> {
        match self.peek() {
            Some(b',') => {
                self.bump();
                Ok(true)
            }
            Some(byte) if byte == close => {
                self.bump();
                Ok(false)
            }
            _ => self.unexpected(eof, expected),
        }
    }

    /// A value's first byte was expected and is missing or wrong.
    pub fn expected_value<T>(&mut self) -> Step<T> {
        self.peek();
        self.unexpected("EOF while parsing a value", "expected value")
    }

    /// Skips one value of any shape, checking its syntax. Iterative: nesting costs one byte of
    /// heap per level (bounded by the body's size limit), never stack.
    pub fn skip_value(&mut self) -> Step<()> {
        // The closing byte of each container still open.
        let mut open: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                Some(b'{') => {
                    self.bump();
                    if self.first_member()? {
                        self.key()?;
                        open.push(b'}');
                        continue;
                    }
                }
                Some(b'[') => {
                    self.bump();
                    if self.first_element()? {
                        open.push(b']');
                        continue;
                    }
                }
                Some(b'"') => drop(self.string()?),
                Some(b'-' | b'0'..=b'9') => drop(self.number()?),
                Some(b't') => self.word(b"true")?,
                Some(b'f') => self.word(b"false")?,
                Some(b'n') => self.word(b"null")?,
                _ => return self.expected_value(),
            }
            // A value ended: close what it completes, then go on with the next value, if any.
            loop {
                match open.last() {
                    None => return Ok(()),
                    Some(b'}') => {
                        if self.next_member()? {
                            self.key()?;
                            break;
                        }
                    }
                    Some(_) => {
                        if self.next_element()? {
                            break;
                        }
                    }
                }
                open.pop();
            }
        }
    }
}

/// How many bytes at the start of `bytes` a string holds as they are: up to the first `"`, `\\`
/// or control character, or all of them. Eight bytes per step (SWAR): in each 64-bit word, a
/// byte's high bit is set by the zero test of that byte XOR the quote, of it XOR the backslash,
/// or by the test for less than 0x20; the lowest flagged byte is exact (a borrow can flag only
/// bytes above a flagged one). The last word is padded with zeros, which stop as control
/// characters would, at the end.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let stops = |word: u64| {
        below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1) | below(word, 0x20)
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let found = stops(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    at + (stops(u64::from_le_bytes(last)).trailing_zeros() / 8) as usize
}

impl SyntaxError {
    /// `… at line L column C`, counted as serde_json counts them (1-based; the column is the
    /// offending byte's, or the last byte's at the end of the text).
    pub fn describe(&self, text: &str) -> String {
        let end = (self.at + 1).min(text.len());
        let before = &text.as_bytes()[..end];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = match before.iter().rposition(|&b| b == b'\n') {
            Some(newline) => end - newline - 1,
            None => end,
        };
        format!("{} at line {line} column {column}", self.problem)
    }
}

#[cfg(test)]
mod tests;
