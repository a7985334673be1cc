//! JSON → FlatBuffers, driven by the schema: the walk asks the reader for the value each field
//! expects, and checks and encodes it as soon as it is read (see `decoder.rs` for how open
//! objects are held).
//!
//! A failure is recorded where it is found (a rule or type in the decoder, the syntax in the
//! reader) and the walk unwinds with [`Abort`].

use std::borrow::Cow;
use std::collections::HashSet;

use super::decoder::{Decoder, Segment, Value, MAX_DEPTH};
use super::model::{Kind, TypeId};
use super::reader::{Abort, Reader, Step};
use super::rules::check_length;
use super::scalar::{describe, encode, Scalar};

/// Decodes the value at the reader for type `ty` (`nullable` allows `null`).
pub fn decode_value(dec: &mut Decoder<'_>, r: &mut Reader<'_>, ty: TypeId, nullable: bool) -> Step<Value> {
    let value = match r.peek() {
        Some(b'"') => {
            let text = r.string()?;
            return scalar(dec, ty, Scalar::Str(&text));
        }
        Some(b'-' | b'0'..=b'9') => r.number()?,
        Some(b't') => {
            r.word(b"true")?;
            Scalar::Bool(true)
        }
        Some(b'f') => {
            r.word(b"false")?;
            Scalar::Bool(false)
        }
        Some(b'n') => {
            r.word(b"null")?;
            if nullable {
                return Ok(Value::Null);
            }
            return mismatch(dec, ty, "null");
        }
        Some(b'[') => {
            r.bump();
            return decode_array(dec, r, ty);
        }
        Some(b'{') => {
            r.bump();
            return match dec.schema.types[ty].kind {
                Kind::Object => nested(dec, |dec| {
                    let marks = dec.begin_object(ty);
                    decode_object_fields(dec, r, ty, marks, &|_| true)?;
                    dec.end_object(ty, marks).ok_or(Abort)
                }),
                Kind::Record => nested(dec, |dec| decode_record(dec, r, ty)),
                _ => mismatch(dec, ty, "an object"),
            };
        }
        _ => return r.expected_value(),
    };
    scalar(dec, ty, value)
}

fn scalar(dec: &mut Decoder<'_>, ty: TypeId, scalar: Scalar<'_>) -> Step<Value> {
    encode(dec, ty, scalar).ok_or(Abort)
}

/// "must be a string, not an array" for a value whose JSON shape `ty` can never take.
fn mismatch<T>(dec: &mut Decoder<'_>, ty: TypeId, found: &str) -> Step<T> {
    let expected = describe(dec.schema, ty);
    dec.fail("type", format!("must be {expected}, not {found}"));
    Err(Abort)
}

/// Runs `body` one nesting level deeper, refusing past [`MAX_DEPTH`]: the walk recurses once
/// per level, so this bounds its stack.
fn nested<T>(dec: &mut Decoder<'_>, body: impl FnOnce(&mut Decoder<'_>) -> Step<T>) -> Step<T> {
    dec.depth += 1;
    if dec.depth > MAX_DEPTH {
        dec.fail("json", format!("nests deeper than {MAX_DEPTH} levels"));
        return Err(Abort);
    }
    let result = body(dec);
    dec.depth -= 1;
    result
}

/// After `[`: the elements, checked and encoded one by one, then the array's own rules.
fn decode_array(dec: &mut Decoder<'_>, r: &mut Reader<'_>, ty: TypeId) -> Step<Value> {
    let def = &dec.schema.types[ty];
    if def.kind != Kind::Array {
        return mismatch(dec, ty, "an array");
    }
    let element = def.element;
    nested(dec, |dec| {
        let mark = dec.elements.len();
        let mut more = r.first_element()?;
        let mut index = 0;
        while more {
            dec.path.push(Segment::Index(index));
            let value = decode_value(dec, r, element, false)?;
            dec.path.pop();
            dec.elements.push(value);
            index += 1;
            more = r.next_element()?;
        }
        if let Err(broken) = check_length(index, &dec.schema.types[ty].rules) {
            dec.fail_rule(broken);
            return Err(Abort);
        }
        Ok(dec.end_array(element, mark))
    })
}

/// After `{`: decodes the keys that name fields admitted by `accept` into the fields of the
/// object of type `ty` opened with `marks`, and skips the others (whatever their depth: the
/// reader skips without recursing).
pub fn decode_object_fields(
    dec: &mut Decoder<'_>,
    r: &mut Reader<'_>,
    ty: TypeId,
    marks: (usize, usize),
    accept: &dyn Fn(usize) -> bool,
) -> Step<()> {
    let fields = &dec.schema.types[ty].fields;
    // The field tried first: the one after the previous key's. Clients mostly send the fields
    // in their declared order, and then the key is matched in place, without reading it.
    let mut hint = 0;
    let mut more = r.first_member()?;
    while more {
        let expected = fields.get(hint).filter(|_| accept(hint));
        let index = match expected {
            Some(field) if r.key_is(&field.name)? => Some(hint),
            _ => {
                let key = r.key()?;
                fields.iter().position(|f| f.name == key).filter(|&i| accept(i))
            }
        };
        match index {
            None => r.skip_value()?,
            Some(index) => {
                hint = index + 1;
                let field = &fields[index];
                dec.path.push(Segment::Field { ty, index });
                let value = decode_value(dec, r, field.ty, field.nullable)?;
                if !dec.set_field(marks, field, index, value) {
                    return Err(Abort);
                }
                dec.path.pop();
            }
        }
        more = r.next_member()?;
    }
    Ok(())
}

/// After `{`, for `Record<string, T>`: a vector of `{ key, value }` entry tables, in input order.
fn decode_record<'a>(dec: &mut Decoder<'_>, r: &mut Reader<'a>, ty: TypeId) -> Step<Value> {
    let element = dec.schema.types[ty].element;
    let value_id = if dec.schema.types[element].kind == Kind::Union { 2 } else { 1 };
    let mark = dec.elements.len();
    // A repeated key is refused, as in an object: the handler's plain object could hold only
    // one of the values, and MaxLen would have counted both.
    let mut keys: HashSet<Cow<'a, str>> = HashSet::new();
    let mut more = r.first_member()?;
    while more {
        let key = r.key()?;
        if !keys.insert(key.clone()) {
            dec.path.push(Segment::Entry(key.into_owned()));
            dec.fail("json", "appears twice");
            return Err(Abort);
        }
        let key_offset = dec.create_string(&key);
        dec.path.push(Segment::Entry(key.into_owned()));
        let value = decode_value(dec, r, element, false)?;
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
        more = r.next_member()?;
    }
    if let Err(broken) = check_length(dec.elements.len() - mark, &dec.schema.types[ty].rules) {
        dec.fail_rule(broken);
        return Err(Abort);
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
