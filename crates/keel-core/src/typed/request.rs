//! Decodes one request of a typed endpoint: path params, query, headers and cookies as text,
//! and the JSON body, into the request object's table.

use std::borrow::Cow;

use super::decoder::{Decoder, Scratch, Segment, ValidationError, Value};
use super::json::decode_object_fields;
use super::reader::Reader;
use super::model::{Field, Kind, Schema, Source, TypeId};
use super::rules::check_length;
use super::scalar::{encode, Scalar};

/// The parts of an HTTP request a typed endpoint can read.
pub struct RequestParts<'a> {
    /// Path params of the matched route, raw (percent-encoded).
    pub path_params: &'a [(&'a str, &'a str)],
    /// The query string without `?`.
    pub query: Option<&'a str>,
    /// Looks up a header by lowercase name.
    pub header: &'a dyn Fn(&str) -> Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// One endpoint's decoder, reused for every request on a thread.
pub struct RequestDecoder<'s> {
    dec: Decoder<'s>,
    ty: TypeId,
    has_body_fields: bool,
}

fn parse_cookies(header: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    std::str::from_utf8(header)
        .unwrap_or("")
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| {
            let value = value.trim();
            (name.trim(), value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value))
        })
}

impl<'s> RequestDecoder<'s> {
    /// A decoder for request type `ty`, which must be an Object in `schema`.
    pub fn new(schema: &'s Schema, ty: TypeId) -> Self {
        Self::with_scratch(schema, ty, Scratch::default())
    }

    /// The same, reusing buffers from an earlier decoder (see [`into_scratch`](Self::into_scratch)).
    pub fn with_scratch(schema: &'s Schema, ty: TypeId, scratch: Scratch) -> Self {
        let has_body_fields = schema.types[ty].fields.iter().any(|f| f.source == Source::Body);
        Self { dec: Decoder::new(ty_guard(schema, ty), scratch), ty, has_body_fields }
    }

    /// The payload of the last successful [`decode`](Self::decode).
    pub fn payload(&self) -> &[u8] {
        self.dec.builder.finished_data()
    }

    pub fn into_scratch(self) -> Scratch {
        self.dec.into_scratch()
    }

    /// Validates and encodes a request; the payload is valid until the next call.
    pub fn decode(&mut self, parts: &RequestParts<'_>) -> Result<&[u8], ValidationError> {
        self.dec.reset();
        let marks = self.dec.begin_object(self.ty);
        if self.has_body_fields && !parts.body.iter().all(u8::is_ascii_whitespace) {
            self.decode_body(parts.body, marks)?;
        }
        let fields = &self.dec.schema.types[self.ty].fields;
        // Each query field scans the query string for its own name: queries are short, and this
        // keeps a request free of any allocation for its pairs.
        let query = parts.query.unwrap_or("");
        let cookie_header = (parts.header)("cookie");
        for (index, field) in fields.iter().enumerate() {
            self.dec.source = field.source;
            self.dec.path.clear();
            self.dec.path.push(Segment::Field { ty: self.ty, index });
            let value = match field.source {
                Source::Body | Source::Response => continue,
                Source::Path => match parts.path_params.iter().find(|(name, _)| *name == field.wire_name) {
                    Some((_, raw)) => match percent_encoding::percent_decode_str(raw).decode_utf8() {
                        Ok(text) => self.text(field, &text),
                        Err(_) => self.fail_not_utf8(),
                    },
                    None => continue,
                },
                Source::Query => {
                    let name = field.wire_name.as_str();
                    let mut values = super::query::pairs(query).filter(|(k, _)| k == name).map(|(_, v)| v);
                    let Some(first) = values.next() else { continue };
                    if self.dec.schema.types[field.ty].kind == Kind::Array {
                        self.text_array(field, &mut std::iter::once(first).chain(values))
                    } else {
                        self.text(field, &first)
                    }
                }
                Source::Header => match (parts.header)(&field.wire_name) {
                    Some(raw) => match std::str::from_utf8(raw) {
                        Ok(text) => self.text(field, text),
                        Err(_) => self.fail_not_utf8(),
                    },
                    None => continue,
                },
                Source::Cookie => {
                    let found = cookie_header.and_then(|h| parse_cookies(h).find(|(n, _)| *n == field.wire_name));
                    match found {
                        Some((_, text)) => self.text(field, text),
                        None => continue,
                    }
                }
            };
            let value = value.ok_or_else(|| self.take_error())?;
            if !self.dec.set_field(marks, field, index, value) {
                return Err(self.take_error());
            }
        }
        self.dec.path.clear();
        let root = self.dec.end_object(self.ty, marks).ok_or_else(|| self.take_error())?;
        Ok(self.dec.finish(root))
    }

    fn decode_body(&mut self, body: &[u8], marks: (usize, usize)) -> Result<(), ValidationError> {
        self.dec.source = Source::Body;
        // One UTF-8 check of the whole body lets the parser borrow every string as it is,
        // instead of checking each one on its own.
        let text = match std::str::from_utf8(body) {
            Ok(text) => text,
            Err(e) => return Err(body_error(format!("is not valid JSON (not UTF-8 at byte {})", e.valid_up_to()))),
        };
        let mut reader = Reader::new(text);
        let parsed = match reader.peek() {
            Some(b'{') => {
                reader.bump();
                let fields = &self.dec.schema.types[self.ty].fields;
                let in_body = |i: usize| fields[i].source == Source::Body;
                decode_object_fields(&mut self.dec, &mut reader, self.ty, marks, &in_body).and_then(|()| reader.end())
            }
            Some(b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => return Err(body_error("must be a JSON object".to_owned())),
            _ => reader.expected_value(),
        };
        if parsed.is_ok() {
            return Ok(());
        }
        if let Some(error) = self.dec.error.take() {
            return Err(error);
        }
        let message = match reader.error {
            Some(syntax) => format!("is not valid JSON ({})", syntax.describe(text)),
            None => "is not valid JSON".to_owned(),
        };
        Err(body_error(message))
    }

    fn text(&mut self, field: &Field, text: &str) -> Option<Value> {
        encode(&mut self.dec, field.ty, Scalar::Text(text))
    }

    fn text_array(&mut self, field: &Field, values: &mut dyn Iterator<Item = Cow<'_, str>>) -> Option<Value> {
        let def = &self.dec.schema.types[field.ty];
        let (element, mark) = (def.element, self.dec.elements.len());
        let mut count = 0;
        for text in values {
            self.dec.path.push(Segment::Index(count));
            let value = encode(&mut self.dec, element, Scalar::Text(&text))?;
            self.dec.path.pop();
            self.dec.elements.push(value);
            count += 1;
        }
        if let Err(broken) = check_length(count, &self.dec.schema.types[field.ty].rules) {
            self.dec.fail_rule(broken);
            return None;
        }
        Some(self.dec.end_array(element, mark))
    }

    fn fail_not_utf8(&mut self) -> Option<Value> {
        self.dec.fail("type", "is not valid UTF-8");
        None
    }

    fn take_error(&mut self) -> ValidationError {
        self.dec.error.take().unwrap_or_else(|| ValidationError {
            field: self.dec.path_string(),
            source: self.dec.source,
            rule: "type",
            message: "is invalid".to_owned(),
        })
    }
}

/// A refusal of the body as a whole (no field to name).
fn body_error(message: String) -> ValidationError {
    ValidationError { field: String::new(), source: Source::Body, rule: "json", message }
}

fn ty_guard(schema: &Schema, ty: TypeId) -> &Schema {
    assert_eq!(schema.types[ty].kind, Kind::Object, "a request type is an object (checked when loading)");
    schema
}
