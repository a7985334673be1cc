//! Checks one value against the rules of its type. Pure functions; no allocation on success.

use super::model::Rule;

/// A rule a value broke, with the message to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    pub rule: &'static str,
    pub message: String,
}

fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub fn check_number(value: f64, rules: &[Rule]) -> Result<(), Broken> {
    for rule in rules {
        let broken = match rule {
            Rule::Min(min) if value < *min => Some(format!("must be at least {}", fmt_number(*min))),
            Rule::Max(max) if value > *max => Some(format!("must be at most {}", fmt_number(*max))),
            _ => None,
        };
        if let Some(message) = broken {
            return Err(Broken { rule: rule.name(), message });
        }
    }
    Ok(())
}

/// Length as JavaScript's `String.prototype.length` counts it (UTF-16 code units).
fn js_length(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

pub fn check_string(value: &str, rules: &[Rule]) -> Result<(), Broken> {
    for rule in rules {
        let broken = match rule {
            Rule::MinLen(min) if (js_length(value) as f64) < *min => {
                Some(format!("must be at least {} long", characters(*min)))
            }
            Rule::MaxLen(max) if (js_length(value) as f64) > *max => {
                Some(format!("must be at most {} long", characters(*max)))
            }
            Rule::MatchesRegexp(re) if !re.is_match(value) => Some(format!("must match /{}/", re.as_str())),
            Rule::StartsWith(prefix) if !value.starts_with(prefix.as_str()) => {
                Some(format!("must start with {prefix:?}"))
            }
            Rule::EndsWith(suffix) if !value.ends_with(suffix.as_str()) => Some(format!("must end with {suffix:?}")),
            Rule::IsEmail if !is_email(value) => Some("must be an email address".to_owned()),
            Rule::IsUrl if !is_url(value) => Some("must be an absolute URL".to_owned()),
            _ => None,
        };
        if let Some(message) = broken {
            return Err(Broken { rule: rule.name(), message });
        }
    }
    Ok(())
}

fn characters(n: f64) -> String {
    if n == 1.0 {
        "1 character".to_owned()
    } else {
        format!("{} characters", fmt_number(n))
    }
}

fn items(n: f64) -> String {
    if n == 1.0 {
        "1 item".to_owned()
    } else {
        format!("{} items", fmt_number(n))
    }
}

pub fn check_length(count: usize, rules: &[Rule]) -> Result<(), Broken> {
    for rule in rules {
        let broken = match rule {
            Rule::MinLen(min) if (count as f64) < *min => Some(format!("must have at least {}", items(*min))),
            Rule::MaxLen(max) if (count as f64) > *max => Some(format!("must have at most {}", items(*max))),
            _ => None,
        };
        if let Some(message) = broken {
            return Err(Broken { rule: rule.name(), message });
        }
    }
    Ok(())
}

/// A pragmatic address check: one `@`, a non-empty local part of printable non-space ASCII or
/// UTF-8, and a domain of dot-separated labels (letters, digits, hyphens, not at a label's ends)
/// with at least two labels. Quoted local parts and IP-literal domains are not accepted.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"@\"(),:;<>[\\]".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// An absolute URL with a scheme and, for the special schemes (http, https, ws, wss, ftp), a host.
pub fn is_url(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(url) => !url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https" | "ws" | "wss" | "ftp"),
        Err(_) => false,
    }
}

/// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with ranges checked (leap
/// seconds accepted as :60; day-of-month checked against the month and leap years).
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, to: usize| -> Option<u32> {
        let part = b.get(from..to)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + (d - b'0') as u32))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (digits(0, 4), digits(5, 7), digits(8, 10), digits(11, 13), digits(14, 16), digits(17, 19))
    else {
        return false;
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day == 0 || day > month_days[month as usize - 1] || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut at = 19;
    if b[at] == b'.' {
        let start = at + 1;
        at = start;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        if at == start {
            return false;
        }
    }
    match b.get(at) {
        Some(b'Z' | b'z') => at + 1 == b.len(),
        Some(b'+' | b'-') => {
            at + 6 == b.len()
                && b[at + 3] == b':'
                && digits(at + 1, at + 3).is_some_and(|h| h <= 23)
                && digits(at + 4, at + 6).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let rules = [Rule::Min(10.0), Rule::Max(20.5)];
        assert!(check_number(10.0, &rules).is_ok());
        assert_eq!(check_number(9.99, &rules).unwrap_err().message, "must be at least 10");
        assert_eq!(check_number(21.0, &rules).unwrap_err().rule, "Max");
    }

    #[test]
    fn string_lengths_count_like_javascript() {
        let rules = [Rule::MaxLen(2.0)];
        assert!(check_string("é", &rules).is_ok());
        assert!(check_string("😀", &rules).is_ok(), "one emoji is two UTF-16 units");
        assert!(check_string("😀a", &rules).is_err());
    }

    #[test]
    fn emails_and_urls() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org", "ü@exämple.de"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@", "@b.co", "a@b", "a b@c.de", "a@-b.co", "a..b@c.de", "a@b..co"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_url("https://example.com/x?y=1"));
        assert!(is_url("mailto:someone@example.com"));
        assert!(!is_url("example.com"));
        assert!(!is_url("/relative"));
        assert!(!is_url("http://"));
    }

    #[test]
    fn rfc3339_dates() {
        for ok in ["2024-02-29T12:00:00Z", "2026-11-21T23:59:60.123+01:00", "1999-12-31t00:00:00-05:30"] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in ["2023-02-29T12:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+1:00"] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
