//! The typed request decoder on the Encore.ts benchmark schema: accepted requests read back
//! field by field, every rejection carries the right path, source and rule, and arbitrary input
//! never panics.

use keel_core::fbs_read::TableRef;
use keel_core::typed::model::*;
use keel_core::typed::{RequestDecoder, RequestParts, ValidationError};
use proptest::prelude::*;
use regex::Regex;

/// The schema of `POST /schema` in the Encore.ts benchmark, plus a nested object and a record
/// to cover those kinds.
fn schema() -> Schema {
    let mut types = vec![TypeDef::of(Kind::Object, vec![])];
    let mut add = |t: TypeDef| {
        types.push(t);
        types.len() - 1
    };
    let string = add(TypeDef::of(Kind::String, vec![]));
    let number = add(TypeDef::of(Kind::Number, vec![]));
    let integer = add(TypeDef::of(Kind::Integer, vec![]));
    let boolean = add(TypeDef::of(Kind::Boolean, vec![]));
    let required_key = add(TypeDef { element: integer, ..TypeDef::of(Kind::Array, vec![Rule::MaxLen(3.0)]) });
    let bool_or_number = add(TypeDef { variants: vec![boolean, number], ..TypeDef::of(Kind::Union, vec![]) });
    let short_string = add(TypeDef::of(Kind::String, vec![Rule::MaxLen(5.0)]));
    let big_number = add(TypeDef::of(Kind::Number, vec![Rule::Min(10.0)]));
    let restricted = add(TypeDef { variants: vec![short_string, big_number], ..TypeDef::of(Kind::Union, vec![]) });
    let names = add(TypeDef { enum_values: vec!["John".into(), "Foo".into()], ..TypeDef::of(Kind::Enum, vec![]) });
    let email = add(TypeDef::of(Kind::String, vec![Rule::IsEmail]));
    let slug = add(TypeDef::of(Kind::String, vec![Rule::MatchesRegexp(Regex::new("^[a-z-]+$").unwrap())]));
    let author = add(TypeDef {
        fields: vec![Field::new("email", email, Source::Body, 0), Field { optional: true, ..Field::new("slug", slug, Source::Body, 1) }],
        ..TypeDef::of(Kind::Object, vec![])
    });
    let tags = add(TypeDef { element: number, ..TypeDef::of(Kind::Record, vec![]) });
    let when = add(TypeDef::of(Kind::Date, vec![]));
    let positive = add(TypeDef::of(Kind::Integer, vec![Rule::Min(1.0)]));
    let optional = |f: Field| Field { optional: true, ..f };
    types[0].fields = vec![
        optional(Field::new("someKey", string, Source::Body, 0)),
        optional(Field::new("someOtherKey", number, Source::Body, 1)),
        Field::new("requiredKey", required_key, Source::Body, 2),
        Field { nullable: true, null_id: 4, ..optional(Field::new("nullableKey", number, Source::Body, 3)) },
        optional(Field::new("multipleTypesKey", bool_or_number, Source::Body, 6)),
        optional(Field::new("multipleRestrictedTypesKey", restricted, Source::Body, 8)),
        optional(Field::new("enumKey", names, Source::Body, 9)),
        Field::new("name", string, Source::Query, 10),
        Field::new("excitement", integer, Source::Query, 11),
        Field { wire_name: "x-foo".into(), ..Field::new("xFoo", string, Source::Header, 12) },
        optional(Field::new("author", author, Source::Body, 13)),
        optional(Field::new("tags", tags, Source::Body, 14)),
        optional(Field::new("when", when, Source::Body, 15)),
        optional(Field { wire_name: "session".into(), ..Field::new("session", string, Source::Cookie, 16) }),
        optional(Field::new("page", positive, Source::Path, 17)),
    ];
    Schema { types, endpoints: vec![] }
}

const GOOD_BODY: &str = r#"{"someKey":"test","someOtherKey":123,"requiredKey":[123,456,789],"nullableKey":null,"multipleTypesKey":true,"multipleRestrictedTypesKey":"test","enumKey":"John"}"#;

struct Request<'a> {
    query: Option<&'a str>,
    headers: Vec<(&'a str, &'a [u8])>,
    params: Vec<(&'a str, &'a str)>,
    body: &'a str,
}

impl<'a> Request<'a> {
    fn encore(body: &'a str) -> Self {
        Request { query: Some("name=test&excitement=123"), headers: vec![("x-foo", b"test")], params: vec![], body }
    }
}

fn decode(schema: &Schema, request: &Request<'_>) -> Result<Vec<u8>, ValidationError> {
    let mut decoder = RequestDecoder::new(schema, 0);
    let header = |name: &str| request.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let parts = RequestParts { path_params: &request.params, query: request.query, header: &header, body: request.body.as_bytes() };
    decoder.decode(&parts).map(<[u8]>::to_vec)
}

fn reject(request: &Request<'_>) -> ValidationError {
    decode(&schema(), request).expect_err("the request is invalid")
}

#[test]
fn the_benchmark_request_decodes_and_reads_back() {
    let payload = decode(&schema(), &Request::encore(GOOD_BODY)).expect("valid");
    assert_reads_as_the_benchmark_request(&payload);
}

#[test]
fn fields_are_found_in_any_order_with_unknown_keys_between() {
    // The decoder tries the field after the previous one first; any other order must find the
    // same fields.
    let reordered = r#"{"enumKey":"John","extra":{"a":[1,2]},"multipleRestrictedTypesKey":"test","multipleTypesKey":true,"nullableKey":null,"requiredKey":[123,456,789],"x":1,"someOtherKey":123,"someKey":"test"}"#;
    let payload = decode(&schema(), &Request::encore(reordered)).expect("valid");
    assert_reads_as_the_benchmark_request(&payload);
}

fn assert_reads_as_the_benchmark_request(payload: &[u8]) {
    let root = TableRef::root(payload).unwrap();
    assert_eq!(root.str(0).unwrap(), Some("test"));
    assert_eq!(root.f64(1, 0.0).unwrap(), 123.0);
    let required = root.vector(2, 8).unwrap().unwrap();
    let values: Vec<i64> = (0..required.len).map(|i| keel_core::fbs_read::i64_at(payload, required.element(i)).unwrap()).collect();
    assert_eq!(values, [123, 456, 789]);
    assert_eq!(root.field(3).unwrap(), None, "null: no value");
    assert!(root.bool(4).unwrap(), "null: the flag is set");
    assert_eq!(root.u8(5, 0).unwrap(), 1, "true matched the first variant, boolean");
    assert!(root.table(6).unwrap().unwrap().bool(0).unwrap());
    assert_eq!(root.u8(7, 0).unwrap(), 1, "\"test\" matched the short-string variant");
    assert_eq!(root.table(8).unwrap().unwrap().str(0).unwrap(), Some("test"));
    assert_eq!(root.u8(9, 99).unwrap(), 0, "John is enum value 0");
    assert_eq!(root.str(10).unwrap(), Some("test"));
    assert_eq!(root.i64(11, 0).unwrap(), 123);
    assert_eq!(root.str(12).unwrap(), Some("test"));
}

#[test]
fn null_and_missing_are_different() {
    let missing = decode(&schema(), &Request::encore(r#"{"requiredKey":[]}"#)).unwrap();
    let root = TableRef::root(&missing).unwrap();
    assert_eq!((root.field(3).unwrap(), root.field(4).unwrap()), (None, None));
    let present = decode(&schema(), &Request::encore(r#"{"requiredKey":[],"nullableKey":-1.5e300}"#)).unwrap();
    let root = TableRef::root(&present).unwrap();
    assert_eq!(root.f64(3, 0.0).unwrap(), -1.5e300);
    assert_eq!(root.field(4).unwrap(), None);
}

#[test]
fn numbers_unicode_nested_objects_records_dates_cookies_and_path_params() {
    let body = r#"{"requiredKey":[-9007199254740992, 0, 9007199254740992],"someKey":"héllo 🌍 \u00e9\n",
        "multipleTypesKey": 12.5, "multipleRestrictedTypesKey": 10,
        "author":{"email":"ada@example.org","slug":"ada-l"},"tags":{"a":1,"ü":2.5},"when":"2026-11-21T10:00:00Z"}"#;
    let mut request = Request::encore(body);
    request.headers.push(("cookie", b"theme=dark; session=\"abc 1\""));
    request.params.push(("page", "4%32"));
    let payload = decode(&schema(), &request).expect("valid");
    let root = TableRef::root(&payload).unwrap();
    let required = root.vector(2, 8).unwrap().unwrap();
    assert_eq!(keel_core::fbs_read::i64_at(&payload, required.element(0)).unwrap(), -9007199254740992);
    assert_eq!(root.str(0).unwrap(), Some("héllo 🌍 é\n"));
    assert_eq!((root.u8(5, 0).unwrap(), root.table(6).unwrap().unwrap().f64(0, 0.0).unwrap()), (2, 12.5));
    assert_eq!((root.u8(7, 0).unwrap(), root.table(8).unwrap().unwrap().f64(0, 0.0).unwrap()), (2, 10.0));
    let author = root.table(13).unwrap().unwrap();
    assert_eq!((author.str(0).unwrap(), author.str(1).unwrap()), (Some("ada@example.org"), Some("ada-l")));
    let tags = root.vector(14, 4).unwrap().unwrap();
    let second = tags.table(1).unwrap();
    assert_eq!((second.str(0).unwrap(), second.f64(1, 0.0).unwrap()), (Some("ü"), 2.5));
    assert_eq!(root.str(15).unwrap(), Some("2026-11-21T10:00:00Z"));
    assert_eq!(root.str(16).unwrap(), Some("abc 1"), "cookie value, quotes removed");
    assert_eq!(root.i64(17, 0).unwrap(), 42, "path param percent-decoded then parsed");
}

#[test]
fn each_rule_and_type_rejects_with_path_source_and_rule() {
    let cases: Vec<(Request<'_>, &str, &str, &str, &str)> = vec![
        (Request::encore(r#"{"requiredKey":[1,2,3,4]}"#), "requiredKey", "body", "MaxLen", "must have at most 3 items"),
        (Request::encore(r#"{"requiredKey":[1,2.5]}"#), "requiredKey[1]", "body", "type", "must be an integer"),
        (Request::encore(r#"{"requiredKey":[9007199254740993]}"#), "requiredKey[0]", "body", "type", "must be an integer"),
        (Request::encore(r#"{"requiredKey":[],"enumKey":"Bar"}"#), "enumKey", "body", "type", r#"must be one of "John", "Foo""#),
        (Request::encore(r#"{"requiredKey":[],"multipleRestrictedTypesKey":"toolong"}"#), "multipleRestrictedTypesKey", "body", "MaxLen", "must be at most 5 characters long"),
        (Request::encore(r#"{"requiredKey":[],"multipleRestrictedTypesKey":5}"#), "multipleRestrictedTypesKey", "body", "Min", "must be at least 10"),
        (Request::encore(r#"{"requiredKey":[],"multipleTypesKey":"x"}"#), "multipleTypesKey", "body", "type", "must be a boolean or a number"),
        (Request::encore(r#"{"requiredKey":[],"someKey":null}"#), "someKey", "body", "type", "must be a string, not null"),
        (Request::encore(r#"{"someKey":"x"}"#), "requiredKey", "body", "required", "is required"),
        (Request::encore(r#"{"requiredKey":[],"author":{"email":"nope"}}"#), "author.email", "body", "IsEmail", "must be an email address"),
        (Request::encore(r#"{"requiredKey":[],"author":{"email":"a@b.co","slug":"Bad Slug"}}"#), "author.slug", "body", "MatchesRegexp", "must match /^[a-z-]+$/"),
        (Request::encore(r#"{"requiredKey":[],"author":{}}"#), "author.email", "body", "required", "is required"),
        (Request::encore(r#"{"requiredKey":[],"tags":{"x y":"1"}}"#), r#"tags["x y"]"#, "body", "type", "must be a number"),
        (Request::encore(r#"{"requiredKey":[],"when":"yesterday"}"#), "when", "body", "type", "must be an RFC 3339 date-time string"),
        (Request::encore(r#"{"requiredKey":[],"requiredKey":[]}"#), "requiredKey", "body", "json", "appears twice"),
        (Request::encore("[1]"), "", "body", "json", "must be a JSON object"),
        (Request { query: Some("name=test"), ..Request::encore(r#"{"requiredKey":[]}"#) }, "excitement", "query", "required", "is required"),
        (Request { query: Some("name=test&excitement=1.5"), ..Request::encore(r#"{"requiredKey":[]}"#) }, "excitement", "query", "type", "must be an integer"),
        (Request { headers: vec![], ..Request::encore(r#"{"requiredKey":[]}"#) }, "xFoo", "header", "required", "is required"),
        (Request { params: vec![("page", "0")], ..Request::encore(r#"{"requiredKey":[]}"#) }, "page", "path", "Min", "must be at least 1"),
        (Request { params: vec![("page", "9007199254740993")], ..Request::encore(r#"{"requiredKey":[]}"#) }, "page", "path", "type", "must be an integer"),
        (Request { query: Some("name=test&excitement=9007199254740993"), ..Request::encore(r#"{"requiredKey":[]}"#) }, "excitement", "query", "type", "must be an integer"),
    ];
    for (request, field, source, rule, message) in cases {
        let error = reject(&request);
        assert_eq!(
            (error.field.as_str(), error.source.label(), error.rule, error.message.as_str()),
            (field, source, rule, message),
            "body {}",
            request.body
        );
    }
}

#[test]
fn broken_json_is_a_json_error_naming_the_position() {
    let error = reject(&Request::encore(r#"{"requiredKey":[1,2"#));
    assert_eq!((error.rule, error.source), ("json", Source::Body));
    assert!(error.message.starts_with("is not valid JSON"), "{}", error.message);
    assert!(reject(&Request::encore(r#"{"requiredKey":[]} trailing"#)).message.contains("trailing"));
}

#[test]
fn a_body_that_is_not_utf8_is_a_json_error_naming_the_byte() {
    let schema = schema();
    let mut decoder = RequestDecoder::new(&schema, 0);
    let header = |name: &str| (name == "x-foo").then_some(b"test".as_slice());
    let body = b"{\"requiredKey\":[],\"someKey\":\"caf\xe9\"}";
    let parts = RequestParts { path_params: &[], query: Some("name=test&excitement=123"), header: &header, body };
    let error = decoder.decode(&parts).expect_err("Latin-1 bytes are not UTF-8");
    assert_eq!((error.rule, error.source, error.field.as_str()), ("json", Source::Body, ""));
    assert_eq!(error.message, "is not valid JSON (not UTF-8 at byte 32)");
}

#[test]
fn deep_nesting_is_refused_without_exhausting_the_stack() {
    let deep = format!(r#"{{"requiredKey":{}1{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    let error = reject(&Request::encore(&deep));
    assert_eq!(error.rule, "type", "an array of arrays is not an integer: {error:?}");
    let deep_object = format!(r#"{{"requiredKey":[],"author":{}}}"#, r#"{"email":"#.repeat(50_000));
    assert_eq!(reject(&Request::encore(&deep_object)).field, "author.email");
    // Unknown keys are skipped by the reader's iterative skipper: no recursion, so no depth
    // limit is needed there (memory is bounded by the body-size limit).
    let unknown_deep = format!(r#"{{"requiredKey":[],"ignored":{}0{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert!(decode(&schema(), &Request::encore(&unknown_deep)).is_ok());
}

#[test]
fn the_error_body_has_the_documented_shape() {
    let error = reject(&Request::encore(r#"{"requiredKey":[1,2,3,4]}"#));
    let json: serde_json::Value = serde_json::from_str(&error.to_json()).unwrap();
    assert_eq!(json["code"], "invalid_argument");
    assert_eq!(json["message"], "body.requiredKey: must have at most 3 items");
    assert_eq!(json["details"], serde_json::json!({"field":"requiredKey","source":"body","rule":"MaxLen"}));
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let schema = schema();
        let mut decoder = RequestDecoder::new(&schema, 0);
        let header = |name: &str| (name == "x-foo").then_some(&b"t"[..]);
        let parts = RequestParts { path_params: &[], query: Some("name=a&excitement=1"), header: &header, body: &body };
        let _ = decoder.decode(&parts);
    }

    #[test]
    fn arbitrary_json_shaped_bodies_never_panic(body in r#"\{("(requiredKey|someKey|tags|author|enumKey|nullableKey)":(\[[0-9,\[\]. ]{0,12}\]|"[a-zé]{0,8}"|-?[0-9.e]{1,6}|null|true|\{[^{}]{0,12}\}),?){0,6}\}"#) {
        let schema = schema();
        let mut decoder = RequestDecoder::new(&schema, 0);
        let header = |name: &str| (name == "x-foo").then_some(&b"t"[..]);
        let parts = RequestParts { path_params: &[], query: Some("name=a&excitement=1"), header: &header, body: body.as_bytes() };
        if let Ok(payload) = decoder.decode(&parts) {
            prop_assert!(TableRef::root(payload).is_ok());
        }
    }
}

/// The benchmark request with an empty body's required field and this query.
fn with_query(query: &str) -> Request<'_> {
    Request { query: Some(query), ..Request::encore(r#"{"requiredKey":[]}"#) }
}

#[test]
fn text_values_parse_as_docs_typed_apis_says() {
    let excitement = |query: &str| {
        let payload = decode(&schema(), &with_query(query)).map_err(|e| e.message)?;
        Ok::<i64, String>(TableRef::root(&payload).unwrap().i64(11, 0).unwrap())
    };
    // `+` in a query is a space, and spaces around a number are ignored; %2B is a real plus.
    for (query, value) in [
        ("name=a&excitement=%2B1", 1),
        ("name=a&excitement=01", 1),
        ("name=a&excitement=1e2", 100),
        ("name=a&excitement=2.0", 2),
        ("name=a&excitement=+7+", 7),
        ("name=a&excitement=-9007199254740992", -9007199254740992),
    ] {
        assert_eq!(excitement(query), Ok(value), "{query}");
    }
    for bad in ["0x10", "Infinity", "NaN", "1.5", "9007199254740993", ""] {
        let query = format!("name=a&excitement={bad}");
        let error = decode(&schema(), &with_query(&query)).expect_err(&query);
        assert_eq!((error.field.as_str(), error.source.label()), ("excitement", "query"), "{query}");
    }

    let name = |query: &str| {
        let payload = decode(&schema(), &with_query(query)).expect(query);
        TableRef::root(&payload).unwrap().str(10).unwrap().map(str::to_owned)
    };
    assert_eq!(name("name=first&excitement=1&name=second"), Some("first".into()), "a scalar takes the first value");
    assert_eq!(name("name=%ff%2B+x&excitement=1"), Some("\u{FFFD}+ x".into()), "bytes that are not UTF-8 become U+FFFD");

    let mut request = Request::encore(r#"{"requiredKey":[]}"#);
    request.params.push(("page", "%ff"));
    let error = decode(&schema(), &request).expect_err("a path param that is not UTF-8");
    assert_eq!((error.field.as_str(), error.source.label()), ("page", "path"));
}

#[test]
fn a_record_key_given_twice_is_refused_like_an_object_field() {
    let error = reject(&Request::encore(r#"{"requiredKey":[],"tags":{"a":1,"b":2,"a":3}}"#));
    assert_eq!((error.field.as_str(), error.rule, error.message.as_str()), (r#"tags["a"]"#, "json", "appears twice"));
    // The same key spelled with an escape is the same key.
    let error = reject(&Request::encore(r#"{"requiredKey":[],"tags":{"ab":1,"a\u0062":2}}"#));
    assert_eq!(error.field, r#"tags["ab"]"#);
    // 100,000 distinct keys are still read in linear time.
    let mut body = String::from(r#"{"requiredKey":[],"tags":{"#);
    for i in 0..100_000 {
        body.push_str(&format!(r#"{}"k{i}":{i}"#, if i > 0 { "," } else { "" }));
    }
    body.push_str("}}");
    decode(&schema(), &Request::encore(&body)).expect("distinct keys");
}
