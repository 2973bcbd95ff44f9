//! RFC 8785 JSON Canonicalization Scheme (JCS) over `serde_json::Value`.
//!
//! - Object members are sorted by their names as UTF-16 code-unit sequences (so a
//!   non-BMP name such as U+1F600, a surrogate pair starting 0xD83D, sorts before
//!   U+FB33); arrays keep their order.
//! - Strings are written with the minimal escaping of ECMAScript `JSON.stringify`:
//!   `"` and `\` escaped, U+0000..U+001F as `\b \t \n \f \r` or `\u00xx` (lowercase
//!   hex), everything else (all non-ASCII included) as literal UTF-8.
//! - Numbers are IEEE 754 doubles printed as ECMAScript `Number.prototype.toString`
//!   does: shortest round-trip digits, integers without `.0`, `-0` as `0`, exponent
//!   form (`1e+21`, `5e-324`) outside 1e-7 ≤ |x| < 1e21. Integers that `serde_json`
//!   holds as `u64`/`i64` go through the same `f64` conversion, so integers beyond
//!   2^53 lose precision exactly as JCS specifies.
//! - No whitespace.

use crate::error::{Error, Result};
use serde_json::{Number, Value};
use std::fmt::Write as _;

/// Canonicalises `value` with RFC 8785 (JCS).
///
/// # Errors
/// [`Error::NonFiniteNumber`] for a number that is not a finite double (possible only
/// when `serde_json`'s `arbitrary_precision` holds something like `1e400`).
pub fn canonicalize(value: &Value) -> Result<String> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) -> Result<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_value(out, member)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) -> Result<()> {
    let f = n
        .as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| Error::NonFiniteNumber {
            number: n.to_string(),
        })?;
    out.push_str(&format_f64(f));
    Ok(())
}

/// ECMAScript `Number.prototype.toString` (radix 10) of a finite double.
pub(crate) fn format_f64(f: f64) -> String {
    if f == 0.0 {
        // Both +0 and -0.
        return "0".to_owned();
    }
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    // `{:e}` gives the shortest digits that round-trip, as d[.ddd]e[-]x.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits = round_half_even(f.abs(), digits, exponent);
    // ECMAScript's k (number of digits) and n (position of the decimal point).
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(n - k).unwrap_or(0),
        ));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', usize::try_from(-n).unwrap_or(0)));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        let _ = write!(out, "{}", (n - 1).abs());
    }
    out
}

/// Rust's shortest digits break an exact tie (the double lies exactly halfway
/// between two shortest candidates) upwards; ECMAScript picks the even candidate.
/// `digits` × 10^(`exponent` + 1 − k) is Rust's candidate for `a`.
fn round_half_even(a: f64, digits: String, exponent: i32) -> String {
    // Every double has at most 767 significant decimal digits: this is exact.
    let exact = format!("{a:.800e}");
    let Some((mantissa, exact_exponent)) = exact.split_once('e') else {
        return digits;
    };
    if exact_exponent.parse::<i32>() != Ok(exponent) {
        return digits;
    }
    let all: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let k = digits.len();
    let (Some(head), Some(rest)) = (all.get(..k), all.get(k..)) else {
        return digits;
    };
    let is_tie = rest.first() == Some(&b'5') && rest.iter().skip(1).all(|&d| d == b'0');
    let Some(&last) = head.last() else {
        return digits;
    };
    if !is_tie || last == b'9' {
        return digits;
    }
    let mut even = head.to_vec();
    if (last - b'0') % 2 == 1
        && let Some(l) = even.last_mut()
    {
        *l += 1;
    }
    let Ok(even) = String::from_utf8(even) else {
        return digits;
    };
    let (first, tail) = even.split_at(1);
    let round_trips = format!("{first}.{tail}e{exponent}").parse::<f64>() == Ok(a);
    if round_trips { even } else { digits }
}

#[cfg(test)]
mod tests;
