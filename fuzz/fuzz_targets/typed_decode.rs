//! Feeds arbitrary bytes to the typed request decoder as a JSON body, against two schemas.
//!
//! - `skip_all`: one optional field no input names, so every member is skipped. The reader must
//!   then accept a body exactly when serde_json reads it as a JSON object: its syntax checks
//!   are held to serde_json's, both ways.
//! - `wide`: the Encore.ts benchmark's fields (made optional, so more inputs get deep) plus a
//!   nested object, a record, a date, a string array and an integer. Decoding never panics, an
//!   accepted payload is a FlatBuffer that reads back, and nothing serde_json refuses is accepted.
//!
//! A body of whitespace only is "no body" to the decoder and an error to serde_json, and
//! serde_json gives up past 128 levels of nesting where the reader skips on: both are left out
//! of the comparisons.

#![no_main]

use std::sync::OnceLock;

use keel_core::fbs_read::TableRef;
use keel_core::typed::model::{Field, Kind, Rule, Schema, Source, TypeDef};
use keel_core::typed::{RequestDecoder, RequestParts};
use libfuzzer_sys::fuzz_target;
use regex::Regex;

fuzz_target!(|body: &[u8]| {
    static SKIP_ALL: OnceLock<Schema> = OnceLock::new();
    static WIDE: OnceLock<Schema> = OnceLock::new();
    let no_headers = |_: &str| None;
    let parts = RequestParts { path_params: &[], query: None, header: &no_headers, body };
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let serde_object = if blank { None } else { serde_json_object(body) };

    let mut decoder = RequestDecoder::new(SKIP_ALL.get_or_init(skip_all), 0);
    let accepted = decoder.decode(&parts).is_ok();
    if let Some(object) = serde_object {
        assert_eq!(accepted, object, "the reader and serde_json disagree on {:?}", String::from_utf8_lossy(body));
    }

    let mut decoder = RequestDecoder::new(WIDE.get_or_init(wide), 0);
    if let Ok(payload) = decoder.decode(&parts) {
        assert!(TableRef::root(payload).is_ok(), "an accepted body's payload does not read back");
        assert_ne!(serde_object, Some(false), "accepted what serde_json refuses: {:?}", String::from_utf8_lossy(body));
    }
});

/// Whether serde_json reads `body` as an object; None past its nesting limit.
fn serde_json_object(body: &[u8]) -> Option<bool> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => Some(value.is_object()),
        Err(error) if error.to_string().starts_with("recursion limit exceeded") => None,
        Err(_) => Some(false),
    }
}

fn skip_all() -> Schema {
    let types = vec![
        TypeDef { fields: vec![optional(Field::new("\u{1}unnamed", 1, Source::Body, 0))], ..TypeDef::of(Kind::Object, vec![]) },
        TypeDef::of(Kind::String, vec![]),
    ];
    Schema { types, endpoints: vec![] }
}

fn wide() -> Schema {
    let mut types = vec![TypeDef::of(Kind::Object, vec![])];
    let mut add = |def: TypeDef| {
        types.push(def);
        types.len() - 1
    };
    let string = add(TypeDef::of(Kind::String, vec![]));
    let number = add(TypeDef::of(Kind::Number, vec![]));
    let integer = add(TypeDef::of(Kind::Integer, vec![]));
    let boolean = add(TypeDef::of(Kind::Boolean, vec![]));
    let three_integers = add(TypeDef { element: integer, ..TypeDef::of(Kind::Array, vec![Rule::MaxLen(3.0)]) });
    let bool_or_number = add(TypeDef { variants: vec![boolean, number], ..TypeDef::of(Kind::Union, vec![]) });
    let short_string = add(TypeDef::of(Kind::String, vec![Rule::MaxLen(5.0)]));
    let ten_or_more = add(TypeDef::of(Kind::Number, vec![Rule::Min(10.0)]));
    let restricted = add(TypeDef { variants: vec![short_string, ten_or_more], ..TypeDef::of(Kind::Union, vec![]) });
    let names = add(TypeDef { enum_values: vec!["John".into(), "Foo".into()], ..TypeDef::of(Kind::Enum, vec![]) });
    let email = add(TypeDef::of(Kind::String, vec![Rule::IsEmail]));
    let slug = add(TypeDef::of(Kind::String, vec![Rule::MatchesRegexp(Regex::new("^[a-z-]+$").expect("a valid pattern"))]));
    let author = add(TypeDef {
        fields: vec![Field::new("email", email, Source::Body, 0), optional(Field::new("slug", slug, Source::Body, 1))],
        ..TypeDef::of(Kind::Object, vec![])
    });
    let tags = add(TypeDef { element: number, ..TypeDef::of(Kind::Record, vec![]) });
    let date = add(TypeDef::of(Kind::Date, vec![]));
    let strings = add(TypeDef { element: string, ..TypeDef::of(Kind::Array, vec![]) });
    types[0].fields = vec![
        optional(Field::new("someKey", string, Source::Body, 0)),
        optional(Field::new("someOtherKey", number, Source::Body, 1)),
        optional(Field::new("requiredKey", three_integers, Source::Body, 2)),
        Field { nullable: true, null_id: 4, ..optional(Field::new("nullableKey", number, Source::Body, 3)) },
        optional(Field::new("multipleTypesKey", bool_or_number, Source::Body, 6)),
        optional(Field::new("multipleRestrictedTypesKey", restricted, Source::Body, 8)),
        optional(Field::new("enumKey", names, Source::Body, 9)),
        optional(Field::new("author", author, Source::Body, 10)),
        optional(Field::new("tags", tags, Source::Body, 11)),
        optional(Field::new("when", date, Source::Body, 12)),
        optional(Field::new("labels", strings, Source::Body, 13)),
        optional(Field::new("count", integer, Source::Body, 14)),
    ];
    Schema { types, endpoints: vec![] }
}

fn optional(field: Field) -> Field {
    Field { optional: true, ..field }
}
