//! The schema model of typed endpoints, as read from the manifest (docs/TYPED-APIS.md).

use regex::Regex;

/// Index into [`Schema::types`].
pub type TypeId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Number,
    Integer,
    Boolean,
    Date,
    Literal,
    Enum,
    Array,
    Object,
    Record,
    Union,
}

impl Kind {
    pub fn from_code(code: u8) -> Option<Kind> {
        use Kind::*;
        [String, Number, Integer, Boolean, Date, Literal, Enum, Array, Object, Record, Union]
            .get(code as usize)
            .copied()
    }
}

/// A literal type's one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Number(f64),
    Boolean(bool),
}

/// A validation rule, compiled.
#[derive(Debug, Clone)]
pub enum Rule {
    Min(f64),
    Max(f64),
    MinLen(f64),
    MaxLen(f64),
    MatchesRegexp(Regex),
    StartsWith(String),
    EndsWith(String),
    IsEmail,
    IsUrl,
}

impl Rule {
    /// The tag's name as users write it, for error details.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Min(_) => "Min",
            Rule::Max(_) => "Max",
            Rule::MinLen(_) => "MinLen",
            Rule::MaxLen(_) => "MaxLen",
            Rule::MatchesRegexp(_) => "MatchesRegexp",
            Rule::StartsWith(_) => "StartsWith",
            Rule::EndsWith(_) => "EndsWith",
            Rule::IsEmail => "IsEmail",
            Rule::IsUrl => "IsURL",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Body,
    Query,
    Header,
    Cookie,
    Path,
    Response,
}

impl Source {
    pub fn from_code(code: u8) -> Option<Source> {
        use Source::*;
        [Body, Query, Header, Cookie, Path, Response].get(code as usize).copied()
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Body => "body",
            Source::Query => "query",
            Source::Header => "header",
            Source::Cookie => "cookie",
            Source::Path => "path",
            Source::Response => "response",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: TypeId,
    pub optional: bool,
    pub nullable: bool,
    pub source: Source,
    /// Header/query/cookie/path name (lowercase for headers).
    pub wire_name: String,
    /// FlatBuffers field id of the value (of the value part, for unions).
    pub id: u16,
    /// FlatBuffers field id of the `__null` flag (nullable fields only).
    pub null_id: u16,
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub kind: Kind,
    pub name: Option<String>,
    pub rules: Vec<Rule>,
    pub element: TypeId,
    pub fields: Vec<Field>,
    pub variants: Vec<TypeId>,
    pub enum_values: Vec<String>,
    pub literal: Option<Literal>,
}

impl TypeDef {
    /// A type of `kind` with `rules` and nothing else set; fill in the rest with struct update
    /// syntax (`TypeDef { element, ..TypeDef::of(Kind::Array, vec![]) }`).
    pub fn of(kind: Kind, rules: Vec<Rule>) -> TypeDef {
        TypeDef { kind, name: None, rules, element: 0, fields: vec![], variants: vec![], enum_values: vec![], literal: None }
    }
}

impl Field {
    /// A required, non-nullable field whose wire name is its name.
    pub fn new(name: &str, ty: TypeId, source: Source, id: u16) -> Field {
        Field { name: name.into(), ty, optional: false, nullable: false, source, wire_name: name.into(), id, null_id: 0 }
    }
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub method: String,
    pub path: String,
    pub request: Option<TypeId>,
    pub response: Option<TypeId>,
    pub raw: bool,
}

/// Every type and endpoint of an app, checked for internal consistency.
#[derive(Debug, Clone)]
pub struct Schema {
    pub types: Vec<TypeDef>,
    pub endpoints: Vec<Endpoint>,
}
