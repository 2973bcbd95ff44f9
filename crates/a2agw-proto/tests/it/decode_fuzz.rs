//! Decoding arbitrary bytes into any request/response type returns `Ok` or
//! `Err`, never panics; whatever decodes re-encodes and decodes again.

use a2agw_proto::v1;
use proptest::prelude::*;
use prost::Message;

fn check<M: Message + Default>(bytes: &[u8]) {
    if let Ok(msg) = M::decode(bytes) {
        let again = msg.encode_to_vec();
        assert!(
            M::decode(again.as_slice()).is_ok(),
            "re-encoded message does not decode"
        );
    }
}

/// Every input and output type of `A2AService`.
fn decode_all(bytes: &[u8]) {
    check::<v1::SendMessageRequest>(bytes);
    check::<v1::SendMessageResponse>(bytes);
    check::<v1::StreamResponse>(bytes);
    check::<v1::GetTaskRequest>(bytes);
    check::<v1::Task>(bytes);
    check::<v1::ListTasksRequest>(bytes);
    check::<v1::ListTasksResponse>(bytes);
    check::<v1::CancelTaskRequest>(bytes);
    check::<v1::SubscribeToTaskRequest>(bytes);
    check::<v1::TaskPushNotificationConfig>(bytes);
    check::<v1::GetTaskPushNotificationConfigRequest>(bytes);
    check::<v1::ListTaskPushNotificationConfigsRequest>(bytes);
    check::<v1::ListTaskPushNotificationConfigsResponse>(bytes);
    check::<v1::GetExtendedAgentCardRequest>(bytes);
    check::<v1::AgentCard>(bytes);
    check::<v1::DeleteTaskPushNotificationConfigRequest>(bytes);
    // google.protobuf.Empty is `()` in prost.
    check::<()>(bytes);
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Byte strings made of plausible protobuf fields (small tags, every wire
/// type, length prefixes that are sometimes wrong), so decoding gets past
/// the first key far more often than with uniform noise.
fn field_soup() -> impl Strategy<Value = Vec<u8>> {
    let field = (
        1u64..20,
        0u64..8,
        prop::collection::vec(any::<u8>(), 0..24),
        any::<bool>(),
    );
    prop::collection::vec(field, 0..12).prop_map(|fields| {
        let mut out = Vec::new();
        for (tag, wire_type, payload, honest_len) in fields {
            varint((tag << 3) | wire_type, &mut out);
            match wire_type {
                2 => {
                    let len = if honest_len {
                        payload.len() as u64
                    } else {
                        payload.len() as u64 + 7
                    };
                    varint(len, &mut out);
                    out.extend_from_slice(&payload);
                }
                _ => out.extend_from_slice(&payload),
            }
        }
        out
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn field_soup_never_panics(bytes in field_soup()) {
        decode_all(&bytes);
    }
}

#[test]
fn valid_nested_input_decodes() {
    // Sanity check for the generator: a Task with an id decodes.
    let mut bytes = Vec::new();
    varint((1 << 3) | 2, &mut bytes);
    varint(2, &mut bytes);
    bytes.extend_from_slice(b"t1");
    let task = v1::Task::decode(bytes.as_slice()).unwrap();
    assert_eq!(task.id, "t1");
}
