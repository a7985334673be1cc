//! JSON → FlatBuffers, driven by serde_json's parser and the schema: each value is checked and
//! encoded as soon as it is parsed (see `decoder.rs` for how open objects are held).
//!
//! Errors travel as a serde error to unwind the parser; the structured error stays in the
//! decoder (`Decoder::error`), set by the first failure.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::decoder::{Decoder, Segment, Value, MAX_DEPTH};
use super::model::{Kind, Schema, TypeId};
use super::rules::check_length;
use super::scalar::{describe, Scalar};

/// Decodes the JSON value for type `ty` (`nullable` allows `null`).
pub struct ValueSeed<'d, 's> {
    pub dec: &'d mut Decoder<'s>,
    pub ty: TypeId,
    pub nullable: bool,
}

fn abort<E: de::Error>() -> E {
    E::custom("invalid request")
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ValueSeed<'_, '_> {
    fn scalar<E: de::Error>(self, scalar: Scalar<'_>) -> Result<Value, E> {
        match super::scalar::encode(self.dec, self.ty, scalar) {
            Some(value) => Ok(value),
            None => Err(abort()),
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self.dec.schema, self.ty))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.scalar(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.scalar(Scalar::Int(v as f64, v.unsigned_abs() <= 1 << 53))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.scalar(Scalar::Int(v as f64, v <= 1 << 53))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.scalar(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.scalar(Scalar::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        if self.nullable {
            Ok(Value::Null)
        } else {
            let expected = describe(self.dec.schema, self.ty);
            self.dec.fail("type", format!("must be {expected}, not null"));
            Err(abort())
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let ValueSeed { dec, ty, .. } = self;
        let def = &dec.schema.types[ty];
        if def.kind != Kind::Array {
            let expected = describe(dec.schema, ty);
            dec.fail("type", format!("must be {expected}, not an array"));
            return Err(abort());
        }
        enter(dec)?;
        let (element, mark) = (def.element, dec.elements.len());
        let mut index = 0;
        loop {
            dec.path.push(Segment::Index(index));
            let next = seq.next_element_seed(ValueSeed { dec: &mut *dec, ty: element, nullable: false })?;
            dec.path.pop();
            match next {
                Some(value) => dec.elements.push(value),
                None => break,
            }
            index += 1;
        }
        if let Err(broken) = check_length(index, &dec.schema.types[ty].rules) {
            dec.fail_rule(broken);
            return Err(abort());
        }
        dec.depth -= 1;
        Ok(dec.end_array(element, mark))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        let ValueSeed { dec, ty, .. } = self;
        match dec.schema.types[ty].kind {
            Kind::Object => {
                enter(dec)?;
                let value = decode_object(dec, ty, map, |_| true)?;
                dec.depth -= 1;
                Ok(value)
            }
            Kind::Record => {
                enter(dec)?;
                let value = decode_record(dec, ty, map)?;
                dec.depth -= 1;
                Ok(value)
            }
            _ => {
                let expected = describe(dec.schema, ty);
                dec.fail("type", format!("must be {expected}, not an object"));
                Err(abort())
            }
        }
    }
}

fn enter<E: de::Error>(dec: &mut Decoder<'_>) -> Result<(), E> {
    dec.depth += 1;
    if dec.depth > MAX_DEPTH {
        dec.fail("json", format!("nests deeper than {MAX_DEPTH} levels"));
        return Err(abort());
    }
    Ok(())
}

/// Resolves an object key to the index of a field that `accept` admits, without allocating.
struct KeySeed<'s> {
    schema: &'s Schema,
    ty: TypeId,
    accept: &'s dyn Fn(usize) -> bool,
    /// The field tried first: the one after the previous key's. Clients mostly send the fields
    /// in their declared order, and then one comparison finds each.
    hint: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        let fields = &self.schema.types[self.ty].fields;
        let index = match fields.get(self.hint) {
            Some(field) if field.name == key => Some(self.hint),
            _ => fields.iter().position(|f| f.name == key),
        };
        Ok(index.filter(|&i| (self.accept)(i)))
    }
}

/// Decodes the JSON object's keys that name fields admitted by `accept` into the fields of an
/// object of type `ty`, opened by the caller (`marks`) or here. Other keys are skipped.
pub fn decode_object_fields<'de, A: MapAccess<'de>>(
    dec: &mut Decoder<'_>,
    ty: TypeId,
    marks: (usize, usize),
    mut map: A,
    accept: &dyn Fn(usize) -> bool,
) -> Result<(), A::Error> {
    let schema = dec.schema;
    let mut hint = 0;
    while let Some(found) = map.next_key_seed(KeySeed { schema, ty, accept, hint })? {
        let Some(index) = found else {
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        hint = index + 1;
        let field = &schema.types[ty].fields[index];
        dec.path.push(Segment::Field { ty, index });
        let value = map.next_value_seed(ValueSeed { dec: &mut *dec, ty: field.ty, nullable: field.nullable })?;
        if !dec.set_field(marks, field, index, value) {
            return Err(abort());
        }
        dec.path.pop();
    }
    Ok(())
}

fn decode_object<'de, A: MapAccess<'de>>(
    dec: &mut Decoder<'_>,
    ty: TypeId,
    map: A,
    accept: impl Fn(usize) -> bool,
) -> Result<Value, A::Error> {
    let marks = dec.begin_object(ty);
    decode_object_fields(dec, ty, marks, map, &accept)?;
    dec.end_object(ty, marks).ok_or_else(abort)
}

/// `Record<string, T>`: a vector of `{ key, value }` entry tables, in input order.
fn decode_record<'de, A: MapAccess<'de>>(dec: &mut Decoder<'_>, ty: TypeId, mut map: A) -> Result<Value, A::Error> {
    let element = dec.schema.types[ty].element;
    let value_id = if dec.schema.types[element].kind == Kind::Union { 2 } else { 1 };
    let mark = dec.elements.len();
    // A repeated key is refused, as in an object: the handler's plain object could hold only
    // one of the values, and MaxLen would have counted both.
    let mut keys: HashSet<Cow<'de, str>> = HashSet::new();
    while let Some(key) = map.next_key::<Cow<'de, str>>()? {
        if !keys.insert(key.clone()) {
            dec.path.push(Segment::Entry(key.into_owned()));
            dec.fail("json", "appears twice");
            return Err(abort());
        }
        let key_offset = dec.create_string(&key);
        dec.path.push(Segment::Entry(key.into_owned()));
        let value = map.next_value_seed(ValueSeed { dec: &mut *dec, ty: element, nullable: false })?;
        dec.path.pop();
        let entry = dec.builder.start_table();
        if let Value::Offset(o) = key_offset {
            dec.builder.push_slot_always(4, flatbuffers::WIPOffset::<()>::new(o));
        }
        match value {
            Value::Bool(v) => dec.builder.push_slot_always(4 + 2 * value_id, v),
            Value::U8(v) => dec.builder.push_slot_always(4 + 2 * value_id, v),
            Value::I64(v) => dec.builder.push_slot_always(4 + 2 * value_id, v),
            Value::F64(v) => dec.builder.push_slot_always(4 + 2 * value_id, v),
            Value::Offset(o) => dec.builder.push_slot_always(4 + 2 * value_id, flatbuffers::WIPOffset::<()>::new(o)),
            Value::Union { code, offset } => {
                dec.builder.push_slot_always(4 + 2 * (value_id - 1), code);
                dec.builder.push_slot_always(4 + 2 * value_id, flatbuffers::WIPOffset::<()>::new(offset));
            }
            Value::Null => {}
        }
        let entry = dec.builder.end_table(entry).value();
        dec.elements.push(Value::Offset(entry));
    }
    if let Err(broken) = check_length(dec.elements.len() - mark, &dec.schema.types[ty].rules) {
        dec.fail_rule(broken);
        return Err(abort());
    }
    let n = dec.elements.len() - mark;
    dec.builder.start_vector::<flatbuffers::WIPOffset<()>>(n);
    for value in dec.elements[mark..].iter().rev() {
        if let Value::Offset(o) = *value {
            dec.builder.push(flatbuffers::WIPOffset::<()>::new(o));
        }
    }
    let offset = dec.builder.end_vector::<flatbuffers::WIPOffset<()>>(n).value();
    dec.elements.truncate(mark);
    Ok(Value::Offset(offset))
}
