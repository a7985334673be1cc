//! Leaf values: checks a JSON scalar or a text value (query, header, cookie, path) against a
//! primitive, literal, enum or union type and its rules, and encodes it.

use super::decoder::{Decoder, Value};
use super::model::{Kind, Literal, Schema, TypeId};
use super::rules::{check_number, check_string, is_rfc3339, Broken};

/// A leaf value as it arrived.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Bool(bool),
    /// A JSON integer as f64, and whether it is exactly representable (|n| ≤ 2^53).
    Int(f64, bool),
    Float(f64),
    Str(&'a str),
    /// Text from the URL or a header: parsed according to the expected type.
    Text(&'a str),
}

/// "a string", "one of \"John\", \"Foo\"", … for error messages.
pub fn describe(schema: &Schema, ty: TypeId) -> String {
    let def = &schema.types[ty];
    match def.kind {
        Kind::String => "a string".into(),
        Kind::Number => "a number".into(),
        Kind::Integer => "an integer".into(),
        Kind::Boolean => "a boolean".into(),
        Kind::Date => "an RFC 3339 date-time string".into(),
        Kind::Literal => match &def.literal {
            Some(Literal::String(s)) => format!("{s:?}"),
            Some(Literal::Number(n)) => format!("{n}"),
            Some(Literal::Boolean(b)) => format!("{b}"),
            None => "a literal".into(),
        },
        Kind::Enum => {
            let values: Vec<String> = def.enum_values.iter().map(|v| format!("{v:?}")).collect();
            format!("one of {}", values.join(", "))
        }
        Kind::Array => "an array".into(),
        Kind::Object | Kind::Record => "an object".into(),
        Kind::Union => {
            let variants: Vec<String> = def.variants.iter().map(|&v| describe(schema, v)).collect();
            variants.join(" or ")
        }
    }
}

/// The value as the kind would read it from text, or None when the text does not parse.
fn from_text<'t>(kind: Kind, literal: Option<&Literal>, text: &'t str) -> Option<Scalar<'t>> {
    let number = || text.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    match kind {
        Kind::Number => number().map(Scalar::Float),
        // Digits alone parse exactly, so a value past 2^53 is refused instead of rounded.
        Kind::Integer => match text.trim().parse::<i64>() {
            Ok(n) => Some(Scalar::Int(n as f64, n.unsigned_abs() <= 1 << 53)),
            Err(_) => number().map(Scalar::Float),
        },
        Kind::Boolean => match text {
            "true" => Some(Scalar::Bool(true)),
            "false" => Some(Scalar::Bool(false)),
            _ => None,
        },
        Kind::Literal => match literal? {
            Literal::String(_) => Some(Scalar::Str(text)),
            Literal::Number(_) => number().map(Scalar::Float),
            Literal::Boolean(_) => from_text(Kind::Boolean, None, text),
        },
        _ => Some(Scalar::Str(text)),
    }
}

/// Why a scalar does not fit a non-union type. A wrong type carries no message: a union tries
/// its variants in order and most of them miss for that reason, so the message is made only
/// when the miss is reported.
enum Misfit {
    WrongType,
    Broken(Broken),
}

/// Checks `scalar` against non-union type `ty`; on success returns the value to store.
fn fit(dec: &mut Decoder<'_>, ty: TypeId, scalar: Scalar<'_>) -> Result<Value, Misfit> {
    let def = &dec.schema.types[ty];
    let scalar = match scalar {
        Scalar::Text(text) => from_text(def.kind, def.literal.as_ref(), text).ok_or(Misfit::WrongType)?,
        other => other,
    };
    match (def.kind, scalar) {
        (Kind::String, Scalar::Str(s)) => {
            check_string(s, &def.rules).map_err(Misfit::Broken)?;
            Ok(dec.create_string(s))
        }
        (Kind::Date, Scalar::Str(s)) => {
            if !is_rfc3339(s) {
                return Err(Misfit::WrongType);
            }
            check_string(s, &def.rules).map_err(Misfit::Broken)?;
            Ok(dec.create_string(s))
        }
        (Kind::Number, Scalar::Int(n, _) | Scalar::Float(n)) => {
            check_number(n, &def.rules).map_err(Misfit::Broken)?;
            Ok(Value::F64(n))
        }
        (Kind::Integer, Scalar::Int(n, exact)) if exact_integer(n, exact) => {
            check_number(n, &def.rules).map_err(Misfit::Broken)?;
            Ok(Value::I64(n as i64))
        }
        (Kind::Integer, Scalar::Float(n)) if exact_integer(n, true) => {
            check_number(n, &def.rules).map_err(Misfit::Broken)?;
            Ok(Value::I64(n as i64))
        }
        (Kind::Boolean, Scalar::Bool(b)) => Ok(Value::Bool(b)),
        (Kind::Enum, Scalar::Str(s)) => match def.enum_values.iter().position(|v| v == s) {
            Some(index) => Ok(Value::U8(index as u8)),
            None => Err(Misfit::WrongType),
        },
        (Kind::Literal, _) => match (def.literal.as_ref(), scalar) {
            (Some(Literal::String(l)), Scalar::Str(s)) if l == s => Ok(dec.create_string(s)),
            (Some(&Literal::Number(l)), Scalar::Int(n, _) | Scalar::Float(n)) if l == n => Ok(Value::F64(n)),
            (Some(&Literal::Boolean(l)), Scalar::Bool(b)) if l == b => Ok(Value::Bool(b)),
            _ => Err(Misfit::WrongType),
        },
        _ => Err(Misfit::WrongType),
    }
}

fn exact_integer(n: f64, exact: bool) -> bool {
    exact && n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0
}

/// Checks and encodes a scalar for type `ty` (a union tries its variants in order). On failure
/// the error is recorded in the decoder and None returned.
pub fn encode(dec: &mut Decoder<'_>, ty: TypeId, scalar: Scalar<'_>) -> Option<Value> {
    let def = &dec.schema.types[ty];
    if def.kind != Kind::Union {
        return match fit(dec, ty, scalar) {
            Ok(value) => Some(value),
            Err(misfit) => {
                report(dec, ty, misfit);
                None
            }
        };
    }
    let mut first_broken_rule: Option<Broken> = None;
    for (position, &variant) in def.variants.iter().enumerate() {
        match fit(dec, variant, scalar) {
            Ok(value) => return Some(dec.wrap_union(position as u8 + 1, value)),
            // A variant of the right type that broke a rule explains the failure best.
            Err(Misfit::Broken(broken)) if first_broken_rule.is_none() => first_broken_rule = Some(broken),
            Err(_) => {}
        }
    }
    report(dec, ty, first_broken_rule.map_or(Misfit::WrongType, Misfit::Broken));
    None
}

/// Records why a value of type `ty` was refused.
fn report(dec: &mut Decoder<'_>, ty: TypeId, misfit: Misfit) {
    match misfit {
        Misfit::WrongType => {
            let message = format!("must be {}", describe(dec.schema, ty));
            dec.fail("type", message);
        }
        Misfit::Broken(broken) => dec.fail_rule(broken),
    }
}
