//! What Rust spends on the Encore.ts benchmark's `POST /schema` request: decoding and
//! validating it into the FlatBuffers payload JS reads, accepted and rejected, against
//! serde_json parsing the same body into a `Value` (parsing alone, no rules, no payload).
//!
//!   cargo bench -p keel-core --bench decode_schema [part of a case's name …] [--calls N]
//!
//! A plain timing loop (no criterion, no extra dependencies): per case, 0.3 s of warm-up, then
//! 15 samples of about 40 ms each; it prints the median and the fastest sample in ns per
//! request. Without `--bench` (as `cargo test --benches` runs it) each case runs once, checked.

use std::hint::black_box;
use std::time::{Duration, Instant};

use keel_core::typed::model::*;
use keel_core::typed::{RequestDecoder, RequestParts, Scratch};

const VALID: &str = r#"{"someKey":"test","someOtherKey":123,"requiredKey":[123,456,789],"nullableKey":null,"multipleTypesKey":true,"multipleRestrictedTypesKey":"test","enumKey":"John"}"#;
const INVALID: &str = r#"{"someKey":"test","someOtherKey":123,"requiredKey":[123,456,789,1000],"nullableKey":null,"multipleTypesKey":true,"multipleRestrictedTypesKey":"test","enumKey":"John"}"#;
/// Valid too, but each union matched by its second variant (a number where the first is a
/// boolean or a string): what a union costs when its first variant misses.
const VALID_SECOND_VARIANTS: &str = r#"{"someKey":"test","someOtherKey":123,"requiredKey":[123,456,789],"nullableKey":null,"multipleTypesKey":42,"multipleRestrictedTypesKey":42,"enumKey":"John"}"#;
const QUERY: &str = "name=test&excitement=123";

/// The request type of examples/schema/app.ts, as `keel gen` describes it in its manifest: the
/// same types in the same order, the same field ids. Returns the schema and the request's type.
fn schema() -> (Schema, TypeId) {
    let mut types = Vec::new();
    let mut add = |t: TypeDef| {
        types.push(t);
        types.len() - 1
    };
    let string = add(TypeDef::of(Kind::String, vec![]));
    let number = add(TypeDef::of(Kind::Number, vec![]));
    let integer = add(TypeDef::of(Kind::Integer, vec![]));
    let required_key = add(TypeDef { element: integer, ..TypeDef::of(Kind::Array, vec![Rule::MaxLen(3.0)]) });
    let boolean = add(TypeDef::of(Kind::Boolean, vec![]));
    let bool_or_number = add(TypeDef { variants: vec![boolean, number], ..TypeDef::of(Kind::Union, vec![]) });
    let short_string = add(TypeDef::of(Kind::String, vec![Rule::MaxLen(5.0)]));
    let big_number = add(TypeDef::of(Kind::Number, vec![Rule::Min(10.0)]));
    let restricted = add(TypeDef { variants: vec![short_string, big_number], ..TypeDef::of(Kind::Union, vec![]) });
    let names = add(TypeDef { enum_values: vec!["John".into(), "Foo".into()], ..TypeDef::of(Kind::Enum, vec![]) });
    let optional = |f: Field| Field { optional: true, ..f };
    let request = add(TypeDef {
        name: Some("SchemaRequest".into()),
        fields: vec![
            optional(Field::new("someKey", string, Source::Body, 0)),
            optional(Field::new("someOtherKey", number, Source::Body, 1)),
            Field::new("requiredKey", required_key, Source::Body, 2),
            Field { nullable: true, null_id: 4, ..Field::new("nullableKey", number, Source::Body, 3) },
            Field::new("multipleTypesKey", bool_or_number, Source::Body, 6),
            Field::new("multipleRestrictedTypesKey", restricted, Source::Body, 8),
            Field::new("enumKey", names, Source::Body, 9),
            Field::new("name", string, Source::Query, 10),
            Field::new("excitement", integer, Source::Query, 11),
            Field { wire_name: "x-foo".into(), ..Field::new("foo", string, Source::Header, 12) },
        ],
        ..TypeDef::of(Kind::Object, vec![])
    });
    (Schema { types, endpoints: vec![] }, request)
}

fn header(name: &str) -> Option<&'static [u8]> {
    (name == "x-foo").then_some(b"test".as_slice())
}

/// One request as the runtime decodes it: a decoder made from the thread's scratch buffers,
/// used once, its buffers handed back. Returns the payload's length when accepted, 0 when
/// rejected (after making the 400 body, as the runtime does).
fn decode(schema: &Schema, ty: TypeId, scratch: &mut Option<Scratch>, body: &'static str) -> usize {
    // Taken out of an Option, as the runtime's thread-local holds it: `mem::take` of a Scratch
    // would build (allocate) a fresh one in its place on every call, which the runtime never does.
    let mut decoder = RequestDecoder::with_scratch(schema, ty, scratch.take().unwrap_or_default());
    let parts = RequestParts { path_params: &[], query: Some(QUERY), header: &header, body: body.as_bytes() };
    let len = match decoder.decode(&parts) {
        Ok(payload) => payload.len(),
        Err(error) => {
            black_box(error.to_json());
            0
        }
    };
    *scratch = Some(decoder.into_scratch());
    len
}

/// One timed case: a call that returns something to keep the optimizer honest.
type Case<'a> = Box<dyn FnMut() -> usize + 'a>;

/// Median and fastest ns per call of `f` (see the module doc for the sampling).
fn measure(mut f: impl FnMut() -> usize) -> (f64, f64) {
    let warm_until = Instant::now() + Duration::from_millis(300);
    let mut calls = 0u64;
    while Instant::now() < warm_until {
        black_box(f());
        calls += 1;
    }
    let per_sample = (calls * 40 / 300).max(1);
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..per_sample {
                black_box(f());
            }
            started.elapsed().as_nanos() as f64 / per_sample as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[0])
}

fn main() {
    let timing = std::env::args().any(|arg| arg == "--bench");
    let (schema, ty) = schema();
    let (mut scratch, mut union_scratch, mut other_scratch) = (None, None, None);
    assert!(decode(&schema, ty, &mut scratch, VALID) > 0, "the benchmark request must be accepted");
    assert!(decode(&schema, ty, &mut union_scratch, VALID_SECOND_VARIANTS) > 0, "numbers must match the unions' second variants");
    assert_eq!(decode(&schema, ty, &mut other_scratch, INVALID), 0, "4 items in requiredKey must be rejected");
    if !timing {
        println!("decode_schema: checked (run `cargo bench -p keel-core --bench decode_schema` to time it)");
        return;
    }
    let cases: Vec<(&str, Case)> = vec![
        ("decode + validate, valid /schema request (→ FlatBuffers payload)", Box::new(|| decode(&schema, ty, &mut scratch, black_box(VALID)))),
        ("decode + validate, valid, unions matched by their second variant", Box::new(|| decode(&schema, ty, &mut union_scratch, black_box(VALID_SECOND_VARIANTS)))),
        ("decode + validate, invalid request (4 items in requiredKey → 400 body)", Box::new(|| decode(&schema, ty, &mut other_scratch, black_box(INVALID)))),
        ("serde_json::from_str::<Value>, the same valid body (parse only)", Box::new(|| {
            serde_json::from_str::<serde_json::Value>(black_box(VALID)).map(|v| v.as_object().map_or(0, |o| o.len())).unwrap_or(0)
        })),
    ];
    // Other arguments choose cases by a part of their name (cargo passes `--bench` itself);
    // `--calls N` runs each chosen case N times untimed, for an instruction counter
    // (perf/bench-instructions.mjs).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let calls = args.iter().position(|arg| arg == "--calls").and_then(|at| args.get(at + 1)).map(|n| n.parse::<u64>());
    let wanted: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-') && arg.parse::<u64>().is_err()).collect();
    let chosen = cases.into_iter().filter(|(name, _)| wanted.is_empty() || wanted.iter().any(|part| name.contains(part.as_str())));
    if let Some(calls) = calls {
        let Ok(calls) = calls else {
            eprintln!("decode_schema: --calls takes a whole number");
            std::process::exit(2);
        };
        for (_, mut f) in chosen {
            for _ in 0..calls {
                black_box(f());
            }
        }
        return;
    }
    println!("{:<70} {:>12} {:>12}", "case", "median ns", "fastest ns");
    for (name, mut f) in chosen {
        let (median, fastest) = measure(&mut f);
        println!("{name:<70} {median:>12.1} {fastest:>12.1}");
    }
}
