//! Property test: any interleaving of publishes and polls on one thread behaves like a FIFO
//! queue bounded by the ring's capacity.

use std::collections::VecDeque;

use keel_core::frame::{slots_for, FrameKind};
use keel_core::ring::{PublishError, RequestRing};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Publish(usize),
    Poll,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![3 => (0usize..600).prop_map(Op::Publish), 1 => Just(Op::Poll)],
        1..300,
    )
}

proptest! {
    #[test]
    fn ring_behaves_like_a_bounded_fifo(slot_count in 4usize..40, ops in ops()) {
        let ring: RequestRing<()> = RequestRing::new(slot_count);
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let mut next = 0u32;
        let mut head = 0usize;
        let mut release = 0u64;
        // A final poll drains whatever is left, so every published frame is checked.
        for op in ops.into_iter().chain([Op::Poll]) {
            match op {
                Op::Publish(len) => {
                    let mut body = next.to_le_bytes().to_vec();
                    body.resize(4 + len, next as u8);
                    let frame_len = 8 + body.len();
                    let result = ring.try_publish(FrameKind::Request, frame_len, None, |b| {
                        b[8..frame_len].copy_from_slice(&body)
                    });
                    match result {
                        Ok(_) => { model.push_back(body); next += 1; }
                        Err(PublishError::TooLarge) => {
                            prop_assert!(slots_for(frame_len) > slot_count / 2);
                        }
                        Err(PublishError::Full) => {
                            // Full is only legal when the frame (plus padding) really does not fit.
                            prop_assert!(!model.is_empty() || release > 0);
                        }
                    }
                }
                Op::Poll => {
                    let ready = ring.poll(release).unwrap();
                    let mut walked = 0;
                    while walked < ready {
                        let frame = ring.frame_bytes(head).unwrap();
                        let slots = slots_for(frame.len());
                        if u16::from_le_bytes([frame[4], frame[5]]) == FrameKind::Request as u16 {
                            let expected = model.pop_front().expect("a frame the model never saw");
                            prop_assert_eq!(&frame[8..], expected.as_slice());
                        } else {
                            prop_assert_eq!(head + slots, slot_count);
                        }
                        walked += slots as u64;
                        head = (head + slots) % slot_count;
                    }
                    release = ready;
                }
            }
        }
        prop_assert!(model.is_empty(), "frames published but never delivered");
    }
}
