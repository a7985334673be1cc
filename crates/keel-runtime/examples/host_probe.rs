//! What this host charges for the two things Keel's hot path is built around: a syscall, and
//! waking a sleeping thread. perf/ prints these beside every lab run, because they decide how a
//! server's threads should share the cores, and they differ from host to host far more than
//! the CPU model suggests (on a VM, waking an idle vCPU is the hypervisor's work).
//!
//!   cargo run --release -p keel-runtime --example host_probe
//!
//! Prints one JSON line: `syscallNs` (a null syscall), `wakeOneCoreUs` and `wakeAcrossCoresUs`
//! (the round trip of a byte handed back and forth between two threads over socket pairs, both
//! threads on core 0, then one on core 0 and one on core 1: two wake-ups per round trip, the
//! doorbell's mechanism). `wakeAcrossCoresUs` is null on a one-core machine. Medians of 5
//! samples each.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;

const SYSCALLS_PER_SAMPLE: u32 = 200_000;
const ROUND_TRIPS_PER_SAMPLE: u32 = 2_000;
const SAMPLES: usize = 5;

fn main() {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let syscall_ns = median(|| null_syscall_ns(SYSCALLS_PER_SAMPLE));
    let one_core = median(|| round_trip_us(0, 0, ROUND_TRIPS_PER_SAMPLE));
    let across = (cores >= 2).then(|| median(|| round_trip_us(0, 1, ROUND_TRIPS_PER_SAMPLE)));
    let across = across.map_or("null".to_owned(), |us| format!("{us:.2}"));
    println!(r#"{{"syscallNs":{syscall_ns:.0},"wakeOneCoreUs":{one_core:.2},"wakeAcrossCoresUs":{across}}}"#);
}

fn median(mut sample: impl FnMut() -> f64) -> f64 {
    let mut samples: Vec<f64> = (0..SAMPLES).map(|_| sample()).collect();
    samples.sort_by(f64::total_cmp);
    samples[SAMPLES / 2]
}

/// Nanoseconds per `getppid`, made through `syscall(2)` so that no library caches it.
fn null_syscall_ns(count: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..count {
        // SAFETY: getppid takes no arguments, cannot fail and touches no memory of ours.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    started.elapsed().as_nanos() as f64 / f64::from(count)
}

/// Microseconds per round trip between a thread on core `a` and one on core `b`.
fn round_trip_us(a: usize, b: usize, count: u32) -> f64 {
    let (mut ping, mut ping_peer) = UnixStream::pair().expect("a socket pair");
    let (mut pong, mut pong_peer) = UnixStream::pair().expect("a socket pair");
    let echo = std::thread::spawn(move || {
        pin_to(b);
        let mut byte = [0u8];
        for _ in 0..count {
            ping_peer.read_exact(&mut byte).expect("the prober's byte");
            pong_peer.write_all(&byte).expect("the echo");
        }
    });
    let prober = std::thread::spawn(move || {
        pin_to(a);
        let mut byte = [0u8];
        let started = Instant::now();
        for _ in 0..count {
            ping.write_all(&byte).expect("the probe");
            pong.read_exact(&mut byte).expect("the echo's byte");
        }
        started.elapsed().as_nanos() as f64 / 1000.0 / f64::from(count)
    });
    let us = prober.join().expect("the prober thread");
    echo.join().expect("the echo thread");
    us
}

/// Restricts the calling thread to `core`. A failure (a container that forbids it) leaves the
/// thread where the kernel puts it, which the numbers then reflect.
fn pin_to(core: usize) {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes one bit of it, in bounds for
    // any core number below CPU_SETSIZE (1024), and sched_setaffinity only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}
