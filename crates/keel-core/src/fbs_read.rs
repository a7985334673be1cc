//! A small, fully bounds-checked FlatBuffers reader.
//!
//! Used for inputs Keel did not just build itself (the manifest file, payloads in tests): every
//! offset is checked, so a corrupt buffer yields an error instead of a panic or a wild read.
//! Layout reminder: a buffer starts with a u32 offset to the root table; a table starts with an
//! i32 that, subtracted from the table's position, locates its vtable (u16 vtable size, u16 table
//! size, then one u16 offset per field id, 0 meaning absent); strings and vectors are reached by
//! a u32 offset relative to the field and start with a u32 element count.

/// What was wrong with a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

pub type Result<T> = std::result::Result<T, ReadError>;

fn bytes<const N: usize>(buf: &[u8], at: usize) -> Result<[u8; N]> {
    at.checked_add(N)
        .and_then(|end| buf.get(at..end))
        .map(|b| b.try_into().expect("slice of length N"))
        .ok_or_else(|| ReadError(format!("offset {at} is outside the {}-byte buffer", buf.len())))
}

pub fn u8_at(buf: &[u8], at: usize) -> Result<u8> {
    Ok(bytes::<1>(buf, at)?[0])
}
pub fn u16_at(buf: &[u8], at: usize) -> Result<u16> {
    Ok(u16::from_le_bytes(bytes(buf, at)?))
}
pub fn u32_at(buf: &[u8], at: usize) -> Result<u32> {
    Ok(u32::from_le_bytes(bytes(buf, at)?))
}
pub fn i32_at(buf: &[u8], at: usize) -> Result<i32> {
    Ok(i32::from_le_bytes(bytes(buf, at)?))
}
pub fn u64_at(buf: &[u8], at: usize) -> Result<u64> {
    Ok(u64::from_le_bytes(bytes(buf, at)?))
}
pub fn i64_at(buf: &[u8], at: usize) -> Result<i64> {
    Ok(i64::from_le_bytes(bytes(buf, at)?))
}
pub fn f64_at(buf: &[u8], at: usize) -> Result<f64> {
    Ok(f64::from_le_bytes(bytes(buf, at)?))
}

/// A table inside a buffer.
#[derive(Debug, Clone, Copy)]
pub struct TableRef<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
    vtable: usize,
    vtable_len: usize,
}

impl<'a> TableRef<'a> {
    /// The root table of a finished buffer.
    pub fn root(buf: &'a [u8]) -> Result<Self> {
        Self::at(buf, u32_at(buf, 0)? as usize)
    }

    pub fn at(buf: &'a [u8], pos: usize) -> Result<Self> {
        let vtable = (pos as i64) - i32_at(buf, pos)? as i64;
        if vtable < 0 {
            return Err(ReadError(format!("table at {pos} points at a vtable before the buffer")));
        }
        let vtable = vtable as usize;
        let vtable_len = u16_at(buf, vtable)? as usize;
        if vtable_len < 4 || vtable + vtable_len > buf.len() {
            return Err(ReadError(format!("table at {pos} has a malformed vtable")));
        }
        Ok(Self { buf, pos, vtable, vtable_len })
    }

    /// Absolute position of field `id`, or None when it is absent.
    pub fn field(&self, id: u16) -> Result<Option<usize>> {
        let entry = 4 + 2 * id as usize;
        if entry + 2 > self.vtable_len {
            return Ok(None);
        }
        match u16_at(self.buf, self.vtable + entry)? {
            0 => Ok(None),
            offset => Ok(Some(self.pos + offset as usize)),
        }
    }

    fn indirect(&self, id: u16) -> Result<Option<usize>> {
        match self.field(id)? {
            Some(at) => Ok(Some(at + u32_at(self.buf, at)? as usize)),
            None => Ok(None),
        }
    }

    pub fn u8(&self, id: u16, default: u8) -> Result<u8> {
        self.field(id)?.map_or(Ok(default), |at| u8_at(self.buf, at))
    }
    pub fn bool(&self, id: u16) -> Result<bool> {
        Ok(self.u8(id, 0)? != 0)
    }
    pub fn u16(&self, id: u16, default: u16) -> Result<u16> {
        self.field(id)?.map_or(Ok(default), |at| u16_at(self.buf, at))
    }
    pub fn u32(&self, id: u16, default: u32) -> Result<u32> {
        self.field(id)?.map_or(Ok(default), |at| u32_at(self.buf, at))
    }
    pub fn i32(&self, id: u16, default: i32) -> Result<i32> {
        self.field(id)?.map_or(Ok(default), |at| i32_at(self.buf, at))
    }
    pub fn i64(&self, id: u16, default: i64) -> Result<i64> {
        self.field(id)?.map_or(Ok(default), |at| i64_at(self.buf, at))
    }
    pub fn f64(&self, id: u16, default: f64) -> Result<f64> {
        self.field(id)?.map_or(Ok(default), |at| f64_at(self.buf, at))
    }

    pub fn str(&self, id: u16) -> Result<Option<&'a str>> {
        match self.indirect(id)? {
            Some(at) => {
                let len = u32_at(self.buf, at)? as usize;
                let raw = self
                    .buf
                    .get(at + 4..at + 4 + len)
                    .ok_or_else(|| ReadError(format!("string at {at} runs past the buffer")))?;
                std::str::from_utf8(raw)
                    .map(Some)
                    .map_err(|_| ReadError(format!("string at {at} is not UTF-8")))
            }
            None => Ok(None),
        }
    }

    pub fn table(&self, id: u16) -> Result<Option<TableRef<'a>>> {
        self.indirect(id)?.map(|at| TableRef::at(self.buf, at)).transpose()
    }

    /// A vector field: position of its first element and its length.
    pub fn vector(&self, id: u16, element_size: usize) -> Result<Option<VectorRef<'a>>> {
        match self.indirect(id)? {
            Some(at) => {
                let len = u32_at(self.buf, at)? as usize;
                len.checked_mul(element_size)
                    .and_then(|n| n.checked_add(at + 4))
                    .filter(|&end| end <= self.buf.len())
                    .ok_or_else(|| ReadError(format!("vector at {at} runs past the buffer")))?;
                Ok(Some(VectorRef { buf: self.buf, start: at + 4, len, element_size }))
            }
            None => Ok(None),
        }
    }
}

/// A vector inside a buffer; bounds were checked when it was created.
#[derive(Debug, Clone, Copy)]
pub struct VectorRef<'a> {
    pub buf: &'a [u8],
    pub start: usize,
    pub len: usize,
    element_size: usize,
}

impl<'a> VectorRef<'a> {
    pub fn element(&self, i: usize) -> usize {
        self.start + i * self.element_size
    }

    /// Element `i` of a vector of tables.
    pub fn table(&self, i: usize) -> Result<TableRef<'a>> {
        let at = self.element(i);
        TableRef::at(self.buf, at + u32_at(self.buf, at)? as usize)
    }

    /// Element `i` of a vector of strings.
    pub fn str(&self, i: usize) -> Result<&'a str> {
        let at = self.element(i);
        let at = at + u32_at(self.buf, at)? as usize;
        let len = u32_at(self.buf, at)? as usize;
        let raw = self
            .buf
            .get(at + 4..at + 4 + len)
            .ok_or_else(|| ReadError(format!("string at {at} runs past the buffer")))?;
        std::str::from_utf8(raw).map_err(|_| ReadError(format!("string at {at} is not UTF-8")))
    }

    pub fn bytes(&self) -> &'a [u8] {
        &self.buf[self.start..self.start + self.len * self.element_size]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_are_errors_not_panics(buf in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(root) = TableRef::root(&buf) {
                for id in 0..8 {
                    let _ = root.str(id);
                    let _ = root.table(id);
                    if let Ok(Some(vector)) = root.vector(id, 4) {
                        for i in 0..vector.len.min(4) {
                            let _ = vector.str(i);
                        }
                    }
                }
            }
        }
    }
}
