//! The reader against serde_json as the oracle: the same texts accepted, the same strings and
//! integers read, floats as Rust's correctly rounded `str::parse` reads them.

use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::Value;

use super::{plain_run, Reader, Scalar};

/// Skips one whole value, then expects the end: Ok when the text is one JSON value.
fn skip_all(text: &str) -> Result<(), String> {
    let mut reader = Reader::new(text);
    let done = reader.skip_value().and_then(|()| reader.end());
    done.map_err(|_| reader.error.expect("an Abort always leaves its error").describe(text))
}

fn read_string(text: &str) -> Result<Cow<'_, str>, String> {
    let mut reader = Reader::new(text);
    match reader.peek() {
        Some(b'"') => {}
        _ => return Err("not a string".into()),
    }
    let value = reader.string().and_then(|s| reader.end().map(|()| s));
    value.map_err(|_| reader.error.unwrap().describe(text))
}

fn read_number(text: &str) -> Result<Scalar<'_>, String> {
    let mut reader = Reader::new(text);
    reader.peek();
    let value = reader.number().and_then(|n| reader.end().map(|()| n));
    value.map_err(|_| reader.error.unwrap().describe(text))
}

#[test]
fn strings_decode_their_escapes_and_borrow_when_plain() {
    assert!(matches!(read_string(r#""plain café""#), Ok(Cow::Borrowed("plain café"))));
    for text in [
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u0041\u4e2d""#,
        r#""\ud83d\ude00 and after""#,
        r#""before\u0000after""#,
        r#""é\n日本""#,
        r#""""#,
    ] {
        let expected: String = serde_json::from_str(text).unwrap();
        assert_eq!(read_string(text).as_deref(), Ok(expected.as_str()), "{text}");
    }
    for bad in [
        r#""unterminated"#,
        r#""bad \x escape""#,
        r#""\u12""#,
        r#""\u12g4""#,
        r#""\ud83d alone""#,
        r#""\ud83d\u0041""#,
        r#""\ude00""#,
        "\"raw\ttab\"",
        "\"raw\nnewline\"",
    ] {
        assert!(read_string(bad).is_err(), "{bad}");
        assert!(serde_json::from_str::<String>(bad).is_err(), "the oracle refuses {bad} too");
    }
}

#[test]
fn numbers_read_as_integers_when_exact_and_floats_otherwise() {
    let int = |text| match read_number(text) {
        Ok(Scalar::Int(value, exact)) => Some((value, exact)),
        _ => None,
    };
    assert_eq!(int("0"), Some((0.0, true)));
    assert_eq!(int("-0").map(|(v, _)| v.is_sign_negative()), Some(true), "-0 is negative zero, as JSON.parse has it");
    assert_eq!(int("9007199254740992"), Some((9007199254740992.0, true)));
    assert_eq!(int("9007199254740993"), Some((9007199254740992.0, false)));
    assert_eq!(int("-9223372036854775808"), Some((-9223372036854775808.0, false)));
    assert_eq!(int("18446744073709551615"), Some((18446744073709551615.0, false)));
    let float = |text| match read_number(text) {
        Ok(Scalar::Float(value)) => Some(value),
        _ => None,
    };
    assert_eq!(float("18446744073709551616"), Some(18446744073709551616.0), "past u64: a float");
    assert_eq!(float("-9223372036854775809"), Some(-9223372036854775809.0), "past i64: a float");
    assert_eq!(float("1.5"), Some(1.5));
    assert_eq!(float("-2.5e-3"), Some(-0.0025));
    assert_eq!(float("1E2"), Some(100.0));
    assert_eq!(float("0.1"), Some(0.1));
    for bad in ["01", "-", "1.", ".5", "1e", "1e+", "--1", "+1", "1.e5", "0x10", "1e400", "-1e400"] {
        assert!(read_number(bad).is_err(), "{bad}");
        assert!(serde_json::from_str::<Value>(bad).is_err(), "the oracle refuses {bad} too");
    }
}

#[test]
fn errors_name_the_position_as_serde_json_does() {
    for text in [r#"{"min":"#, "[1,2", "{\n\"a\": tru }", "[1 2]", r#"{"a" 1}"#, r#"{"a":1,}"#, "[1,]", "{1:2}", "[] x"] {
        let ours = skip_all(text).expect_err(text);
        let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
        let position = |message: &str| message[message.rfind(" at line").unwrap()..].to_owned();
        assert_eq!(position(&ours), position(&theirs), "{text}: {ours} / {theirs}");
    }
    assert_eq!(skip_all(r#"{"min":"#).unwrap_err(), "EOF while parsing a value at line 1 column 7");
}

#[test]
fn skipping_is_iterative() {
    let deep = format!("{}0{}", "[".repeat(200_000), "]".repeat(200_000));
    assert_eq!(skip_all(&deep), Ok(()));
    let unbalanced = format!("{}0{}", "[".repeat(1000), "]".repeat(999));
    assert!(skip_all(&unbalanced).is_err());
    let mixed = format!("{}0{}", r#"{"a":["#.repeat(1000), "]}".repeat(1000));
    assert_eq!(skip_all(&mixed), Ok(()));
}

proptest! {
    #[test]
    fn the_word_scan_stops_where_a_byte_scan_would(bytes in prop::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x21, 0x21u8..=0xff, 0x21u8..=0xff, 0x21u8..=0xff], 0..40)) {
        let first_stop = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        prop_assert_eq!(plain_run(&bytes), first_stop.unwrap_or(bytes.len()));
    }

    #[test]
    fn any_text_is_accepted_exactly_when_serde_json_accepts_it(
        text in r#"[\[\]{}",: \n0-9.eE+\-tfrulnsa\\/é]{0,40}"#
    ) {
        let theirs = serde_json::from_str::<Value>(&text).is_ok();
        prop_assert_eq!(skip_all(&text).is_ok(), theirs, "{:?}", text);
    }

    #[test]
    fn json_shaped_texts_are_accepted_exactly_when_serde_json_accepts_them(
        text in r#"(\[|\{"[a-z]{0,3}":|"[a-z\\"]{0,4}"|-?[0-9]{1,3}(\.[0-9]{0,2})?|true|null|,|\]|\}| ){0,16}"#
    ) {
        let theirs = serde_json::from_str::<Value>(&text).is_ok();
        prop_assert_eq!(skip_all(&text).is_ok(), theirs, "{:?}", text);
    }

    #[test]
    fn strings_read_as_serde_json_reads_them(
        body in r#"([a-zé日 ]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}|\\ud83d\\ude0[0-9])*"#
    ) {
        let text = format!("\"{body}\"");
        let theirs: Result<String, _> = serde_json::from_str(&text);
        match theirs {
            Ok(expected) => prop_assert_eq!(read_string(&text).map(Cow::into_owned), Ok(expected)),
            Err(_) => prop_assert!(read_string(&text).is_err()),
        }
    }

    #[test]
    fn integers_read_as_serde_json_reads_them(n in any::<i64>(), u in any::<u64>()) {
        for text in [n.to_string(), u.to_string()] {
            let expected: Value = serde_json::from_str(&text).unwrap();
            let expected = expected.as_f64().unwrap();
            match read_number(&text) {
                Ok(Scalar::Int(value, exact)) => {
                    prop_assert_eq!(value, expected);
                    prop_assert_eq!(exact, text.parse::<i128>().unwrap().unsigned_abs() <= 1 << 53);
                }
                other => prop_assert!(false, "{} read as {:?}", text, other),
            }
        }
    }

    #[test]
    fn floats_are_correctly_rounded(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        for text in [format!("{x}"), format!("{x:e}"), format!("{x:.3}")] {
            let expected: f64 = text.parse().unwrap();
            match read_number(&text) {
                Ok(Scalar::Float(value)) => prop_assert_eq!(value.to_bits(), expected.to_bits(), "{}", text),
                Ok(Scalar::Int(value, _)) => prop_assert_eq!(value, expected, "{}", text),
                other => prop_assert!(false, "{} read as {:?}", text, other),
            }
        }
    }
}
