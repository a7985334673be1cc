//! Many producer threads against one consumer: every frame arrives exactly once, intact, in
//! per-producer order, through wrap-around, padding, a full ring, and attachments.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use keel_core::frame::{slots_for, FrameKind};
use keel_core::ring::{PublishError, RequestRing};

const PRODUCERS: usize = 8;
const PER_PRODUCER: u32 = 20_000;

/// Payload for message `seq` of `producer`: its identity, then bytes derived from both, of a
/// length that varies from 0 to ~400 bytes so frames span 1 to 7 slots.
fn payload(producer: u32, seq: u32) -> Vec<u8> {
    let len = ((seq.wrapping_mul(2_654_435_761) ^ producer) % 400) as usize;
    let mut bytes = Vec::with_capacity(8 + len);
    bytes.extend_from_slice(&producer.to_le_bytes());
    bytes.extend_from_slice(&seq.to_le_bytes());
    bytes.extend((0..len).map(|i| (i as u32 ^ seq ^ producer.rotate_left(8)) as u8));
    bytes
}

/// Every 5th message carries an attachment holding a copy of its payload (the spill path).
fn has_attachment(seq: u32) -> bool {
    seq.is_multiple_of(5)
}

#[test]
fn many_producers_one_consumer_no_loss_no_duplicates_no_corruption() {
    // 64 slots: producers outrun the consumer constantly, so the ring is full, wraps and pads.
    let ring: Arc<RequestRing<Vec<u8>>> = Arc::new(RequestRing::new(64));
    let done = Arc::new(AtomicBool::new(false));

    let producers: Vec<_> = (0..PRODUCERS as u32)
        .map(|producer| {
            let ring = ring.clone();
            thread::spawn(move || {
                let mut full_retries = 0u64;
                for seq in 0..PER_PRODUCER {
                    let body = payload(producer, seq);
                    loop {
                        let attachment = has_attachment(seq).then(|| body.clone());
                        let result = ring.try_publish(FrameKind::Request, 8 + body.len(), attachment, |b| {
                            b[8..8 + body.len()].copy_from_slice(&body)
                        });
                        match result {
                            Ok(_) => break,
                            Err(PublishError::Full) => {
                                full_retries += 1;
                                thread::yield_now();
                            }
                            Err(PublishError::TooLarge) => panic!("frames here always fit"),
                        }
                    }
                }
                full_retries
            })
        })
        .collect();

    let consumer = {
        let ring = ring.clone();
        let done = done.clone();
        thread::spawn(move || {
            let mut next_seq = vec![0u32; PRODUCERS];
            let mut head = 0usize;
            let mut release = 0u64;
            let mut pads = 0u64;
            let total = PRODUCERS as u64 * PER_PRODUCER as u64;
            let mut received = 0u64;
            while received < total {
                let ready = ring.poll(release).expect("poll");
                release = 0;
                if ready == 0 {
                    thread::yield_now();
                    continue;
                }
                let mut walked = 0u64;
                while walked < ready {
                    let frame = ring.frame_bytes(head).expect("a ready frame at the head");
                    let slots = slots_for(frame.len());
                    let kind = u16::from_le_bytes([frame[4], frame[5]]);
                    if kind == FrameKind::Pad as u16 {
                        pads += 1;
                        assert_eq!(head + slots, ring.slot_count(), "padding runs to the ring end");
                    } else {
                        assert_eq!(kind, FrameKind::Request as u16);
                        let body = &frame[8..];
                        let producer = u32::from_le_bytes(body[0..4].try_into().unwrap());
                        let seq = u32::from_le_bytes(body[4..8].try_into().unwrap());
                        assert_eq!(seq, next_seq[producer as usize], "lost or duplicated frame");
                        assert_eq!(body, payload(producer, seq), "corrupted frame");
                        match ring.attachment(head) {
                            Some(copy) => {
                                assert!(has_attachment(seq));
                                assert_eq!(copy.as_slice(), body, "corrupted attachment");
                            }
                            None => assert!(!has_attachment(seq), "attachment lost"),
                        }
                        next_seq[producer as usize] += 1;
                        received += 1;
                    }
                    walked += slots as u64;
                    head = (head + slots) % ring.slot_count();
                }
                release = ready;
            }
            ring.poll(release).expect("final release");
            done.store(true, Ordering::SeqCst);
            (next_seq, pads)
        })
    };

    let full_retries: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
    let (next_seq, pads) = consumer.join().unwrap();
    assert!(done.load(Ordering::SeqCst));
    assert!(next_seq.iter().all(|&n| n == PER_PRODUCER));
    assert!(pads > 0, "wrap-around padding was exercised");
    assert!(full_retries > 0, "the full-ring path was exercised");
    assert_eq!(ring.poll(0).unwrap(), 0, "nothing left behind");
}

#[test]
fn parked_consumer_is_always_woken() {
    // The consumer parks whenever it sees nothing; each wake-up must be delivered, or it would
    // wait forever (the test would hang past its bound and fail).
    let ring: Arc<RequestRing<()>> = Arc::new(RequestRing::new(256));
    let (bell_tx, bell_rx) = std::sync::mpsc::channel::<()>();
    let producers: Vec<_> = (0..4u32)
        .map(|producer| {
            let ring = ring.clone();
            let bell = bell_tx.clone();
            thread::spawn(move || {
                for seq in 0..5_000u32 {
                    let body = payload(producer, seq);
                    loop {
                        match ring.try_publish(FrameKind::Request, 8 + body.len(), None, |b| {
                            b[8..8 + body.len()].copy_from_slice(&body)
                        }) {
                            Ok(published) => {
                                if published.wake_consumer {
                                    bell.send(()).unwrap();
                                }
                                break;
                            }
                            Err(_) => thread::yield_now(),
                        }
                    }
                    if seq % 64 == 0 {
                        thread::sleep(std::time::Duration::from_micros(50));
                    }
                }
            })
        })
        .collect();
    drop(bell_tx);

    let mut head = 0usize;
    let mut release = 0;
    let mut received = 0;
    while received < 4 * 5_000 {
        let ready = ring.poll(release).unwrap();
        release = 0;
        if ready == 0 {
            if ring.try_park() {
                bell_rx
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .expect("a parked consumer was never woken: lost wake-up");
            }
            continue;
        }
        let mut walked = 0;
        while walked < ready {
            let frame = ring.frame_bytes(head).unwrap();
            let slots = slots_for(frame.len());
            if u16::from_le_bytes([frame[4], frame[5]]) == FrameKind::Request as u16 {
                received += 1;
            }
            walked += slots as u64;
            head = (head + slots) % ring.slot_count();
        }
        release = ready;
    }
    for p in producers {
        p.join().unwrap();
    }
}
