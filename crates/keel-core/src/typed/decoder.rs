//! The decoder's state: one FlatBuffers builder, the current field path, and two stacks that
//! hold the encoded fields of the objects and the elements of the arrays still open.
//!
//! Invariant: an open object owns `slots[mark..]` and `seen[seen_mark..]`; nested values push
//! above and truncate back when they close, so the stacks are reused for every request and no
//! tree of the input is ever built.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::model::{Field, Kind, Schema, Source, TypeId};
use super::rules::Broken;

/// An encoded value waiting to be stored in its parent table or vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Bool(bool),
    U8(u8),
    I64(i64),
    F64(f64),
    /// A string, table or vector already in the builder.
    Offset(u32),
    /// A union: its type code and its wrapper table.
    Union { code: u8, offset: u32 },
    /// JSON `null` for a nullable field.
    Null,
}

/// One step of the path to the value being decoded.
#[derive(Debug, Clone)]
pub enum Segment {
    /// Field `index` of object type `ty` (named only when an error is reported, so a valid
    /// request's path costs no allocation).
    Field { ty: TypeId, index: usize },
    Index(usize),
    /// A key of a `Record<string, T>`: always shown quoted, `tags["k"]`.
    Entry(String),
}

/// Why a request is invalid. Serialized into the 400 body's `details`.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationError {
    /// Path from the request object, e.g. `a.b[2]` or `tags["k"]`.
    pub field: String,
    pub source: Source,
    /// The tag that failed, or "type", "required", "json".
    pub rule: &'static str,
    pub message: String,
}

impl ValidationError {
    /// `{"code":"invalid_argument","message":…,"details":{"field":…,"source":…,"rule":…}}`.
    ///
    /// Serialized from borrowed fields in one pass: an invalid request is answered entirely in
    /// Rust, so this runs once per refused request of a flood.
    pub fn to_json(&self) -> String {
        let label = self.source.label();
        let message = if self.field.is_empty() {
            format!("{label}: {}", self.message)
        } else {
            format!("{label}.{}: {}", self.field, self.message)
        };
        let body = ErrorBody {
            code: "invalid_argument",
            message: &message,
            details: ErrorDetails { field: &self.field, source: label, rule: self.rule },
        };
        // Borrowed strings always serialize; the fallback keeps this free of any panic path.
        serde_json::to_string(&body).unwrap_or_else(|_| FALLBACK_ERROR_BODY.to_owned())
    }
}

const FALLBACK_ERROR_BODY: &str = r#"{"code":"invalid_argument","message":"the request is invalid"}"#;

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
    details: ErrorDetails<'a>,
}

#[derive(serde::Serialize)]
struct ErrorDetails<'a> {
    field: &'a str,
    source: &'static str,
    rule: &'static str,
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.rule)
    }
}

/// Deepest nesting of arrays and objects accepted in a body.
pub const MAX_DEPTH: usize = 64;

/// The decoder's reusable buffers, kept apart from any schema so a thread can hold one for
/// every endpoint of every runtime.
pub struct Scratch {
    builder: FlatBufferBuilder<'static>,
    path: Vec<Segment>,
    slots: Vec<(u16, Value)>,
    seen: Vec<bool>,
    elements: Vec<Value>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self {
            builder: FlatBufferBuilder::with_capacity(1024),
            path: Vec::new(),
            slots: Vec::new(),
            seen: Vec::new(),
            elements: Vec::new(),
        }
    }
}

pub struct Decoder<'s> {
    pub schema: &'s Schema,
    pub builder: FlatBufferBuilder<'static>,
    pub path: Vec<Segment>,
    pub source: Source,
    pub error: Option<ValidationError>,
    pub depth: usize,
    pub slots: Vec<(u16, Value)>,
    pub seen: Vec<bool>,
    pub elements: Vec<Value>,
}

/// Vtable slot for FlatBuffers field `id`.
fn vt(id: u16) -> flatbuffers::VOffsetT {
    4 + 2 * id
}

impl<'s> Decoder<'s> {
    pub fn new(schema: &'s Schema, scratch: Scratch) -> Self {
        let Scratch { builder, path, slots, seen, elements } = scratch;
        Self { schema, builder, path, source: Source::Body, error: None, depth: 0, slots, seen, elements }
    }

    /// Gives the buffers back for reuse with another schema.
    pub fn into_scratch(self) -> Scratch {
        let Decoder { builder, path, slots, seen, elements, .. } = self;
        Scratch { builder, path, slots, seen, elements }
    }

    pub fn reset(&mut self) {
        self.builder.reset();
        self.path.clear();
        self.error = None;
        self.depth = 0;
        self.slots.clear();
        self.seen.clear();
        self.elements.clear();
    }

    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                Segment::Field { ty, index } => {
                    let name = &self.schema.types[*ty].fields[*index].name;
                    if out.is_empty() {
                        out.push_str(name);
                    } else if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                        out.push('.');
                        out.push_str(name);
                    } else {
                        out.push_str(&format!("[{name:?}]"));
                    }
                }
                Segment::Entry(key) => out.push_str(&format!("[{key:?}]")),
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// Records the first error (later ones are consequences of unwinding).
    pub fn fail(&mut self, rule: &'static str, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(ValidationError {
                field: self.path_string(),
                source: self.source,
                rule,
                message: message.into(),
            });
        }
    }

    pub fn fail_rule(&mut self, broken: Broken) {
        self.fail(broken.rule, broken.message);
    }

    pub fn create_string(&mut self, s: &str) -> Value {
        Value::Offset(self.builder.create_string(s).value())
    }

    /// A union wrapper table `{ value: … }` around a scalar or string.
    pub fn wrap_union(&mut self, code: u8, value: Value) -> Value {
        let table = self.builder.start_table();
        self.push_value(0, value);
        let offset = self.builder.end_table(table).value();
        Value::Union { code, offset }
    }

    fn push_value(&mut self, id: u16, value: Value) {
        let b = &mut self.builder;
        match value {
            Value::Bool(v) => b.push_slot_always(vt(id), v),
            Value::U8(v) => b.push_slot_always(vt(id), v),
            Value::I64(v) => b.push_slot_always(vt(id), v),
            Value::F64(v) => b.push_slot_always(vt(id), v),
            Value::Offset(o) => b.push_slot_always(vt(id), WIPOffset::<()>::new(o)),
            Value::Union { code, offset } => {
                b.push_slot_always(vt(id - 1), code);
                b.push_slot_always(vt(id), WIPOffset::<()>::new(offset));
            }
            Value::Null => b.push_slot_always(vt(id), true),
        }
    }

    // ---- objects ----

    /// Opens an object of type `ty`; returns the marks to pass to [`end_object`].
    pub fn begin_object(&mut self, ty: TypeId) -> (usize, usize) {
        let marks = (self.slots.len(), self.seen.len());
        let count = self.schema.types[ty].fields.len();
        self.seen.resize(marks.1 + count, false);
        marks
    }

    /// Stores field `index` of the open object. False (and an error) when it was already set.
    pub fn set_field(&mut self, marks: (usize, usize), field: &Field, index: usize, value: Value) -> bool {
        let seen = &mut self.seen[marks.1 + index];
        if *seen {
            self.fail("json", "appears twice");
            return false;
        }
        *seen = true;
        let id = if value == Value::Null { field.null_id } else { field.id };
        self.slots.push((id, value));
        true
    }

    /// Checks required fields, writes the table, and pops the object's stack entries.
    pub fn end_object(&mut self, ty: TypeId, marks: (usize, usize)) -> Option<Value> {
        let fields = &self.schema.types[ty].fields;
        if let Some(missing) = (0..fields.len()).find(|&i| !self.seen[marks.1 + i] && !fields[i].optional) {
            self.source = fields[missing].source;
            self.path.push(Segment::Field { ty, index: missing });
            self.fail("required", "is required");
            return None;
        }
        let table = self.builder.start_table();
        // Widest values first keeps the table's padding small.
        for i in marks.0..self.slots.len() {
            let (id, value) = self.slots[i];
            if matches!(value, Value::I64(_) | Value::F64(_)) {
                self.push_value(id, value);
            }
        }
        for i in marks.0..self.slots.len() {
            let (id, value) = self.slots[i];
            if !matches!(value, Value::I64(_) | Value::F64(_)) {
                self.push_value(id, value);
            }
        }
        let offset = self.builder.end_table(table).value();
        self.slots.truncate(marks.0);
        self.seen.truncate(marks.1);
        Some(Value::Offset(offset))
    }

    // ---- arrays ----

    /// Writes `elements[mark..]` as a vector of `element` type values and pops them.
    pub fn end_array(&mut self, element: TypeId, mark: usize) -> Value {
        let kind = self.schema.types[element].kind;
        let n = self.elements.len() - mark;
        let b = &mut self.builder;
        macro_rules! vector {
            ($t:ty, $pat:pat => $v:expr) => {{
                b.start_vector::<$t>(n);
                for value in self.elements[mark..].iter().rev() {
                    if let $pat = *value {
                        b.push::<$t>($v);
                    }
                }
                b.end_vector::<$t>(n).value()
            }};
        }
        let offset = match kind {
            Kind::Number => vector!(f64, Value::F64(v) => v),
            Kind::Integer => vector!(i64, Value::I64(v) => v),
            Kind::Boolean => vector!(bool, Value::Bool(v) => v),
            Kind::Enum => vector!(u8, Value::U8(v) => v),
            Kind::Literal => match self.schema.types[element].literal {
                Some(super::model::Literal::Number(_)) => vector!(f64, Value::F64(v) => v),
                Some(super::model::Literal::Boolean(_)) => vector!(bool, Value::Bool(v) => v),
                _ => vector!(WIPOffset<()>, Value::Offset(o) => WIPOffset::new(o)),
            },
            _ => vector!(WIPOffset<()>, Value::Offset(o) => WIPOffset::new(o)),
        };
        self.elements.truncate(mark);
        Value::Offset(offset)
    }

    /// Finishes the buffer with `root` as its root table.
    pub fn finish(&mut self, root: Value) -> &[u8] {
        let Value::Offset(offset) = root else { unreachable!("a root is always a table") };
        self.builder.finish_minimal(WIPOffset::<()>::new(offset));
        self.builder.finished_data()
    }
}
