//! A query string's name/value pairs, as `application/x-www-form-urlencoded` reads them.
//!
//! `form_urlencoded::parse` does the decoding; this adds a fast path in front of it. Most pairs
//! (`name=test`) hold neither `%` nor `+`, and then their decoded form is the text itself: they
//! are borrowed as they are, without the decoder's per-pair work. A pair that needs decoding is
//! handed to `form_urlencoded` alone. Both give the same pairs (tested below against the parser
//! on its own).

use std::borrow::Cow;

/// The pairs of `query` (without its `?`), in order: split on `&`, empty pieces skipped, the
/// name ending at the first `=`, `+` read as a space and percent escapes decoded (UTF-8,
/// invalid bytes replaced).
pub fn pairs(query: &str) -> Pairs<'_> {
    Pairs { rest: query }
}

/// The iterator of [`pairs`]. One pass over each piece's bytes finds its end, its first `=`
/// and whether it needs decoding: a typed endpoint scans the query once per query field, so
/// this is on every request's path (`str::split` and `split_once` cost it about 3× more).
pub struct Pairs<'q> {
    rest: &'q str,
}

impl<'q> Iterator for Pairs<'q> {
    type Item = (Cow<'q, str>, Cow<'q, str>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            let bytes = self.rest.as_bytes();
            let (mut end, mut equals, mut plain) = (0, None, true);
            while end < bytes.len() {
                match bytes[end] {
                    b'&' => break,
                    b'=' if equals.is_none() => equals = Some(end),
                    b'%' | b'+' => plain = false,
                    _ => {}
                }
                end += 1;
            }
            // `&` and `=` are ASCII, so both cuts fall on character boundaries.
            let (piece, rest) = self.rest.split_at(end);
            self.rest = rest.get(1..).unwrap_or("");
            if piece.is_empty() {
                continue;
            }
            if plain {
                let (name, value) = match equals {
                    Some(at) => (&piece[..at], &piece[at + 1..]),
                    None => (piece, ""),
                };
                return Some((Cow::Borrowed(name), Cow::Borrowed(value)));
            }
            if let Some(pair) = form_urlencoded::parse(piece.as_bytes()).next() {
                return Some(pair);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_parser(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    fn by_pairs(query: &str) -> Vec<(String, String)> {
        pairs(query).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    #[test]
    fn gives_what_the_form_parser_gives() {
        let queries = [
            "",
            "name=test&excitement=123",
            "a=1&&b=2&",
            "&&",
            "flag",
            "flag&x=",
            "=value",
            "a=b=c",
            "q=hello+world",
            "q=a%2Bb&r=%20",
            "caf%C3%A9=cr%C3%A8me",
            "bad=%zz&worse=%",
            "latin=%FF%FE",
            "plus+name=v+v",
            "x=1;y=2",
            "é=ü&日本=語",
            "a=1&a=2&a=3",
            "x==y&=&==",
            "a%3Db=c%26d",
            "+=+&%=%",
            "&name=test&",
        ];
        for query in queries {
            assert_eq!(by_pairs(query), by_parser(query), "{query:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_query_gives_what_the_form_parser_gives(query in "[a-z=&%+2-4A-Fé ]{0,24}") {
            proptest::prop_assert_eq!(by_pairs(&query), by_parser(&query));
        }
    }

    #[test]
    fn plain_pairs_are_borrowed() {
        for (name, value) in pairs("name=test&excitement=123&flag") {
            assert!(matches!(name, Cow::Borrowed(_)) && matches!(value, Cow::Borrowed(_)));
        }
    }
}
