use super::{canonicalize, format_f64};
use serde_json::{Value, json};

/// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical form (NaN and
/// Infinity, which the appendix lists as errors, cannot be held by a JSON value).
const APPENDIX_B: &[(u64, &str)] = &[
    (0x0000_0000_0000_0000, "0"),
    (0x8000_0000_0000_0000, "0"),
    (0x0000_0000_0000_0001, "5e-324"),
    (0x8000_0000_0000_0001, "-5e-324"),
    (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
    (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
    (0x4340_0000_0000_0000, "9007199254740992"),
    (0xc340_0000_0000_0000, "-9007199254740992"),
    (0x4430_0000_0000_0000, "295147905179352830000"),
    (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
    (0x44b5_2d02_c7e1_4af6, "1e+23"),
    (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
    (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
    (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
    (0x444b_1ae4_d6e2_ef50, "1e+21"),
    (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
    (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
    (0x41b3_de43_5555_5553, "333333333.3333332"),
    (0x41b3_de43_5555_5554, "333333333.33333325"),
    (0x41b3_de43_5555_5555, "333333333.3333333"),
    (0x41b3_de43_5555_5556, "333333333.3333334"),
    (0x41b3_de43_5555_5557, "333333333.33333343"),
    (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
    (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
];

#[test]
fn appendix_b_numbers() {
    for &(bits, expected) in APPENDIX_B {
        let f = f64::from_bits(bits);
        assert_eq!(format_f64(f), expected, "bits {bits:016x}");
        let value = serde_json::Number::from_f64(f).map(Value::Number);
        let Some(value) = value else {
            panic!("{bits:016x} is not finite")
        };
        assert_eq!(canonicalize(&value).unwrap(), expected, "bits {bits:016x}");
    }
}

#[test]
fn numbers_from_json_text() {
    let cases = [
        ("100.0", "100"),
        ("-0.0", "0"),
        ("-0", "0"),
        ("1", "1"),
        ("4.50", "4.5"),
        ("2e-3", "0.002"),
        ("1E30", "1e+30"),
        ("0.000000000000000000000000001", "1e-27"),
        ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("0.0000001", "1e-7"),
        ("0.000001", "0.000001"),
        ("123456789012345680000", "123456789012345680000"),
        // beyond 2^53: the f64 conversion JCS prescribes
        ("9007199254740993", "9007199254740992"),
        ("18446744073709551615", "18446744073709552000"),
        ("-9223372036854775808", "-9223372036854776000"),
    ];
    for (text, expected) in cases {
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(canonicalize(&value).unwrap(), expected, "{text}");
    }
}

/// RFC 8785 §3.2.4 (the complete example).
#[test]
fn rfc_example() {
    let input = r#"{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"#;
    let value: Value = serde_json::from_str(input).unwrap();
    assert_eq!(
        canonicalize(&value).unwrap(),
        r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
    );
}

/// RFC 8785 §3.2.3 (sorting by UTF-16 code units).
#[test]
fn rfc_key_order() {
    let input = r#"{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let value: Value = serde_json::from_str(input).unwrap();
    let Value::Object(map) = serde_json::from_str::<Value>(&canonicalize(&value).unwrap()).unwrap()
    else {
        panic!("not an object")
    };
    let names: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}"
        ]
    );
    assert_eq!(
        canonicalize(&value).unwrap(),
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    );
}

#[test]
fn non_bmp_key_sorts_before_fb33() {
    // By code point U+FB33 < U+1F600; by UTF-16 0xD83D < 0xFB33.
    let value = json!({"\u{fb33}": 1, "\u{1f600}": 2});
    assert_eq!(
        canonicalize(&value).unwrap(),
        "{\"\u{1f600}\":2,\"\u{fb33}\":1}"
    );
}

#[test]
fn strings() {
    let value = json!("\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f} \"\\/é€😀\u{2028}");
    assert_eq!(
        canonicalize(&value).unwrap(),
        "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\u{7f} \\\"\\\\/é€😀\u{2028}\""
    );
}

#[test]
fn nesting_and_whitespace() {
    let value: Value = serde_json::from_str(
        r#" { "b" : [ 1 , { "d" : true , "c" : null } ] , "a" : { } , "e" : [ ] } "#,
    )
    .unwrap();
    assert_eq!(
        canonicalize(&value).unwrap(),
        r#"{"a":{},"b":[1,{"c":null,"d":true}],"e":[]}"#
    );
}
