//! Integration tests of `a2agw-proto`: descriptor parity with the official
//! A2A 1.0 proto, prost round trips, decode robustness, and the conversions
//! to and from `a2agw-types` (round trips, ProtoJSON parity with prost-reflect).

// clippy.toml allows these inside #[test] fns; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod convert;
mod decode_fuzz;
mod descriptor;
mod roundtrip;
