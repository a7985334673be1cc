//! Loads the binary manifest (schemas/manifest.fbs) into a [`Schema`], checking every index and
//! compiling every rule, so that decoding later never meets an inconsistency.

use regex::Regex;

use super::model::*;
use crate::fbs_read::{ReadError, TableRef};

/// Why a manifest was refused; the message names the type or endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError(pub String);

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid Keel manifest: {}", self.0)
    }
}

impl std::error::Error for ManifestError {}

impl From<ReadError> for ManifestError {
    fn from(e: ReadError) -> Self {
        ManifestError(format!("corrupt buffer ({e}); regenerate it with `keel gen`"))
    }
}

const SUPPORTED_VERSION: u32 = 1;

// Field ids in manifest.fbs, per table.
mod id {
    pub mod rule {
        pub const KIND: u16 = 0;
        pub const VALUE: u16 = 1;
        pub const TEXT: u16 = 2;
    }
    pub mod field {
        pub const NAME: u16 = 0;
        pub const TYPE: u16 = 1;
        pub const OPTIONAL: u16 = 2;
        pub const NULLABLE: u16 = 3;
        pub const SOURCE: u16 = 4;
        pub const WIRE_NAME: u16 = 5;
        pub const ID: u16 = 6;
        pub const NULL_ID: u16 = 7;
    }
    pub mod ty {
        pub const KIND: u16 = 0;
        pub const NAME: u16 = 1;
        pub const RULES: u16 = 3;
        pub const ELEMENT: u16 = 4;
        pub const FIELDS: u16 = 5;
        pub const VARIANTS: u16 = 6;
        pub const ENUM_VALUES: u16 = 7;
        pub const LITERAL_KIND: u16 = 8;
        pub const LITERAL_STRING: u16 = 9;
        pub const LITERAL_NUMBER: u16 = 10;
        pub const LITERAL_BOOL: u16 = 11;
    }
    pub mod endpoint {
        pub const NAME: u16 = 0;
        pub const METHOD: u16 = 1;
        pub const PATH: u16 = 2;
        pub const REQUEST: u16 = 3;
        pub const RESPONSE: u16 = 4;
        pub const RAW: u16 = 5;
    }
    pub mod manifest {
        pub const VERSION: u16 = 0;
        pub const TYPES: u16 = 1;
        pub const ENDPOINTS: u16 = 2;
    }
}

/// Parses and checks a manifest.
pub fn load(buf: &[u8]) -> Result<Schema, ManifestError> {
    if buf.get(4..8) != Some(b"KEEL") {
        return Err(ManifestError("missing the KEEL file identifier; is this a manifest made by `keel gen`?".into()));
    }
    let root = TableRef::root(buf)?;
    let version = root.u32(id::manifest::VERSION, 0)?;
    if version != SUPPORTED_VERSION {
        return Err(ManifestError(format!(
            "version {version}, but this runtime reads version {SUPPORTED_VERSION}; regenerate with the matching `keel gen`"
        )));
    }
    let mut types = Vec::new();
    if let Some(list) = root.vector(id::manifest::TYPES, 4)? {
        for i in 0..list.len {
            types.push(read_type(list.table(i)?, i)?);
        }
    }
    let mut endpoints = Vec::new();
    if let Some(list) = root.vector(id::manifest::ENDPOINTS, 4)? {
        for i in 0..list.len {
            endpoints.push(read_endpoint(list.table(i)?)?);
        }
    }
    let schema = Schema { types, endpoints };
    check(&schema)?;
    Ok(schema)
}

fn read_rule(t: TableRef<'_>, owner: usize) -> Result<Rule, ManifestError> {
    let value = t.f64(id::rule::VALUE, 0.0)?;
    let text = || -> Result<String, ManifestError> {
        Ok(t.str(id::rule::TEXT)?.unwrap_or_default().to_owned())
    };
    Ok(match t.u8(id::rule::KIND, 0)? {
        0 => Rule::Min(value),
        1 => Rule::Max(value),
        2 => Rule::MinLen(value),
        3 => Rule::MaxLen(value),
        4 => {
            let pattern = text()?;
            Rule::MatchesRegexp(Regex::new(&pattern).map_err(|e| {
                ManifestError(format!("type {owner}: MatchesRegexp<{pattern:?}> cannot be compiled: {e}"))
            })?)
        }
        5 => Rule::StartsWith(text()?),
        6 => Rule::EndsWith(text()?),
        7 => Rule::IsEmail,
        8 => Rule::IsUrl,
        other => return Err(ManifestError(format!("type {owner}: unknown rule kind {other}"))),
    })
}

fn read_field(t: TableRef<'_>) -> Result<Field, ManifestError> {
    let name = t.str(id::field::NAME)?.unwrap_or_default().to_owned();
    let source = Source::from_code(t.u8(id::field::SOURCE, 0)?)
        .ok_or_else(|| ManifestError(format!("field {name}: unknown source")))?;
    let wire_name = t.str(id::field::WIRE_NAME)?.map(str::to_owned).unwrap_or_else(|| name.clone());
    Ok(Field {
        ty: t.u32(id::field::TYPE, 0)? as usize,
        optional: t.bool(id::field::OPTIONAL)?,
        nullable: t.bool(id::field::NULLABLE)?,
        wire_name: if source == Source::Header { wire_name.to_ascii_lowercase() } else { wire_name },
        source,
        id: t.u16(id::field::ID, 0)?,
        null_id: t.u16(id::field::NULL_ID, 0)?,
        name,
    })
}

fn read_type(t: TableRef<'_>, index: usize) -> Result<TypeDef, ManifestError> {
    let kind = Kind::from_code(t.u8(id::ty::KIND, 0)?)
        .ok_or_else(|| ManifestError(format!("type {index}: unknown kind")))?;
    let mut rules = Vec::new();
    if let Some(list) = t.vector(id::ty::RULES, 4)? {
        for i in 0..list.len {
            rules.push(read_rule(list.table(i)?, index)?);
        }
    }
    let mut fields = Vec::new();
    if let Some(list) = t.vector(id::ty::FIELDS, 4)? {
        for i in 0..list.len {
            fields.push(read_field(list.table(i)?)?);
        }
    }
    let variants = match t.vector(id::ty::VARIANTS, 4)? {
        Some(list) => (0..list.len)
            .map(|i| crate::fbs_read::u32_at(list.buf, list.element(i)).map(|v| v as usize))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let enum_values = match t.vector(id::ty::ENUM_VALUES, 4)? {
        Some(list) => (0..list.len).map(|i| list.str(i).map(str::to_owned)).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let literal = match kind {
        Kind::Literal => Some(match t.u8(id::ty::LITERAL_KIND, 0)? {
            0 => Literal::String(t.str(id::ty::LITERAL_STRING)?.unwrap_or_default().to_owned()),
            1 => Literal::Number(t.f64(id::ty::LITERAL_NUMBER, 0.0)?),
            _ => Literal::Boolean(t.bool(id::ty::LITERAL_BOOL)?),
        }),
        _ => None,
    };
    Ok(TypeDef {
        kind,
        name: t.str(id::ty::NAME)?.map(str::to_owned),
        rules,
        element: t.u32(id::ty::ELEMENT, 0)? as usize,
        fields,
        variants,
        enum_values,
        literal,
    })
}

fn read_endpoint(t: TableRef<'_>) -> Result<Endpoint, ManifestError> {
    let index = |v: i32| (v >= 0).then_some(v as usize);
    Ok(Endpoint {
        name: t.str(id::endpoint::NAME)?.unwrap_or_default().to_owned(),
        method: t.str(id::endpoint::METHOD)?.unwrap_or("*").to_owned(),
        path: t.str(id::endpoint::PATH)?.unwrap_or_default().to_owned(),
        request: index(t.i32(id::endpoint::REQUEST, -1)?),
        response: index(t.i32(id::endpoint::RESPONSE, -1)?),
        raw: t.bool(id::endpoint::RAW)?,
    })
}

/// Every index in range, every kind's required parts present, no unions inside unions.
fn check(schema: &Schema) -> Result<(), ManifestError> {
    let count = schema.types.len();
    let in_range = |what: &str, owner: usize, ty: TypeId| {
        if ty < count {
            Ok(())
        } else {
            Err(ManifestError(format!("type {owner}: {what} refers to missing type {ty}")))
        }
    };
    for (i, t) in schema.types.iter().enumerate() {
        match t.kind {
            Kind::Array | Kind::Record => in_range("element", i, t.element)?,
            Kind::Union => {
                if t.variants.is_empty() {
                    return Err(ManifestError(format!("type {i}: a union with no variants")));
                }
                for &v in &t.variants {
                    in_range("variant", i, v)?;
                    if matches!(schema.types[v].kind, Kind::Union | Kind::Object | Kind::Array | Kind::Record) {
                        return Err(ManifestError(format!("type {i}: union variants must be primitives, literals or enums")));
                    }
                }
            }
            Kind::Enum if t.enum_values.is_empty() || t.enum_values.len() > 255 => {
                return Err(ManifestError(format!("type {i}: an enum needs 1 to 255 values")));
            }
            _ => {}
        }
        for f in &t.fields {
            in_range(&format!("field {}", f.name), i, f.ty)?;
        }
    }
    for e in &schema.endpoints {
        for ty in [e.request, e.response].into_iter().flatten() {
            if ty >= count {
                return Err(ManifestError(format!("endpoint {}: refers to missing type {ty}", e.name)));
            }
        }
        if let Some(request) = e.request {
            if schema.types[request].kind != Kind::Object {
                return Err(ManifestError(format!("endpoint {}: the request type must be an object", e.name)));
            }
        }
    }
    Ok(())
}
