//! What the log shows of received bytes.

use common::out::Printable;

#[test]
fn printable_escapes_and_shortens() {
    let printable = |bytes: &[u8]| Printable(bytes).to_string();
    assert_eq!(printable(b"hi\n"), "\"hi\\n\"");
    assert_eq!(printable("中".as_bytes()), "\"中\"");
    let long = printable(&[b'a'; 1000]);
    assert!(long.ends_with("... (1000 bytes)"), "{long}");
    assert!(long.len() < 100);
}
