use super::*;

#[test]
fn characters_split_across_chunks_are_joined() {
    let text = "héllo → 世界";
    let bytes = text.as_bytes();
    // Every split point, including inside the multi-byte characters.
    for cut in 0..=bytes.len() {
        let mut rest = Vec::new();
        let mut out = decode_utf8(&mut rest, &bytes[..cut]);
        out.push_str(&decode_utf8(&mut rest, &bytes[cut..]));
        assert!(rest.is_empty(), "{cut}");
        assert_eq!(out, text, "{cut}");
    }
}

#[test]
fn invalid_utf8_is_replaced() {
    let mut rest = Vec::new();
    assert_eq!(decode_utf8(&mut rest, b"a\xffb"), "a\u{fffd}b");
    assert!(rest.is_empty());
    // A cut-off character at the very end waits; if the stream ends, flush replaces it.
    assert_eq!(decode_utf8(&mut rest, b"ok\xe4\xb8"), "ok");
    assert_eq!(rest, b"\xe4\xb8");
}
