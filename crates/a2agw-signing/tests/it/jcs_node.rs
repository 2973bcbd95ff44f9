//! `canonicalize` of doubles against ECMAScript `JSON.stringify`, as recorded from
//! Node.js in `tests/data/es-number-tostring.txt` (random bit patterns, integers
//! times powers of two, short decimals).

use a2agw_signing::canonicalize;
use serde_json::{Number, Value};

#[test]
fn doubles_match_ecmascript() {
    let text = std::fs::read_to_string(crate::data("es-number-tostring.txt")).unwrap();
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (hex, expected) = line.split_once(' ').unwrap();
        let f = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
        let value = Value::Number(Number::from_f64(f).unwrap());
        assert_eq!(canonicalize(&value).unwrap(), expected, "bits {hex}");
        // The text form parses back to the same double and canonicalises the same.
        let reparsed: Value = serde_json::from_str(expected).unwrap();
        assert_eq!(
            canonicalize(&reparsed).unwrap(),
            expected,
            "reparsed {expected}"
        );
        checked += 1;
    }
    assert!(checked > 5000, "only {checked} vectors");
}
