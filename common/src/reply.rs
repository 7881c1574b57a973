//! The server's answer: `[` + ctime + `] ` + the data, byte for byte as received.

/// How many bytes a reply adds in front of the data: `[`, 24 of ctime, `] `.
pub const STAMP_LEN: usize = 27;

/// Builds the reply to `data`: `[Wed Nov 25 17:28:42 2026] data`, in one buffer, so that it
/// can leave in one write.
pub fn reply(data: &[u8]) -> Vec<u8> {
    let mut reply = Vec::with_capacity(STAMP_LEN + data.len());
    reply.push(b'[');
    crate::ctime::with_ctime(|now| reply.extend_from_slice(now.as_bytes()));
    reply.extend_from_slice(b"] ");
    reply.extend_from_slice(data);
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_the_data_unchanged() {
        let data = b"hi \xff\x00 \xe4\xb8\xad\r\n";
        let reply = reply(data);
        assert_eq!(reply.len(), STAMP_LEN + data.len());
        assert_eq!(reply[0], b'[');
        assert_eq!(&reply[25..27], b"] ");
        assert_eq!(&reply[27..], data);
    }
}
